/**
 * Bounds the bytes of bericht bodies that are being read and judged at once, so that many large uploads at the
 * same moment cannot take the process's memory with them. A request reserves its size (Content-Length, or the
 * body limit when the size is not known in advance) before its body is read; while the budget is taken it
 * waits its turn, first come first served, and its body stays unread (TCP pushes back on the sender). A request
 * larger than the whole budget goes alone. Waiting longer than `waitMs` answers 503 SERVER_BUSY.
 *
 * Each owner (a caller or inbound party) holds at most its share of the budget, beyond one request of its own:
 * a key holder that declares large bodies and sends nothing keeps its own further requests waiting, never the
 * other owners'. A waiting request whose owner is at its share is passed over; the others keep their order.
 */
interface Entry {
  bytes: number;
  owner: string;
  grant: () => void;
}

export class BodyAdmission {
  private inUse = 0;
  private readonly held = new Map<string, number>();
  private readonly queue: Entry[] = [];

  /** `share`: the bytes one owner may hold at once (default: the whole budget). */
  constructor(
    private readonly budget: () => number,
    private readonly share: () => number = budget,
  ) {}

  /** Bytes reserved now, and requests waiting (for metrics and tests). */
  get reserved(): number {
    return this.inUse;
  }
  get waiting(): number {
    return this.queue.length;
  }

  /**
   * Resolves with the release function once `bytes` fit (call it exactly once when the request is done), or with
   * null when they did not fit within `waitMs` or `signal` aborted first. `owner` names whose share they count to.
   */
  acquire(bytes: number, waitMs: number, signal?: AbortSignal, owner = ''): Promise<(() => void) | null> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const cleanup = () => {
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', leave);
      };
      const entry: Entry = {
        bytes,
        owner,
        grant: () => {
          cleanup();
          resolve(this.take(bytes, owner));
        },
      };
      const leave = () => {
        cleanup();
        const i = this.queue.indexOf(entry);
        if (i >= 0) this.queue.splice(i, 1);
        resolve(null);
        this.pump();
      };
      this.queue.push(entry);
      this.pump();
      if (!this.queue.includes(entry)) return;
      if (signal?.aborted) return leave();
      timer = setTimeout(leave, waitMs);
      signal?.addEventListener('abort', leave, { once: true });
    });
  }

  /**
   * The release function at once when `acquire` would grant `bytes` without waiting (nobody waits, they fit and
   * are within the owner's share), else null (then `acquire` them: they wait their turn).
   */
  grantNow(bytes: number, owner = ''): (() => void) | null {
    if (this.queue.length > 0 || !this.fits(bytes)) return null;
    const held = this.held.get(owner) ?? 0;
    if (held !== 0 && held + bytes > this.share()) return null;
    return this.take(bytes, owner);
  }

  private fits(bytes: number): boolean {
    return this.inUse === 0 || this.inUse + bytes <= this.budget();
  }

  private withinShare(e: Entry): boolean {
    const held = this.held.get(e.owner) ?? 0;
    return held === 0 || held + e.bytes <= this.share();
  }

  private take(bytes: number, owner: string): () => void {
    this.inUse += bytes;
    this.held.set(owner, (this.held.get(owner) ?? 0) + bytes);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inUse -= bytes;
      const left = (this.held.get(owner) ?? 0) - bytes;
      if (left > 0) this.held.set(owner, left);
      else this.held.delete(owner);
      this.pump();
    };
  }

  /** Grants waiting requests in order while the first one whose owner is within its share fits. */
  private pump(): void {
    for (let i = 0; i < this.queue.length; ) {
      const e = this.queue[i]!;
      if (!this.withinShare(e)) {
        i++;
        continue;
      }
      if (!this.fits(e.bytes)) return;
      this.queue.splice(i, 1);
      e.grant();
    }
  }
}
