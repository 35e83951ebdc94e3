import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Config, DestinationConfig, RetryConfig } from '../config/schema.ts';
import { createLogger, type Logger } from '../log.ts';
import type { DeliveryOutbox, Lease } from '../store/types.ts';
import type { AdapterLookup } from './adapter.ts';
import { type DeliveryTls, deliverLease } from './delivery.ts';
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
 */
export class EmbeddedTransport implements Transport {
  private readonly store: DeliveryOutbox;
  private readonly adapters: AdapterLookup;
  private readonly destinations: Map<string, DestinationConfig>;
  private readonly retry: RetryConfig;
  private readonly concurrency: number;
  private readonly pollIntervalMs: number;
  private readonly leaseMs: number;
  private readonly log: Logger;
  private readonly owner: string;
  private readonly clock: () => number;
  private readonly random: () => number;
  private readonly tls: DeliveryTls | undefined;

  private running = false;
  private loop: Promise<void> | null = null;
  private readonly inFlight = new Map<number, Promise<void>>();
  private readonly shutdown = new AbortController();
  private readonly bell = new Doorbell();

  constructor(options: EmbeddedTransportOptions) {
    this.store = options.store;
    this.adapters = options.adapters;
    this.destinations = new Map(options.destinations.map((d) => [d.id, d]));
    this.retry = options.retry;
    this.concurrency = Math.max(1, options.concurrency ?? 4);
    this.pollIntervalMs = Math.max(1, options.pollIntervalMs ?? 1000);
    this.leaseMs = Math.max(1, options.leaseMs ?? 5 * 60 * 1000);
    this.log = (options.logger ?? createLogger()).child({ component: 'transport' });
    this.owner = options.owner ?? `embedded:${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.clock = options.clock ?? Date.now;
    this.random = options.random ?? Math.random;
    this.tls = options.tls;
  }

  async start(): Promise<void> {
    if (this.running || this.shutdown.signal.aborted) return;
    this.running = true;
    this.loop = this.run();
    this.log.info({ owner: this.owner, concurrency: this.concurrency }, 'transport started');
  }

  kick(): void {
    this.bell.ring();
  }

  async stop(options: { abortAfterMs?: number } = {}): Promise<void> {
    if (!this.loop) return;
    this.running = false;
    this.bell.ring();
    await this.loop;
    const timer =
      options.abortAfterMs !== undefined && this.inFlight.size > 0
        ? setTimeout(() => this.shutdown.abort(new Error('transport stopping')), options.abortAfterMs)
        : undefined;
    await Promise.all(this.inFlight.values());
    clearTimeout(timer);
    this.loop = null;
    this.log.info('transport stopped');
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.bell.clear();
      const capacity = this.concurrency - this.inFlight.size;
      let leased: Lease[] = [];
      if (capacity > 0) {
        try {
          leased = await this.store.leaseDue(this.owner, capacity, this.leaseMs);
        } catch (err) {
          this.log.error({ err }, 'leasing due deliveries failed');
        }
        for (const lease of leased) this.spawn(lease);
      }
      await this.sleep(await this.waitTime());
    }
  }

  /** Until the next delivery falls due, capped by the poll interval; a finishing delivery wakes us earlier. */
  private async waitTime(): Promise<number> {
    if (this.inFlight.size >= this.concurrency) return this.pollIntervalMs;
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

  private spawn(lease: Lease): void {
    const work = this.deliver(lease)
      .catch((err: unknown) => {
        // The lease runs out and the delivery is retried, so nothing is lost; beheer sees it in the log.
        this.log.error({ err, messageId: lease.messageId }, 'recording a delivery failed');
      })
      .finally(() => {
        this.inFlight.delete(lease.outboxId);
        this.kick();
      });
    this.inFlight.set(lease.outboxId, work);
  }

  private async deliver(lease: Lease): Promise<void> {
    await deliverLease(
      {
        store: this.store,
        adapters: this.adapters,
        destinations: this.destinations,
        retry: this.retry,
        leaseMs: this.leaseMs,
        clock: this.clock,
        random: this.random,
        shutdown: this.shutdown.signal,
        log: this.log,
        ...(this.tls ? { tls: this.tls } : {}),
      },
      lease,
    );
  }
}
