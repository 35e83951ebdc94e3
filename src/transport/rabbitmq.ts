/**
 * The transport of the scale-out deployment: RabbitMQ between the PostgreSQL outbox and the adapters.
 *
 * Publish side: the outbox relay (`outbox-relay.ts`) leases due rows and publishes a small reference (outbox
 * row, token, message id, destination) over a confirm channel, pipelined up to `publishWindow` unconfirmed
 * publishes, to `p.deliver` (routing key = destination) or, for a retry still waiting, to the delay queue of
 * its level (`rabbitmq-topology.ts`). The body stays in PostgreSQL.
 *
 * Consume side: every instance consumes every configured destination's quorum work queue with `prefetch`
 * unacknowledged messages per queue and at most `concurrency` deliveries at once. For each message it claims
 * the delivery in the store (`claimPublished`: the token must be current and no live claim may hold it; a
 * stale or busy copy is acknowledged and dropped), delivers it through the adapter, records the attempt and
 * the next step (`completeDelivery`, shared with the embedded transport in `delivery.ts`), and only then
 * acknowledges the message, on the channel it came from. A retry is scheduled in the store and kicks the
 * relay, which publishes it to a delay queue.
 *
 * Failures: the connection is re-established with exponential backoff; any unexpected channel close resets the
 * whole connection. Deliveries in flight when the connection drops still finish and are recorded, but are not
 * acknowledged (their delivery tags belong to a dead channel): RabbitMQ redelivers them and the claim finds
 * them settled (stale). Store calls of a consumer are retried with backoff while the store is unreachable, so
 * a database outage stalls delivery instead of failing it. A message RabbitMQ redelivered `deliveryLimit`
 * times is dead-lettered to `p.dead`, whose consumers record the message as dead for beheer to see.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import amqp, { type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage } from 'amqplib';
import type { Config, DestinationConfig, RabbitMqTransportConfig, RetryConfig } from '../config/schema.ts';
import { createLogger, type Logger } from '../log.ts';
import type { BrokerOutbox, DeliveryOutbox, PublishLease, PublishRef } from '../store/types.ts';
import type { AdapterLookup } from './adapter.ts';
import { type BackoffPolicy, backoffDelay } from './backoff.ts';
import { SharedDeadlines } from './deadline.ts';
import { type DeliveryContext, type DeliveryTls, deliverLease } from './delivery.ts';
import { type DeliveryPublisher, OutboxRelay } from './outbox-relay.ts';
import { ChannelAcks } from './rabbitmq-acks.ts';
import { assertTopology, DELAY_HEADER, levelFor, type Topology, topology } from './rabbitmq-topology.ts';
import type { Transport } from './types.ts';

export interface RabbitMqTransportOptions {
  store: DeliveryOutbox & BrokerOutbox;
  adapters: AdapterLookup;
  destinations: readonly DestinationConfig[];
  retry: RetryConfig;
  url: string;
  queuePrefix: string;
  /** Deliveries running at once in this instance. */
  concurrency?: number;
  /** Unacknowledged messages per work queue for this instance; default 2 × concurrency. */
  prefetch?: number;
  publishWindow?: number;
  relayBatch?: number;
  pollIntervalMs?: number;
  /** See `OutboxRelayOptions.lingerMs`. */
  relayLingerMs?: number;
  leaseMs?: number;
  publishLeaseMs?: number;
  republishAfterMs?: number;
  deliveryLimit?: number;
  reconnect?: BackoffPolicy;
  heartbeatSeconds?: number;
  logger?: Logger;
  /** Lease owner name; unique per process by default. */
  owner?: string;
  /** Epoch milliseconds; must agree with the store's clock. */
  clock?: () => number;
  random?: () => number;
  /** Each destination's certificate profile (see `DeliveryContext.tls`). */
  tls?: DeliveryTls;
}

/** The RabbitMQ transport as configured; throws when a destination names an adapter that is not available. */
export function rabbitMqTransportFromConfig(
  config: Pick<Config, 'destinations' | 'retry'> & { transport: RabbitMqTransportConfig },
  store: DeliveryOutbox & BrokerOutbox,
  logger: Logger,
  adapters: AdapterLookup,
  tls?: DeliveryTls,
): RabbitMqTransport {
  const unsupported = adapters.unsupported(config.destinations);
  if (unsupported.length > 0) {
    throw new Error(
      `no adapter available for destination(s): ${unsupported.map((d) => `${d.id} (${d.adapter})`).join(', ')}`,
    );
  }
  const t = config.transport;
  return new RabbitMqTransport({
    store,
    adapters,
    destinations: config.destinations,
    retry: config.retry,
    url: t.url,
    queuePrefix: t.queuePrefix,
    concurrency: t.concurrency,
    ...(t.prefetch !== undefined ? { prefetch: t.prefetch } : {}),
    publishWindow: t.publishWindow,
    relayBatch: t.relayBatch,
    pollIntervalMs: t.pollIntervalMs,
    relayLingerMs: t.relayLingerMs,
    leaseMs: t.leaseMs,
    publishLeaseMs: t.publishLeaseMs,
    republishAfterMs: t.republishAfterMs,
    deliveryLimit: t.deliveryLimit,
    reconnect: { baseDelayMs: t.reconnectBaseDelayMs, maxDelayMs: t.reconnectMaxDelayMs, jitter: 0.2 },
    heartbeatSeconds: t.heartbeatSeconds,
    logger,
    ...(tls ? { tls } : {}),
  });
}

/** What a broker message carries: a reference to one publication of a delivery, never the body. */
interface DeliveryRef {
  o: number;
  t: string;
  m: string;
  d: string;
}

interface Pending {
  resolve: () => void;
  reject: (err: Error) => void;
}

/** One confirm channel and the publishes awaiting its confirms. */
interface PublishState {
  ch: ConfirmChannel;
  pending: Map<string, Pending>;
  returned: Set<string>;
  open: boolean;
}

/** One consume channel; its delivery tags are valid on it only. */
interface ConsumeState {
  ch: Channel;
  open: boolean;
  consumerTags: string[];
  acks: ChannelAcks;
}

const STORE_RETRY: BackoffPolicy = { baseDelayMs: 200, maxDelayMs: 5000, jitter: 0.2 };

export class RabbitMqTransport implements Transport {
  readonly topology: Topology;
  readonly owner: string;
  readonly stats = { delivered: 0, retried: 0, stale: 0, busy: 0, dead: 0, unacked: 0, reconnects: 0 };
  private readonly o: Required<
    Omit<RabbitMqTransportOptions, 'logger' | 'owner' | 'clock' | 'random' | 'republishAfterMs' | 'tls'>
  > &
    Pick<RabbitMqTransportOptions, 'republishAfterMs'>;
  private readonly log: Logger;
  private readonly clock: () => number;
  private readonly relay: OutboxRelay;
  private readonly delivery: DeliveryContext;
  private readonly destinationIds: string[];

  private running = false;
  private stopping = false;
  private connectLoop: Promise<void> | null = null;
  private connection: ChannelModel | null = null;
  private publishState: PublishState | null = null;
  private consumeState: ConsumeState | null = null;
  private readonly hardStop = new AbortController();
  private readonly inFlight = new Set<Promise<void>>();
  private active = 0;
  private readonly slotWaiters: (() => void)[] = [];
  private connectedWaiters: (() => void)[] = [];

  constructor(options: RabbitMqTransportOptions) {
    const concurrency = Math.max(1, options.concurrency ?? 64);
    this.o = {
      store: options.store,
      adapters: options.adapters,
      destinations: options.destinations,
      retry: options.retry,
      url: options.url,
      queuePrefix: options.queuePrefix,
      concurrency,
      prefetch: Math.max(1, options.prefetch ?? 2 * concurrency),
      publishWindow: Math.max(1, options.publishWindow ?? 256),
      relayBatch: Math.max(1, options.relayBatch ?? 200),
      pollIntervalMs: Math.max(1, options.pollIntervalMs ?? 1000),
      relayLingerMs: Math.max(0, options.relayLingerMs ?? 0),
      leaseMs: Math.max(1, options.leaseMs ?? 5 * 60 * 1000),
      publishLeaseMs: Math.max(1, options.publishLeaseMs ?? 30_000),
      republishAfterMs: options.republishAfterMs,
      deliveryLimit: Math.max(1, options.deliveryLimit ?? 20),
      reconnect: options.reconnect ?? { baseDelayMs: 250, maxDelayMs: 15_000, jitter: 0.2 },
      heartbeatSeconds: options.heartbeatSeconds ?? 15,
    };
    this.log = (options.logger ?? createLogger()).child({ component: 'transport', transport: 'rabbitmq' });
    this.owner = options.owner ?? `rabbitmq:${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.clock = options.clock ?? Date.now;
    this.topology = topology(options.queuePrefix, options.retry, this.o.deliveryLimit);
    this.destinationIds = options.destinations.map((d) => d.id);
    this.delivery = {
      store: options.store,
      adapters: options.adapters,
      destinations: new Map(options.destinations.map((d) => [d.id, d])),
      retry: options.retry,
      leaseMs: this.o.leaseMs,
      clock: this.clock,
      random: options.random ?? Math.random,
      shutdown: this.hardStop.signal,
      // The deliveries claimed together end their leases together: one timer and signal for all their attempts.
      deadlines: new SharedDeadlines(this.hardStop.signal, this.clock),
      log: this.log,
      record: (op) => this.storeCall(op),
      ...(options.tls ? { tls: options.tls } : {}),
    };
    const publisher: DeliveryPublisher = {
      isConnected: () => this.publishState?.open === true,
      publish: (lease) => this.publish(lease),
    };
    this.relay = new OutboxRelay({
      store: options.store,
      publisher,
      owner: this.owner,
      batch: this.o.relayBatch,
      window: this.o.publishWindow,
      publishLeaseMs: this.o.publishLeaseMs,
      horizonMs: this.topology.levels.at(-1)!,
      ...(this.o.republishAfterMs !== undefined ? { republishAfterMs: this.o.republishAfterMs } : {}),
      pollIntervalMs: this.o.pollIntervalMs,
      lingerMs: this.o.relayLingerMs,
      logger: this.log,
    });
  }

  /**
   * Starts the relay and connects. Resolves once the first connection attempt succeeded or failed: when the
   * broker is away the gateway still takes messages (the outbox is in the store) and the transport keeps
   * reconnecting in the background.
   */
  async start(): Promise<void> {
    if (this.running || this.stopping) return;
    this.running = true;
    let firstAttemptDone!: () => void;
    const firstAttempt = new Promise<void>((resolve) => (firstAttemptDone = resolve));
    this.connectLoop = this.maintainConnection(firstAttemptDone);
    this.relay.start();
    await firstAttempt;
    this.log.info(
      {
        owner: this.owner,
        concurrency: this.o.concurrency,
        prefetch: this.o.prefetch,
        publishWindow: this.o.publishWindow,
      },
      'transport started',
    );
  }

  /** Resolves once connected and consuming. */
  whenConnected(): Promise<void> {
    if (this.consumeState?.open && this.publishState?.open) return Promise.resolve();
    return new Promise((resolve) => this.connectedWaiters.push(resolve));
  }

  kick(): void {
    this.relay.kick();
  }

  async stop(options: { abortAfterMs?: number } = {}): Promise<void> {
    if (!this.running || this.stopping) return;
    this.stopping = true;
    await this.relay.stop();
    const consume = this.consumeState;
    if (consume?.open) {
      for (const tag of consume.consumerTags) await consume.ch.cancel(tag).catch(() => undefined);
    }
    for (const w of this.slotWaiters.splice(0)) w();
    const timer =
      options.abortAfterMs !== undefined && this.inFlight.size > 0
        ? setTimeout(() => this.hardStop.abort(new Error('transport stopping')), options.abortAfterMs)
        : undefined;
    await Promise.allSettled([...this.inFlight]);
    clearTimeout(timer);
    this.consumeState?.acks.flush();
    this.hardStop.abort(new Error('transport stopped'));
    this.running = false;
    await this.connection?.close().catch(() => undefined);
    await this.connectLoop;
    this.log.info({ ...this.stats, relay: this.relay.stats }, 'transport stopped');
  }

  private async maintainConnection(firstAttemptDone: () => void): Promise<void> {
    let failures = 0;
    let first = true;
    while (this.running) {
      let connection: ChannelModel | null = null;
      try {
        connection = await amqp.connect(withHeartbeat(this.o.url, this.o.heartbeatSeconds), {
          clientProperties: { connection_name: this.owner },
          noDelay: true,
          timeout: 10_000,
        });
        const closed = new Promise<void>((resolve) => connection!.once('close', () => resolve()));
        connection.on('error', (err: Error) => this.log.warn({ err: err.message }, 'RabbitMQ connection error'));
        connection.on('blocked', (reason: string) => this.log.warn({ reason }, 'RabbitMQ blocked publishing'));
        connection.on('unblocked', () => this.log.info('RabbitMQ unblocked publishing'));
        this.connection = connection;
        await this.setup(connection);
        if (!first) this.stats.reconnects++;
        this.log.info({ reconnected: !first }, 'connected to RabbitMQ');
        failures = 0;
        first = false;
        firstAttemptDone();
        for (const w of this.connectedWaiters.splice(0)) w();
        this.relay.kick();
        await closed;
        if (this.running && !this.stopping) this.log.warn('lost the connection to RabbitMQ; reconnecting');
      } catch (err) {
        failures++;
        this.log.error({ err: (err as Error).message, failures }, 'connecting to RabbitMQ failed');
        await connection?.close().catch(() => undefined);
        firstAttemptDone();
      } finally {
        this.teardown();
        this.connection = null;
      }
      if (!this.running) break;
      await this.pause(failures > 0 ? backoffDelay(failures, this.o.reconnect) : this.o.reconnect.baseDelayMs);
    }
  }

  /** Waits `ms` unless stopping. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const signal = this.hardStop.signal;
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  }

  private async setup(connection: ChannelModel): Promise<void> {
    const admin = await connection.createChannel();
    admin.on('error', () => undefined);
    await assertTopology(admin, this.topology, this.destinationIds);
    await admin.close();

    const pub = await connection.createConfirmChannel();
    const publishState: PublishState = { ch: pub, pending: new Map(), returned: new Set(), open: true };
    pub.on('error', (err: Error) => this.log.warn({ err: err.message }, 'RabbitMQ publish channel error'));
    pub.on('return', (m: { properties: { messageId?: string } }) => {
      if (m.properties.messageId) publishState.returned.add(m.properties.messageId);
    });
    pub.on('close', () => this.channelClosed(publishState, () => connection.close()));
    this.publishState = publishState;

    if (this.stopping) return;
    const ch = await connection.createChannel();
    const consumeState: ConsumeState = {
      ch,
      open: true,
      consumerTags: [],
      acks: new ChannelAcks(
        ch,
        () => consumeState.open && consumeState === this.consumeState,
        (n) => (this.stats.unacked += n),
      ),
    };
    ch.on('error', (err: Error) => this.log.warn({ err: err.message }, 'RabbitMQ consume channel error'));
    ch.on('close', () => this.channelClosed(consumeState, () => connection.close()));
    this.consumeState = consumeState;
    // Per consumer: each work queue gets `prefetch` unacknowledged messages; the dead-letter queue a few.
    await ch.prefetch(this.o.prefetch, false);
    for (const queue of [...this.destinationIds.map(this.topology.workQueue), this.topology.unroutedQueue]) {
      const { consumerTag } = await ch.consume(queue, (m) => this.onMessage(consumeState, m, 'work'), { noAck: false });
      consumeState.consumerTags.push(consumerTag);
    }
    await ch.prefetch(4, false);
    const { consumerTag } = await ch.consume(this.topology.deadQueue, (m) => this.onMessage(consumeState, m, 'dead'), {
      noAck: false,
    });
    consumeState.consumerTags.push(consumerTag);
  }

  /** A channel closed: its delivery tags are void, its unconfirmed publishes failed; an unexpected close resets the connection. */
  private channelClosed(state: PublishState | ConsumeState, resetConnection?: () => Promise<void>): void {
    if (!state.open) return;
    state.open = false;
    if ('pending' in state) {
      const err = new Error('RabbitMQ channel closed before the confirm');
      for (const p of state.pending.values()) p.reject(err);
      state.pending.clear();
    }
    if (resetConnection && !this.stopping) void resetConnection().catch(() => undefined);
  }

  private teardown(): void {
    for (const state of [this.publishState, this.consumeState]) if (state) this.channelClosed(state);
    this.publishState = null;
    this.consumeState = null;
  }

  private publish(lease: PublishLease): Promise<void> {
    const state = this.publishState;
    if (!state?.open) return Promise.reject(new Error('not connected to RabbitMQ'));
    const now = this.clock();
    const delay = lease.dueAt.getTime() - now;
    const ref: DeliveryRef = { o: lease.outboxId, t: lease.token, m: lease.messageId, d: lease.destination };
    const messageId = `${lease.outboxId}:${lease.token}`;
    const base = {
      persistent: true,
      mandatory: true,
      contentType: 'application/json',
      type: 'schakel.delivery',
      messageId,
      timestamp: Math.floor(now / 1000),
    };
    let exchange = this.topology.deliverExchange;
    let options: amqp.Options.Publish = base;
    if (delay >= 1) {
      const level = levelFor(this.topology.levels, delay);
      exchange = this.topology.delayExchange;
      options = { ...base, expiration: String(Math.ceil(delay)), headers: { [DELAY_HEADER]: String(level) } };
    }
    return new Promise<void>((resolve, reject) => {
      state.pending.set(messageId, { resolve, reject });
      try {
        state.ch.publish(exchange, lease.destination, Buffer.from(JSON.stringify(ref)), options, (err: unknown) => {
          const p = state.pending.get(messageId);
          if (!p) return;
          state.pending.delete(messageId);
          if (err) p.reject(err instanceof Error ? err : new Error('nacked by RabbitMQ'));
          else if (state.returned.delete(messageId)) p.reject(new Error('returned by RabbitMQ: no queue took it'));
          else p.resolve();
        });
      } catch (err) {
        state.pending.delete(messageId);
        reject(err as Error);
      }
    });
  }

  private onMessage(state: ConsumeState, msg: ConsumeMessage | null, kind: 'work' | 'dead'): void {
    if (!msg) {
      // The broker cancelled the consumer (its queue was deleted): start over.
      this.log.warn('RabbitMQ cancelled a consumer; reconnecting');
      void this.connection?.close().catch(() => undefined);
      return;
    }
    state.acks.received(msg);
    const work: Promise<void> = (kind === 'work' ? this.handleWork(state, msg) : this.handleDead(state, msg)).catch(
      (err: unknown) => {
        if (this.hardStop.signal.aborted) {
          // Not acknowledged: RabbitMQ delivers it again after this channel closes.
          this.stats.unacked++;
          this.log.warn({ err }, 'stopped while handling a delivery; left unacknowledged');
          return;
        }
        // Requeued; RabbitMQ counts it towards the delivery limit, after which it is dead-lettered.
        this.log.error({ err }, 'handling a delivery failed; requeued');
        this.settle(state, msg, 'requeue');
      },
    );
    const tracked = work.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  private async handleWork(state: ConsumeState, msg: ConsumeMessage): Promise<void> {
    const ref = parseRef(msg.content);
    if (!ref) {
      this.log.error('a broker message without a delivery reference; dead-lettering it');
      return this.settle(state, msg, 'reject');
    }
    if (!(await this.acquireSlot())) return; // stopping: left unacknowledged for another instance
    try {
      const claim = await this.storeCall(() => this.o.store.claimPublished(refOf(ref), this.owner, this.o.leaseMs));
      if (claim.kind !== 'claimed') {
        this.stats[claim.kind]++;
        this.log.debug({ messageId: ref.m, claim: claim.kind }, 'dropping a broker copy that is not current');
        return this.settle(state, msg, 'ack');
      }
      const result = await deliverLease(this.delivery, claim.lease);
      if (result.kind !== 'released' && result.next.kind === 'retry') {
        this.stats.retried++;
        this.relay.kick();
      } else if (result.kind === 'recorded') {
        this.stats.delivered++;
      }
      this.settle(state, msg, 'ack');
    } finally {
      this.releaseSlot();
    }
  }

  /** A dead-lettered delivery (RabbitMQ's delivery limit): recorded as dead, for beheer to resend. */
  private async handleDead(state: ConsumeState, msg: ConsumeMessage): Promise<void> {
    const ref = parseRef(msg.content);
    if (ref && !this.stopping) {
      const claim = await this.storeCall(() => this.o.store.claimPublished(refOf(ref), this.owner, this.o.leaseMs));
      if (claim.kind === 'claimed') {
        const death = (msg.properties.headers?.['x-death'] as { reason?: string; count?: number }[] | undefined)?.[0];
        const reason = `RabbitMQ dead-lettered the delivery (${death?.reason ?? 'unknown reason'}): it was redelivered without an outcome being recorded`;
        const now = new Date(this.clock());
        await this.storeCall(() =>
          this.o.store.completeDelivery(
            claim.lease,
            { startedAt: now, finishedAt: now, outcome: 'failed', reason },
            { kind: 'dead' },
          ),
        );
        this.stats.dead++;
        this.log.error({ messageId: ref.m, destination: ref.d, reason }, 'delivery gave up: message is dead');
      }
    } else if (this.stopping) {
      return;
    }
    this.settle(state, msg, 'ack');
  }

  /**
   * Settles on the channel the message came from, only while that channel lives (else RabbitMQ redelivers it);
   * acks go out batched at the end of the event-loop turn (`ChannelAcks`).
   */
  private settle(state: ConsumeState, msg: ConsumeMessage, how: 'ack' | 'reject' | 'requeue'): void {
    if (how === 'ack') state.acks.ack(msg);
    else state.acks.nack(msg, how === 'requeue');
  }

  private acquireSlot(): Promise<boolean> {
    if (this.stopping) return Promise.resolve(false);
    if (this.active < this.o.concurrency) {
      this.active++;
      return Promise.resolve(true);
    }
    return new Promise((resolve) =>
      this.slotWaiters.push(() => {
        if (this.stopping) return resolve(false);
        this.active++;
        resolve(true);
      }),
    );
  }

  private releaseSlot(): void {
    this.active--;
    this.slotWaiters.shift()?.();
  }

  /**
   * A store call that keeps trying (with backoff) while the store is unreachable, until a forced stop; other
   * errors are tried a few times.
   */
  private async storeCall<T>(op: () => Promise<T>): Promise<T> {
    for (let failures = 1; ; failures++) {
      try {
        return await op();
      } catch (err) {
        if (this.hardStop.signal.aborted || (!isUnavailable(err) && failures >= 5)) throw err;
        this.log.error({ err, failures }, 'store call failed; trying again');
        await this.pause(backoffDelay(failures, STORE_RETRY));
      }
    }
  }
}

function parseRef(content: Buffer): DeliveryRef | null {
  try {
    const r = JSON.parse(content.toString('utf8')) as Partial<DeliveryRef>;
    return typeof r.o === 'number' && typeof r.t === 'string' && typeof r.m === 'string' && typeof r.d === 'string'
      ? (r as DeliveryRef)
      : null;
  } catch {
    return null;
  }
}

function refOf(r: DeliveryRef): PublishRef {
  return { outboxId: r.o, token: r.t };
}

/** The store is (for now) unreachable or shutting down, as opposed to refusing this call. */
function isUnavailable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  if (/^(08|53|57P|40)/.test(code)) return true; // connection, resources, admin shutdown, rolled back
  if (/^E(CONNREFUSED|CONNRESET|PIPE|TIMEDOUT|HOSTUNREACH|AI_AGAIN)$/.test(code)) return true;
  return typeof e.message === 'string' && /connection|terminated|timeout/i.test(e.message);
}

/** The URL with `heartbeat` set, unless the URL sets it itself. */
function withHeartbeat(url: string, seconds: number): string {
  const u = new URL(url);
  if (!u.searchParams.has('heartbeat')) u.searchParams.set('heartbeat', String(seconds));
  return u.toString();
}
