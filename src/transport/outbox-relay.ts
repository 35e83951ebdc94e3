/**
 * The transactional outbox relay of the scale-out deployment.
 *
 * The gateway commits a message and its outbox row in one PostgreSQL transaction before it answers 2xx; only
 * then does the relay publish it. Each round the relay leases due outbox rows through the store
 * (`leaseForPublish`: FOR UPDATE SKIP LOCKED, so the relays of several instances take disjoint rows), publishes
 * them over a confirm channel with up to `window` publishes awaiting their confirm at once (pipelined, never one
 * at a time), and marks them published (`markPublished`, batched) only after the broker confirmed them. A
 * publish that fails (nack, return, channel lost) is handed back (`abandonPublish`) and published again.
 *
 * Crash safety: a crash between commit and publish loses nothing, the row is still due (or its publish lease
 * runs out) and a relay publishes it. A crash between the confirm and `markPublished` publishes it twice under
 * two tokens; the consumer of the copy whose token is no longer current drops it (`claimPublished` → stale).
 *
 * Retries: one path for every publish. A consumer records a failed attempt with its next attempt time in the
 * store (`completeDelivery` → the row is due again at `next_attempt_at`), exactly as the embedded transport
 * does, and kicks the relay. The relay leases rows due within `horizonMs` (the longest delay level), so it
 * takes the retry at once and the publisher puts it in the delay queue whose level fits the remaining wait; the
 * delay queue dead-letters it back to the work queue when the wait is over. Resends and releases from beheer go
 * the same way (due now: straight to the work queue).
 */
import type { Logger } from '../log.ts';
import type { BrokerOutbox, PublishLease, PublishRef } from '../store/types.ts';
import { Doorbell } from './doorbell.ts';

/** Publishes deliveries to the broker. */
export interface DeliveryPublisher {
  /** Whether a publish can be tried now (a channel is open). */
  isConnected(): boolean;
  /** Resolves once the broker confirmed the publication; rejects when it was nacked or returned, or the channel was lost first. */
  publish(lease: PublishLease): Promise<void>;
}

export interface OutboxRelayOptions {
  store: BrokerOutbox;
  publisher: DeliveryPublisher;
  /** Lease owner name, unique per process. */
  owner: string;
  /** Rows leased per round. */
  batch: number;
  /** Publishes awaiting their confirm at once. */
  window: number;
  /** The relay's reservation of a row while publishing it. */
  publishLeaseMs: number;
  /** Rows due up to this far ahead are published now (into a delay queue). */
  horizonMs: number;
  /** See `LeaseForPublishOptions.republishAfterMs`. */
  republishAfterMs?: number;
  /** Longest sleep when nothing wakes the relay earlier. */
  pollIntervalMs: number;
  /**
   * After a kick, wait this long before leasing, so the messages queued meanwhile share one lease and one
   * markPublished statement instead of one each (0: lease at once).
   */
  lingerMs?: number;
  logger: Logger;
}

export interface RelayStats {
  published: number;
  failed: number;
  inFlight: number;
  /** Lease statements run, and markPublished/abandonPublish statements run. */
  leaseRounds: number;
  recordRounds: number;
}

export class OutboxRelay {
  private readonly o: OutboxRelayOptions;
  private readonly log: Logger;
  private running = false;
  private loop: Promise<void> | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private confirmed: PublishRef[] = [];
  private failed: PublishRef[] = [];
  private flushing: Promise<void> | null = null;
  private readonly bell = new Doorbell();
  readonly stats: RelayStats = { published: 0, failed: 0, inFlight: 0, leaseRounds: 0, recordRounds: 0 };

  constructor(options: OutboxRelayOptions) {
    this.o = { ...options, batch: Math.max(1, options.batch), window: Math.max(1, options.window) };
    this.log = options.logger.child({ component: 'outbox-relay' });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Something is due (a message was queued, a retry scheduled, the broker is back): look now. */
  kick(): void {
    this.bell.ring();
  }

  /**
   * Stops leasing; waits (at most `confirmWaitMs`) for the publishes in flight to be confirmed or fail, and
   * records them. One still unconfirmed then stays `publishing` and comes back when its publish lease runs out.
   */
  async stop(confirmWaitMs = 10_000): Promise<void> {
    if (!this.loop) return;
    this.running = false;
    this.bell.ring();
    await this.loop;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inFlight]),
      new Promise((resolve) => (timer = setTimeout(resolve, confirmWaitMs))),
    ]);
    clearTimeout(timer);
    await this.flush();
    this.loop = null;
  }

  private async run(): Promise<void> {
    let caughtUp = false;
    while (this.running) {
      if (caughtUp && this.bell.ringing && this.o.lingerMs) await new Promise((r) => setTimeout(r, this.o.lingerMs));
      this.bell.clear();
      const capacity = this.o.window - this.inFlight.size;
      if (!this.o.publisher.isConnected() || capacity <= 0) {
        // A confirm frees capacity and kicks; a reconnect kicks.
        await this.sleep(this.o.pollIntervalMs);
        continue;
      }
      const want = Math.min(this.o.batch, capacity);
      let leases: PublishLease[] = [];
      try {
        this.stats.leaseRounds++;
        leases = await this.o.store.leaseForPublish(this.o.owner, want, this.o.publishLeaseMs, {
          horizonMs: this.o.horizonMs,
          ...(this.o.republishAfterMs !== undefined ? { republishAfterMs: this.o.republishAfterMs } : {}),
        });
      } catch (err) {
        this.log.error({ err }, 'leasing outbox rows to publish failed');
      }
      for (const lease of leases) this.publish(lease);
      caughtUp = leases.length < want;
      if (caughtUp) await this.sleep(this.o.pollIntervalMs);
    }
  }

  private publish(lease: PublishLease): void {
    const ref = { outboxId: lease.outboxId, token: lease.token };
    const work: Promise<void> = this.o.publisher.publish(lease).then(
      () => {
        this.confirmed.push(ref);
      },
      (err: unknown) => {
        this.failed.push(ref);
        this.log.warn({ messageId: lease.messageId, err: String(err) }, 'publish not confirmed; the row is due again');
      },
    );
    const tracked = work.finally(() => {
      this.inFlight.delete(tracked);
      this.stats.inFlight = this.inFlight.size;
      void this.flush();
      this.kick();
    });
    this.inFlight.add(tracked);
    this.stats.inFlight = this.inFlight.size;
  }

  /** Records confirmed and failed publishes in batches; one flush at a time, the next takes what gathered meanwhile. */
  private flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    this.flushing = (async () => {
      try {
        // Confirms of one publish batch arrive together; a short linger records them in one statement.
        if (this.o.lingerMs && this.running) await new Promise((r) => setTimeout(r, this.o.lingerMs));
        while (this.confirmed.length > 0 || this.failed.length > 0) {
          this.stats.recordRounds++;
          const confirmed = this.confirmed.splice(0);
          const failed = this.failed.splice(0);
          try {
            if (confirmed.length) await this.o.store.markPublished(confirmed);
            this.stats.published += confirmed.length;
          } catch (err) {
            // Their publish lease runs out and they are published again; the copies in the broker go stale.
            this.log.error({ err, count: confirmed.length }, 'marking published rows failed');
          }
          try {
            if (failed.length) await this.o.store.abandonPublish(failed);
            this.stats.failed += failed.length;
          } catch (err) {
            this.log.error({ err, count: failed.length }, 'handing back unpublished rows failed');
          }
        }
      } finally {
        this.flushing = null;
      }
      // Gathered while the last batch was being written, after the loop looked.
      if (this.confirmed.length > 0 || this.failed.length > 0) await this.flush();
    })();
    return this.flushing;
  }

  private sleep(ms: number): Promise<void> {
    return this.bell.sleep(ms, () => !this.running);
  }
}
