/**
 * Bounds the bytes of bericht bodies that are being read and judged at once, so that many large uploads at the
 * same moment cannot take the process's memory with them. A request reserves its size (Content-Length, or the
 * body limit when the size is not known in advance) before its body is read; while the budget is taken it
 * waits its turn, first come first served, and its body stays unread (TCP pushes back on the sender). A request
 * larger than the whole budget goes alone. Waiting longer than `waitMs` answers 503 SERVER_BUSY.
 */
export class BodyAdmission {
  private inUse = 0;
  private readonly queue: { bytes: number; grant: () => void }[] = [];

  constructor(private readonly budget: () => number) {}

  /** Bytes reserved now, and requests waiting (for metrics and tests). */
  get reserved(): number {
    return this.inUse;
  }
  get waiting(): number {
    return this.queue.length;
  }

  /**
   * Resolves with the release function once `bytes` fit (call it exactly once when the request is done), or with
   * null when they did not fit within `waitMs` or `signal` aborted first.
   */
  acquire(bytes: number, waitMs: number, signal?: AbortSignal): Promise<(() => void) | null> {
    if (this.queue.length === 0 && this.fits(bytes)) return Promise.resolve(this.take(bytes));
    return new Promise((resolve) => {
      const entry = {
        bytes,
        grant: () => {
          cleanup();
          resolve(this.take(bytes));
        },
      };
      const giveUp = () => {
        cleanup();
        const i = this.queue.indexOf(entry);
        if (i >= 0) this.queue.splice(i, 1);
        resolve(null);
        this.pump();
      };
      const timer = setTimeout(giveUp, waitMs);
      const cleanup = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', giveUp);
      };
      signal?.addEventListener('abort', giveUp, { once: true });
      this.queue.push(entry);
    });
  }

  private fits(bytes: number): boolean {
    return this.inUse === 0 || this.inUse + bytes <= this.budget();
  }

  private take(bytes: number): () => void {
    this.inUse += bytes;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inUse -= bytes;
      this.pump();
    };
  }

  /** Grants waiting requests in order while the first one fits. */
  private pump(): void {
    while (this.queue.length > 0 && this.fits(this.queue[0]!.bytes)) this.queue.shift()!.grant();
  }
}
