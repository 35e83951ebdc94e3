/**
 * The transport contract against the RabbitMQ transport over a real PostgreSQL store and a real RabbitMQ, each
 * test with its own queue prefix (removed afterwards) and the store in a schema of its own. Then what only the
 * broker shows: several instances sharing the queues, a connection closed by the broker under load, stale
 * copies, and the quorum delivery limit dead-lettering a message that is recorded as dead.
 */
import amqp from 'amqplib';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { defaultAdapterRegistry } from '../../adapters/registry.ts';
import type { DestinationConfig, RetryConfig } from '../../src/config/schema.ts';
import { createLogger } from '../../src/log.ts';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres.ts';
import { RabbitMqTransport, type RabbitMqTransportOptions } from '../../src/transport/rabbitmq.ts';
import { assertTopology, topology } from '../../src/transport/rabbitmq-topology.ts';
import { transportContract } from '../contract/transport.contract.ts';
import { type Receiver, startReceiver } from '../helpers/http-receiver.ts';
import { wmo301 } from '../helpers/messages.ts';
import { closeConnectionsNamed, queueDepth, removeTopology } from '../helpers/rabbitmq.ts';
import {
  AMQP_URL,
  brokerLock,
  createSchema,
  PG_URL,
  probePostgres,
  probeRabbitMq,
  servicesAvailable,
  uniqueName,
} from '../helpers/services.ts';

const available = await servicesAvailable('RabbitMQ transport', probePostgres(), probeRabbitMq());
const schema = uniqueName('schakel_transport');
let dropSchema: (() => Promise<void>) | undefined;
let releaseBroker: (() => Promise<void>) | undefined;

async function truncate(): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` });
  await client.connect();
  try {
    await client.query(
      'TRUNCATE messages, status_history, delivery_attempts, audit_log, outbox RESTART IDENTITY CASCADE',
    );
  } finally {
    await client.end();
  }
}

if (available) {
  beforeAll(async () => {
    // The scale-out test restarts RabbitMQ; not while this file needs it.
    releaseBroker = await brokerLock('shared');
    dropSchema = await createSchema(schema);
    const store = openPostgresStore({ url: PG_URL, schema });
    await store.ready;
    await store.close();
  });
  afterAll(async () => {
    await dropSchema?.();
    await releaseBroker?.();
  });
}

const RETRY: RetryConfig = { maxAttempts: 5, baseDelayMs: 20, maxDelayMs: 1000, jitter: 0 };
const WAIT = { timeout: 30_000, interval: 20 };

/** Fresh store tables and a fresh queue prefix; everything started is stopped and removed by `dispose`. */
async function harness() {
  await truncate();
  const store = openPostgresStore({ url: PG_URL, schema, poolSize: 8 });
  await store.ready;
  const prefix = uniqueName('schakel-test');
  const started: RabbitMqTransport[] = [];
  const destinationIds = new Set<string>();
  let retryUsed: RetryConfig = RETRY;
  return {
    store,
    prefix,
    started,
    async start(
      options: {
        destinations: DestinationConfig[];
        retry: RetryConfig;
        concurrency?: number;
      } & Partial<RabbitMqTransportOptions>,
    ) {
      for (const d of options.destinations) destinationIds.add(d.id);
      retryUsed = options.retry;
      const transport = new RabbitMqTransport({
        adapters: defaultAdapterRegistry(),
        url: AMQP_URL,
        queuePrefix: prefix,
        // Only kicks wake the relay: a poll would take longer than any test waits.
        pollIntervalMs: 60_000,
        leaseMs: 60_000,
        publishWindow: 32,
        reconnect: { baseDelayMs: 100, maxDelayMs: 1000, jitter: 0.2 },
        logger: createLogger({ level: 'silent' }),
        ...options,
        concurrency: options.concurrency ?? 4,
        store: options.store ?? store,
      });
      started.push(transport);
      await transport.start();
      await transport.whenConnected();
      return transport;
    },
    async dispose() {
      for (const t of started.splice(0)) await t.stop({ abortAfterMs: 0 });
      await store.close();
      await removeTopology(topology(prefix, retryUsed, 20), [...destinationIds, 'elsewhere']);
    },
  };
}

describe.skipIf(!available)('RabbitMQ transport', () => {
  transportContract('rabbitmq', harness);

  describe('on the broker', () => {
    let h: Awaited<ReturnType<typeof harness>>;
    let receiver: Receiver | undefined;
    afterEach(async () => {
      await h?.dispose();
      await receiver?.close();
      receiver = undefined;
    });

    async function enqueue(store: PostgresStore, n: number, from = 0): Promise<string[]> {
      const ids: string[] = [];
      for (let i = from; i < from + n; i++) {
        ids.push(
          (
            await store.insertMessage(
              wmo301({ berichtIdentificatie: `B-${i}`, destination: 'receiver' }),
              'caller:test',
            )
          ).id,
        );
      }
      return ids;
    }

    async function allDelivered(store: PostgresStore, ids: string[]): Promise<void> {
      await vi.waitFor(async () => {
        const counts = await store.statusCounts();
        expect(counts.delivered).toBe(ids.length);
      }, WAIT);
    }

    it('shares the queues between instances: every message delivered, each by one of them', async () => {
      h = await harness();
      receiver = await startReceiver(() => ({ status: 200, delayMs: 2 }));
      const destination: DestinationConfig = {
        id: 'receiver',
        adapter: 'webhook',
        url: receiver.url,
        timeoutMs: 5000,
        headers: {},
      };
      // Two instances, each with its own store connection pool, as two processes would have.
      const other = openPostgresStore({ url: PG_URL, schema, poolSize: 4 });
      try {
        const a = await h.start({ destinations: [destination], retry: RETRY });
        const b = await h.start({ destinations: [destination], retry: RETRY, store: other });
        const ids = await enqueue(h.store, 300);
        a.kick();
        b.kick();
        await allDelivered(h.store, ids);
        const delivered = receiver.requests.map((r) => r.headers['x-schakel-id'] as string);
        expect(new Set(delivered)).toEqual(new Set(ids));
        expect(delivered).toHaveLength(ids.length);
        expect(a.stats.delivered).toBeGreaterThan(0);
        expect(b.stats.delivered).toBeGreaterThan(0);
        // The store says delivered a moment before the consumer counts it: wait for the count, not a race.
        await vi.waitFor(() => expect(a.stats.delivered + b.stats.delivered).toBe(ids.length), WAIT);
        expect(await queueDepth(a.topology.workQueue('receiver'))).toBe(0);
      } finally {
        for (const t of h.started.splice(0)) await t.stop({ abortAfterMs: 0 });
        await other.close();
      }
    });

    it('reconnects after the broker closed its connection under load, losing nothing', async () => {
      h = await harness();
      receiver = await startReceiver(() => ({ status: 200, delayMs: 5 }));
      const destination: DestinationConfig = {
        id: 'receiver',
        adapter: 'webhook',
        url: receiver.url,
        timeoutMs: 5000,
        headers: {},
      };
      const transport = await h.start({ destinations: [destination], retry: RETRY, concurrency: 8 });
      const ids = await enqueue(h.store, 400);
      transport.kick();
      await vi.waitFor(() => expect(receiver!.requests.length).toBeGreaterThan(50), WAIT);
      expect(await closeConnectionsNamed(transport.owner)).toBe(1);
      const more = await enqueue(h.store, 100, 400);
      transport.kick();
      await allDelivered(h.store, [...ids, ...more]);
      expect(transport.stats.reconnects).toBe(1);
      const delivered = receiver.requests.map((r) => r.headers['x-schakel-id'] as string);
      expect(new Set(delivered)).toEqual(new Set([...ids, ...more]));
      // At least once: a delivery whose outcome was being recorded when the connection went may arrive twice.
      console.log(
        `rabbitmq reconnect: ${delivered.length - ids.length - more.length} duplicates delivered of ${ids.length + more.length}`,
      );
      for (const id of [...ids, ...more]) {
        const attempts = await h.store.deliveryAttempts(id);
        expect(attempts.filter((a) => a.resultStatus === 'delivered')).toHaveLength(1);
      }
    });

    it('drops a copy whose token is no longer current, delivering nothing', async () => {
      h = await harness();
      receiver = await startReceiver(() => ({ status: 200 }));
      const destination: DestinationConfig = {
        id: 'receiver',
        adapter: 'webhook',
        url: receiver.url,
        timeoutMs: 5000,
        headers: {},
      };
      const transport = await h.start({ destinations: [destination], retry: RETRY });
      const [id] = await enqueue(h.store, 1);
      transport.kick();
      await allDelivered(h.store, [id!]);
      // A late copy of the same delivery (as a crashed relay would leave), and one of a message that never existed.
      const connection = await amqp.connect(AMQP_URL);
      try {
        const ch = await connection.createConfirmChannel();
        for (const ref of [
          { o: 1, t: 'old-token', m: id, d: 'receiver' },
          { o: 999, t: 'x', m: 'none', d: 'receiver' },
        ]) {
          ch.publish(transport.topology.deliverExchange, 'receiver', Buffer.from(JSON.stringify(ref)), {
            persistent: true,
          });
        }
        await ch.waitForConfirms();
      } finally {
        await connection.close();
      }
      await vi.waitFor(() => expect(transport.stats.stale).toBe(2), WAIT);
      expect(receiver.requests).toHaveLength(1);
      expect(await queueDepth(transport.topology.workQueue('receiver'))).toBe(0);
    });

    it('records as dead a delivery RabbitMQ dead-lettered at its delivery limit', async () => {
      h = await harness();
      receiver = await startReceiver(() => ({ status: 200 }));
      const destination: DestinationConfig = {
        id: 'receiver',
        adapter: 'webhook',
        url: receiver.url,
        timeoutMs: 5000,
        headers: {},
      };
      const transport = await h.start({ destinations: [destination], retry: RETRY, deliveryLimit: 2 });
      // A delivery for a destination this instance does not consume, published as the relay would.
      const { id } = await h.store.insertMessage(
        wmo301({ berichtIdentificatie: 'POISON', destination: 'elsewhere' }),
        'caller:test',
      );
      const [lease] = await h.store.leaseForPublish('test-relay', 10, 60_000);
      expect(lease!.messageId).toBe(id);
      const t = topology(h.prefix, RETRY, 2);
      const connection = await amqp.connect(AMQP_URL);
      try {
        const ch = await connection.createConfirmChannel();
        await assertTopology(ch, t, ['receiver', 'elsewhere']);
        const ref = { o: lease!.outboxId, t: lease!.token, m: id, d: 'elsewhere' };
        ch.publish(t.deliverExchange, 'elsewhere', Buffer.from(JSON.stringify(ref)), { persistent: true });
        await ch.waitForConfirms();
        // A consumer that keeps dying on it: every delivery is returned unacknowledged.
        const consumer = await connection.createChannel();
        await consumer.prefetch(1);
        let deliveries = 0;
        await consumer.consume(t.workQueue('elsewhere'), (m) => {
          if (!m) return;
          deliveries++;
          consumer.nack(m, false, true);
        });
        await vi.waitFor(async () => expect((await h.store.getMessage(id))!.status).toBe('dead'), WAIT);
        expect(deliveries).toBeGreaterThanOrEqual(2);
      } finally {
        await connection.close();
      }
      expect((await h.store.getMessage(id))!.statusReason).toMatch(/dead-lettered.*delivery_limit/);
      expect(await h.store.deliveryAttempts(id)).toMatchObject([{ outcome: 'failed', resultStatus: 'dead' }]);
      expect(transport.stats.dead).toBe(1);
      expect(receiver.requests).toHaveLength(0);
    });
  });
});
