/**
 * The failed-authentication budget of a client address shared by every instance on the store (issue #15 part
 * 3): each instance keeps its own token bucket (rate-limit.ts, synchronous, exact within the instance) and also
 * drains the address's bucket in the store (`BeheerState`) for every failure it answers. An instance refuses an
 * address whose shared bucket is empty: it learns that from the store's answer to a failure it reported, and
 * every `syncEveryMs` from the list of empty buckets. No request waits for the store: the check is a map lookup,
 * and a failure is reported in the background. So across instances an address gets at most its burst plus the
 * failures in flight at once, and the refusal reaches an instance where the address did not fail within one
 * sync interval.
 */
import type { Logger } from 'pino';
import type { BeheerState, BucketRate as Rate } from '../store/types.ts';

const PREFIX = 'auth-failures:';

export class SharedFailureBudget {
  /** Addresses refused by the shared budget, until this time (epoch ms). */
  private refused = new Map<string, number>();
  private readonly timer: NodeJS.Timeout | null;
  private closed = false;
  private syncing: Promise<void> | null = null;
  private readonly reporting = new Set<Promise<void>>();

  constructor(
    private readonly state: Pick<BeheerState, 'takeToken' | 'emptyBuckets'>,
    private readonly rate: () => Rate,
    private readonly log: Logger,
    syncEveryMs = 1000,
    private readonly now: () => number = Date.now,
  ) {
    this.timer = syncEveryMs > 0 ? setInterval(() => void this.sync(), syncEveryMs) : null;
    this.timer?.unref();
  }

  /** Milliseconds until the shared budget lets this address in again (0: now), from what this instance knows. */
  waitMs(ip: string): number {
    const until = this.refused.get(ip);
    if (until === undefined) return 0;
    const wait = until - this.now();
    if (wait > 0) return wait;
    this.refused.delete(ip);
    return 0;
  }

  /** This instance answered a failed authentication to `ip`: counted in the store, in the background. */
  failed(ip: string): Promise<void> {
    if (this.closed) return Promise.resolve();
    const rate = this.rate();
    const report = this.state
      .takeToken(PREFIX + ip, rate, this.now(), true)
      .then(
        ({ tokens }) => this.note(ip, tokens, rate),
        (err: unknown) => this.log.error({ err: String(err) }, 'counting a failed authentication in the store failed'),
      )
      .finally(() => this.reporting.delete(report));
    this.reporting.add(report);
    return report;
  }

  /** Reads the addresses whose shared bucket is empty (what other instances counted). */
  sync(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.syncing ??= (async () => {
      try {
        const rate = this.rate();
        const empty = await this.state.emptyBuckets(PREFIX, rate, this.now());
        const refused = new Map<string, number>();
        for (const b of empty) refused.set(b.key.slice(PREFIX.length), this.until(b.tokens, rate));
        this.refused = refused;
      } catch (err) {
        this.log.error({ err: String(err) }, 'reading the shared failed-authentication budgets failed');
      } finally {
        this.syncing = null;
      }
    })();
    return this.syncing;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.all([this.syncing, ...this.reporting]);
  }

  private note(ip: string, tokens: number, rate: Rate): void {
    if (tokens < 1) this.refused.set(ip, this.until(tokens, rate));
    else this.refused.delete(ip);
  }

  private until(tokens: number, rate: Rate): number {
    return this.now() + Math.max(1, Math.ceil((1 - tokens) / rate.perMs));
  }
}
