import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Config, DestinationConfig, RetryConfig } from '../config/schema.ts';
import { createLogger, type Logger } from '../log.ts';
import type { DeliveryOutbox, Lease } from '../store/types.ts';
import type { AdapterLookup } from './adapter.ts';
import { SharedDeadlines } from './deadline.ts';
import { type Attempted, attemptLease, type DeliveryContext, type DeliveryTls, recordAttempt } from './delivery.ts';
import { Doorbell } from './doorbell.ts';
import type { Transport } from './types.ts';

export interface EmbeddedTransportOptions {
  store: DeliveryOutbox;
  adapters: AdapterLookup;
  destinations: readonly DestinationConfig[];
  retry: RetryConfig;
  /** Deliveries running at once. */
  concurrency?: number;
  /** Longest sleep between looks at the outbox when nothing wakes the loop earlier. */
  pollIntervalMs?: number;
  /** How long a delivery is reserved; an attempt is aborted before its lease runs out. */
  leaseMs?: number;
  logger?: Logger;
  /** Lease owner name; unique per process by default. */
  owner?: string;
  /** Epoch milliseconds; must agree with the store's clock. */
  clock?: () => number;
  /** For the jitter. */
  random?: () => number;
  /** Each destination's certificate profile (see `DeliveryContext.tls`). */
  tls?: DeliveryTls;
}

/**
 * The transport of the embedded deployment as configured. Throws when a destination names an adapter that
 * is not available, so a configuration that cannot be served is refused at startup.
 */
export function embeddedTransportFromConfig(
  config: Pick<Config, 'destinations' | 'retry' | 'transport'>,
  store: DeliveryOutbox,
  logger: Logger,
  adapters: AdapterLookup,
  tls?: DeliveryTls,
): EmbeddedTransport {
  const unsupported = adapters.unsupported(config.destinations);
  if (unsupported.length > 0) {
    const list = unsupported.map((d) => `${d.id} (${d.adapter})`).join(', ');
    throw new Error(`no adapter available for destination(s): ${list}`);
  }
  return new EmbeddedTransport({
    store,
    adapters,
    destinations: config.destinations,
    retry: config.retry,
    concurrency: config.transport.concurrency,
    pollIntervalMs: config.transport.pollIntervalMs,
    leaseMs: config.transport.leaseMs,
    logger,
    ...(tls ? { tls } : {}),
  });
}

/**
 * In-process dispatcher over the store's outbox: leases due deliveries, hands each to its destination's
 * adapter, records the outcome and schedules retries. Delivery is at least once: a crash between a
 * delivery and its record means the lease runs out and the message is delivered again.
 *
 * Deliveries flow as a pipeline, so the rate is not bound by the store's commit latency: due deliveries are leased
 * in batches ahead of need (one store transaction for many), at most `concurrency` attempts talk to receivers at
 * once, and an attempt's slot is free as soon as its receiver answered, while its outcome is being recorded (the
 * store commits many records together). What is leased but not yet started is handed back on stop.
 */
export class EmbeddedTransport implements Transport {
  private readonly store: DeliveryOutbox;
  private readonly destinations: Map<string, DestinationConfig>;
  private readonly concurrency: number;
  private readonly pollIntervalMs: number;
  private readonly leaseMs: number;
  private readonly log: Logger;
  private readonly owner: string;
  private readonly clock: () => number;
  private readonly context: DeliveryContext;

  private running = false;
  private loop: Promise<void> | null = null;
  /** Leased, not started yet, oldest due first. */
  private readonly ready: Lease[] = [];
  /** Attempts talking to a receiver (at most `concurrency`), by lease. */
  private readonly attempts = new Map<Lease, Promise<void>>();
  /** Outcomes being recorded (and leases being handed back), by lease. */
  private readonly recording = new Map<object, Promise<void>>();
  /** The lease request under way, if any. */
  private leasing: Promise<void> | null = null;
  /** The last look at the outbox took fewer deliveries than it asked for: nothing more is due right now. */
  private drained = false;
  private readonly shutdown = new AbortController();
  private readonly bell = new Doorbell();

  constructor(options: EmbeddedTransportOptions) {
    this.store = options.store;
    this.destinations = new Map(options.destinations.map((d) => [d.id, d]));
    this.concurrency = Math.max(1, options.concurrency ?? 4);
    this.pollIntervalMs = Math.max(1, options.pollIntervalMs ?? 1000);
    this.leaseMs = Math.max(1, options.leaseMs ?? 5 * 60 * 1000);
    this.log = (options.logger ?? createLogger()).child({ component: 'transport' });
    this.owner = options.owner ?? `embedded:${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.clock = options.clock ?? Date.now;
    this.context = {
      store: this.store,
      adapters: options.adapters,
      destinations: this.destinations,
      retry: options.retry,
      leaseMs: this.leaseMs,
      clock: this.clock,
      random: options.random ?? Math.random,
      shutdown: this.shutdown.signal,
      deadlines: new SharedDeadlines(this.shutdown.signal, this.clock),
      log: this.log,
      ...(options.tls ? { tls: options.tls } : {}),
    };
  }

  async start(): Promise<void> {
    if (this.running || this.shutdown.signal.aborted) return;
    this.running = true;
    this.loop = this.run();
    this.log.info({ owner: this.owner, concurrency: this.concurrency }, 'transport started');
  }

  kick(): void {
    this.drained = false;
    this.bell.ring();
  }

  async stop(options: { abortAfterMs?: number } = {}): Promise<void> {
    if (!this.loop) return;
    this.running = false;
    this.bell.ring();
    await this.loop;
    await this.leasing;
    await this.handBack(this.ready.splice(0));
    const timer =
      options.abortAfterMs !== undefined && this.attempts.size > 0
        ? setTimeout(() => this.shutdown.abort(new Error('transport stopping')), options.abortAfterMs)
        : undefined;
    await Promise.all(this.attempts.values());
    clearTimeout(timer);
    // An attempt that ended started its record.
    await Promise.all(this.recording.values());
    this.loop = null;
    this.log.info('transport stopped');
  }

  /**
   * Leases held at once (waiting, attempting, being recorded). Each lease passes two commits (its lease and its
   * record), so under load many more than `concurrency` are on their way at once.
   */
  private get leaseCap(): number {
    return this.concurrency * 16;
  }

  private get held(): number {
    return this.ready.length + this.attempts.size + this.recording.size;
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.bell.clear();
      this.topUp();
      this.startAttempts();
      // Under load the wait is known without asking the store, and the loop goes round once per ring.
      await this.sleep(this.waitTimeKnown() ?? (await this.waitTimeFromSchedule()));
      // Slept its time without a ring: something may have fallen due (a retry, a lease run out); look again.
      if (!this.bell.ringing) this.drained = false;
    }
  }

  /**
   * Asks the store for a batch (in the background, one request at a time) when the waiting deliveries run low and
   * the outbox may hold more (not drained: a kick, a full last batch, or a sleep that ran its time); the attempts go
   * on meanwhile, and the answer rings the loop.
   */
  private topUp(): void {
    if (this.drained || this.leasing || this.ready.length >= this.concurrency * 2) return;
    const want = Math.min(this.leaseCap - this.held, this.concurrency * 4);
    if (want <= 0 || (want < Math.ceil(this.concurrency / 2) && this.ready.length > 0)) return;
    this.leasing = this.store
      .leaseDue(this.owner, want, this.leaseMs)
      .then(
        (leased) => {
          this.drained = leased.length < want;
          this.ready.push(...leased);
        },
        (err: unknown) => {
          this.drained = true;
          this.log.error({ err }, 'leasing due deliveries failed');
        },
      )
      .finally(() => {
        this.leasing = null;
        this.bell.ring();
      });
  }

  /** Starts waiting deliveries while slots are free; a lease that waited past half its time is handed back. */
  private startAttempts(): void {
    const stale: Lease[] = [];
    while (this.attempts.size < this.concurrency && this.ready.length > 0) {
      const lease = this.ready.shift()!;
      if (lease.leaseUntil.getTime() - this.clock() < this.leaseMs / 2) stale.push(lease);
      else this.spawn(lease);
    }
    if (stale.length) this.track(this.handBack(stale));
  }

  /**
   * Until the next delivery falls due, capped by the poll interval; a finishing attempt or a kick wakes us earlier.
   * Undefined when only the store's schedule can tell (`waitTimeFromSchedule`).
   */
  private waitTimeKnown(): number | undefined {
    // A lease request, a finishing attempt or record, or a kick rings the loop.
    if (this.leasing || this.ready.length > 0 || this.held >= this.leaseCap) return this.pollIntervalMs;
    if (!this.drained) return 0;
    // Attempts or records under way ring when they end; the last one to end looks at the schedule (a read that
    // walks the leased rows, too dear to make on every ring under load).
    if (this.attempts.size + this.recording.size > 0) return this.pollIntervalMs;
    return undefined;
  }

  private async waitTimeFromSchedule(): Promise<number> {
    try {
      const next = await this.store.nextDueAt();
      if (!next) return this.pollIntervalMs;
      return Math.min(this.pollIntervalMs, Math.max(0, next.getTime() - this.clock()));
    } catch (err) {
      this.log.error({ err }, 'reading the outbox failed');
      return this.pollIntervalMs;
    }
  }

  private sleep(ms: number): Promise<void> {
    return this.bell.sleep(ms, () => !this.running);
  }

  /**
   * The attempt holds a slot until its receiver answered; recording its outcome runs on beside the next ones. One
   * async function per phase (no chain of then/catch/finally per delivery), each keyed by its lease until it ends.
   */
  private spawn(lease: Lease): void {
    this.attempts.set(lease, this.attemptOne(lease));
  }

  private async attemptOne(lease: Lease): Promise<void> {
    try {
      const attempted = await attemptLease(this.context, lease);
      this.recording.set(lease, this.recordOne(lease, attempted));
    } catch (err) {
      this.log.error({ err, messageId: lease.messageId }, 'a delivery attempt failed unexpectedly');
    } finally {
      this.attempts.delete(lease);
      this.bell.ring();
    }
  }

  private async recordOne(lease: Lease, attempted: Attempted): Promise<void> {
    try {
      await recordAttempt(this.context, lease, attempted);
    } catch (err) {
      // The lease runs out and the delivery is retried, so nothing is lost; beheer sees it in the log.
      this.log.error({ err, messageId: lease.messageId }, 'recording a delivery failed');
    } finally {
      this.recording.delete(lease);
      this.bell.ring();
    }
  }

  /** Keeps a store write the stop waits for (counted with the records). */
  private track(work: Promise<void>): void {
    const key = {};
    this.recording.set(
      key,
      work.finally(() => {
        this.recording.delete(key);
        this.bell.ring();
      }),
    );
  }

  /** Gives leases back uncounted (stop, or waited too long to start): due again at once. */
  private async handBack(leases: readonly Lease[]): Promise<void> {
    for (const lease of leases) {
      try {
        await this.store.releaseLease(lease);
      } catch (err) {
        // Its lease runs out instead; it is delivered then.
        this.log.error({ err, messageId: lease.messageId }, 'handing a lease back failed');
      }
    }
  }
}
