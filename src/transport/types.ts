/**
 * Moves queued messages to their destinations. Enqueueing is not part of it: the store writes the outbox row
 * in the same transaction as the message. A transport only runs the dispatch side.
 */
export interface Transport {
  start(): Promise<void>;
  /**
   * Stops taking new work and waits for deliveries in flight to finish and be recorded. With `abortAfterMs`,
   * deliveries still running then are aborted and handed back uncounted, to be delivered again later.
   */
  stop(options?: { abortAfterMs?: number }): Promise<void>;
  /** Something was queued: look now instead of at the next poll. */
  kick(): void;
}
