/**
 * The AMQP adapter against the real RabbitMQ: what arrives in the queue (exact body, persistent, the Schakel
 * headers), what is retried (unroutable, a missing exchange, a broker that is not there) and why, one
 * connection per broker shared by destinations, reconnecting after the broker closed it, and closing. Then a
 * gateway that routes a message to an amqp destination.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp, { type Channel, type ChannelModel, type GetMessage } from 'amqplib';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AmqpAdapter, type AmqpDestination, amqpAdapter } from '../../adapters/amqp/index.ts';
import { parseConfig } from '../../src/config/load.ts';
import { build } from '../../src/examples/stuf-jz.ts';
import { Gateway } from '../../src/gateway.ts';
import { createLogger } from '../../src/log.ts';
import { hashApiKey } from '../../src/security/api-keys.ts';
import type { OutgoingMessage } from '../../src/transport/adapter.ts';
import { eventually } from '../helpers/gateway.ts';
import { closeConnectionsNamed, rabbitmqctl } from '../helpers/rabbitmq.ts';
import {
  AMQP_URL,
  brokerLock,
  probePostgres,
  probeRabbitMq,
  servicesAvailable,
  uniqueName,
} from '../helpers/services.ts';

// The broker lock lives in PostgreSQL: the scale-out suite stops RabbitMQ, never while this file needs it.
const available = await servicesAvailable('AMQP adapter', probeRabbitMq(), probePostgres());

let admin: ChannelModel;
let ch: Channel;
let releaseBroker: (() => Promise<void>) | undefined;
const queues: string[] = [];
const exchanges: string[] = [];

if (available) {
  beforeAll(async () => {
    releaseBroker = await brokerLock('shared');
    admin = await amqp.connect(AMQP_URL);
    ch = await admin.createChannel();
  });
  afterAll(async () => {
    for (const q of queues) await ch.deleteQueue(q).catch(() => undefined);
    for (const x of exchanges) await ch.deleteExchange(x).catch(() => undefined);
    await admin?.close().catch(() => undefined);
    await releaseBroker?.();
  });
}

/** A durable queue bound to a direct exchange under `routingKey`; both removed after the file. */
async function topology(routingKey = 'berichten') {
  const queue = uniqueName('schakel-amqp-q');
  const exchange = uniqueName('schakel-amqp-x');
  await ch.assertQueue(queue, { durable: true });
  await ch.assertExchange(exchange, 'direct', { durable: true });
  await ch.bindQueue(queue, exchange, routingKey);
  queues.push(queue);
  exchanges.push(exchange);
  return { queue, exchange, routingKey };
}

function destination(overrides: Partial<AmqpDestination>): AmqpDestination {
  return { id: 'intern', adapter: 'amqp', url: AMQP_URL, timeoutMs: 5000, ...overrides } as AmqpDestination;
}

function outgoing(overrides: Partial<OutgoingMessage> = {}): OutgoingMessage {
  return {
    id: crypto.randomUUID(),
    standard: 'stuf-jz',
    release: '1.0.9',
    messageName: 'notificatieDi01',
    direction: 'heen',
    afzender: '00000099000000020001',
    ontvanger: '00000099000000010001',
    berichtIdentificatie: null,
    referentienummer: crypto.randomUUID(),
    crossRef: null,
    correlatedTo: null,
    body: Buffer.from(build('notificatieDi01'), 'utf8'),
    attempt: 1,
    ...overrides,
  };
}

/** Takes the next message from a queue (acknowledged), or fails when there is none. */
async function take(queue: string): Promise<GetMessage> {
  const m = await ch.get(queue, { noAck: true });
  if (!m) throw new Error(`queue ${queue} is empty`);
  return m;
}

/** A local port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const never = new AbortController().signal;

describe.skipIf(!available)('AMQP adapter on RabbitMQ', () => {
  let adapter: AmqpAdapter;
  beforeEach(() => {
    adapter = amqpAdapter({ connectionName: uniqueName('schakel-amqp-test') });
  });
  afterEach(async () => {
    await adapter.close();
  });

  it('publishes the exact body, persistent, with the Schakel headers; the confirm means delivered', async () => {
    const t = await topology();
    const message = outgoing({ attempt: 2, correlatedTo: '11111111-2222-4333-8444-555555555555' });
    const outcome = await adapter.deliver(
      message,
      destination({ exchange: t.exchange, routingKey: t.routingKey }),
      never,
    );
    expect(outcome).toEqual({
      kind: 'delivered',
      answer: `confirmed by RabbitMQ: 127.0.0.1:5672 exchange "${t.exchange}"`,
    });

    const got = await take(t.queue);
    expect(got.content.equals(message.body)).toBe(true);
    expect(got.properties).toMatchObject({
      contentType: 'application/xml',
      deliveryMode: 2,
      messageId: message.id,
      type: 'notificatieDi01',
      appId: 'schakel',
      headers: {
        'x-schakel-id': message.id,
        'x-schakel-message': 'notificatieDi01',
        'x-schakel-correlation': '11111111-2222-4333-8444-555555555555',
        'x-schakel-attempt': '2',
      },
    });
    expect(got.fields.exchange).toBe(t.exchange);
    expect(got.fields.routingKey).toBe(t.routingKey);
  });

  it('publishes to a named queue; without a correlation the message is its own', async () => {
    const t = await topology();
    const message = outgoing();
    expect((await adapter.deliver(message, destination({ queue: t.queue }), never)).kind).toBe('delivered');
    const got = await take(t.queue);
    expect(got.fields.exchange).toBe('');
    expect(got.properties.headers).toMatchObject({ 'x-schakel-correlation': message.id, 'x-schakel-attempt': '1' });
  });

  it('retries an unroutable message with the reason: no binding for the routing key, no such queue', async () => {
    const t = await topology();
    const unbound = await adapter.deliver(
      outgoing(),
      destination({ exchange: t.exchange, routingKey: 'nobody-listens' }),
      never,
    );
    expect(unbound).toEqual({
      kind: 'retry',
      reason: `returned by RabbitMQ as unroutable (312 NO_ROUTE): exchange "${t.exchange}" has no binding for routing key "nobody-listens"`,
    });
    const noQueue = await adapter.deliver(outgoing(), destination({ queue: 'schakel-no-such-queue' }), never);
    expect(noQueue).toEqual({
      kind: 'retry',
      reason: 'returned by RabbitMQ as unroutable (312 NO_ROUTE): no queue "schakel-no-such-queue"',
    });
    // Nothing reached the queue, and the channel is still good for a routable message.
    expect((await ch.checkQueue(t.queue)).messageCount).toBe(0);
    expect(
      (await adapter.deliver(outgoing(), destination({ exchange: t.exchange, routingKey: t.routingKey }), never)).kind,
    ).toBe('delivered');
  });

  it('retries when the exchange does not exist; other destinations on the broker keep delivering', async () => {
    const t = await topology();
    const missing = await adapter.deliver(
      outgoing(),
      destination({ id: 'kapot', exchange: 'schakel-no-such-exchange', routingKey: 'x' }),
      never,
    );
    expect(missing.kind).toBe('retry');
    expect((missing as { reason: string }).reason).toMatch(
      /^RabbitMQ closed the channel: .*404 \(NOT-FOUND\).*no exchange 'schakel-no-such-exchange'/,
    );

    expect((await adapter.deliver(outgoing(), destination({ id: 'goed', queue: t.queue }), never)).kind).toBe(
      'delivered',
    );
    // The failing destination gets a fresh channel on its next try (and fails the same way, not with "closed").
    const again = await adapter.deliver(
      outgoing(),
      destination({ id: 'kapot', exchange: 'schakel-no-such-exchange', routingKey: 'x' }),
      never,
    );
    expect((again as { reason: string }).reason).toMatch(/404/);
    expect(adapter.connections.openConnections).toBe(1);
  });

  it('retries when the broker is not there (connection refused), naming host and port but no credentials', async () => {
    const port = await closedPort();
    const url = `amqp://geheim-account:geheim-wachtwoord@127.0.0.1:${port}`;
    const outcome = await adapter.deliver(outgoing(), destination({ url, queue: 'q' }), never);
    expect(outcome.kind).toBe('retry');
    const reason = (outcome as { reason: string }).reason;
    expect(reason).toMatch(new RegExp(`^RabbitMQ at 127\\.0\\.0\\.1:${port} unreachable: .*ECONNREFUSED`));
    expect(reason).not.toMatch(/geheim/);
    expect(adapter.connections.openConnections).toBe(0);
  });

  it('shares one connection per broker between destinations and opens it only when needed', async () => {
    const a = await topology();
    const b = await topology();
    expect(adapter.connections.openConnections).toBe(0);
    await Promise.all([
      adapter.deliver(outgoing(), destination({ id: 'a', queue: a.queue }), never),
      adapter.deliver(outgoing(), destination({ id: 'b', exchange: b.exchange, routingKey: b.routingKey }), never),
      adapter.deliver(outgoing(), destination({ id: 'a', queue: a.queue }), never),
    ]);
    expect(adapter.connections.openConnections).toBe(1);
    const listed = await rabbitmqctl('list_connections', 'client_properties', '-q');
    expect(listed.split('\n').filter((l) => l.includes(`"${adapter.connections.connectionName}"`))).toHaveLength(1);
    expect((await ch.checkQueue(a.queue)).messageCount).toBe(2);
    expect((await ch.checkQueue(b.queue)).messageCount).toBe(1);
  });

  it('reconnects after the broker closed the connection', async () => {
    const t = await topology();
    const to = destination({ queue: t.queue });
    expect((await adapter.deliver(outgoing(), to, never)).kind).toBe('delivered');
    expect(await closeConnectionsNamed(adapter.connections.connectionName)).toBe(1);
    await eventually(() => adapter.connections.openConnections === 0, { timeoutMs: 10_000 });
    expect((await adapter.deliver(outgoing(), to, never)).kind).toBe('delivered');
    expect((await ch.checkQueue(t.queue)).messageCount).toBe(2);
  });

  it('stops waiting when the delivery is aborted, and refuses to deliver once closed', async () => {
    const t = await topology();
    const aborted = AbortSignal.abort();
    expect(await adapter.deliver(outgoing(), destination({ queue: t.queue }), aborted)).toEqual({
      kind: 'retry',
      reason: 'RabbitMQ at 127.0.0.1:5672 unreachable: aborted while connecting',
    });
    expect((await adapter.deliver(outgoing(), destination({ queue: t.queue }), never)).kind).toBe('delivered');
    await adapter.close();
    expect(adapter.connections.openConnections).toBe(0);
    const after = await adapter.deliver(outgoing(), destination({ queue: t.queue }), never);
    expect(after).toEqual({
      kind: 'retry',
      reason: 'RabbitMQ at 127.0.0.1:5672 unreachable: the AMQP adapter is closed',
    });
  });

  it('fails, without retrying, a destination of another adapter', async () => {
    const webhook = { id: 'w', adapter: 'webhook', url: 'http://127.0.0.1:1/', timeoutMs: 1000, headers: {} } as never;
    expect(await adapter.deliver(outgoing(), webhook, never)).toEqual({
      kind: 'failed',
      reason: 'amqp adapter cannot serve a "webhook" destination',
    });
  });
});

const CORV_KEY = 'test-key-corv-notificaties';

describe.skipIf(!available)('a gateway with an amqp destination', () => {
  let dataDir: string;
  let gateway: Gateway | undefined;
  afterEach(async () => {
    await gateway?.stop();
    gateway = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("delivers a notificatie from CORV into the internal system's queue and closes its connection on stop", async () => {
    const t = await topology('corv.notificaties');
    dataDir = mkdtempSync(join(tmpdir(), 'schakel-amqp-gw-'));
    const config = parseConfig(
      `
server: { port: 0, host: 127.0.0.1 }
dataDir: ${JSON.stringify(dataDir)}
log: { level: silent }
parties:
  external:
    - { id: corv, kind: corv, codes: { organisatie: ["00000099000000020001"] } }
inbound:
  - { party: corv, apiKeys: ["${hashApiKey(CORV_KEY)}"], messages: [notificatieDi01] }
destinations:
  - { id: jeugd-systeem, adapter: amqp, url: "${AMQP_URL}", exchange: "${t.exchange}", routingKey: corv.notificaties, timeoutMs: 5000 }
routes:
  - { standard: stuf-jz, message: notificatieDi01, destination: jeugd-systeem }
retry: { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 100, jitter: 0 }
transport: { kind: embedded, pollIntervalMs: 20 }
`,
      join(dataDir, 'test.yaml'),
      { env: {} },
    );
    gateway = new Gateway({ config, logger: createLogger({ level: 'silent' }) });
    await gateway.start();
    const base = `http://127.0.0.1:${gateway.port}`;
    const body = build('notificatieDi01');
    const res = await fetch(`${base}/inbound/corv`, {
      method: 'POST',
      headers: { authorization: `Bearer ${CORV_KEY}`, 'content-type': 'application/xml' },
      body,
    });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };

    await eventually(async () => expect((await gateway!.store.getMessage(id))?.status).toBe('delivered'), {
      timeoutMs: 15_000,
    });
    const got = await take(t.queue);
    expect(got.content.toString('utf8')).toBe(body);
    expect(got.properties).toMatchObject({ messageId: id, deliveryMode: 2, contentType: 'application/xml' });
    expect(got.properties.headers).toMatchObject({
      'x-schakel-id': id,
      'x-schakel-message': 'notificatieDi01',
      'x-schakel-attempt': '1',
    });
    const [attempt] = await gateway.store.deliveryAttempts(id);
    expect(attempt).toMatchObject({
      outcome: 'delivered',
      destination: 'jeugd-systeem',
      answerExcerpt: `confirmed by RabbitMQ: 127.0.0.1:5672 exchange "${t.exchange}"`,
    });

    const ours = async () =>
      (await rabbitmqctl('list_connections', 'client_properties', '-q'))
        .split('\n')
        .filter((l) => l.includes(`"schakel-amqp:`) && l.includes(`:${process.pid}:`)).length;
    expect(await ours()).toBe(1);
    await gateway.stop();
    gateway = undefined;
    await eventually(async () => (await ours()) === 0, { timeoutMs: 10_000 });
  });
});
