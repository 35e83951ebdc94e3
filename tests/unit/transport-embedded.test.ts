import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AdapterRegistry, defaultAdapterRegistry } from '../../adapters/registry.ts';
import { webhookAdapter } from '../../adapters/webhook/index.ts';
import { parseConfig } from '../../src/config/load.ts';
import type { DestinationConfig, RetryConfig } from '../../src/config/schema.ts';
import { createLogger } from '../../src/log.ts';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite.ts';
import type { MessageStatus, MessageStore } from '../../src/store/types.ts';
import {
  EmbeddedTransport,
  type EmbeddedTransportOptions,
  embeddedTransportFromConfig,
} from '../../src/transport/embedded.ts';
import { type Receiver, type Reply, startReceiver } from '../helpers/http-receiver.ts';
import { wmo301 } from '../helpers/messages.ts';
import { type TempDir, tempDir } from '../helpers/temp.ts';

const BSN = '123456782';
const RETRY: RetryConfig = { maxAttempts: 5, baseDelayMs: 20, maxDelayMs: 1000, jitter: 0 };

let dir: TempDir;
let store: SqliteStore;
let receiver: Receiver | undefined;
const transports: EmbeddedTransport[] = [];
let logLines: string[];

beforeEach(() => {
  dir = tempDir('schakel-transport-');
  store = openSqliteStore({ file: join(dir.path, 'schakel.sqlite') });
  logLines = [];
});
afterEach(async () => {
  for (const t of transports.splice(0)) await t.stop({ abortAfterMs: 0 });
  await receiver?.close();
  receiver = undefined;
  await store.close();
  dir.remove();
});

async function receiving(answer: (index: number) => Reply): Promise<DestinationConfig> {
  receiver = await startReceiver((_req, i) => answer(i));
  return { id: 'receiver', adapter: 'webhook', url: `${receiver.url}/berichten`, timeoutMs: 5000, headers: {} };
}

/** A transport that only wakes by kick or schedule: a poll would take a minute, longer than any test waits. */
async function startTransport(destination: DestinationConfig, overrides: Partial<EmbeddedTransportOptions> = {}) {
  const logDestination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logLines.push(chunk.toString());
      cb();
    },
  });
  const transport = new EmbeddedTransport({
    store,
    adapters: defaultAdapterRegistry(),
    destinations: [destination],
    retry: RETRY,
    concurrency: 4,
    pollIntervalMs: 60_000,
    leaseMs: 60_000,
    logger: createLogger({ level: 'debug', destination: logDestination }),
    ...overrides,
  });
  transports.push(transport);
  await transport.start();
  return transport;
}

async function enqueue(n = 1, destination = 'receiver'): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await store.insertMessage(wmo301({ berichtIdentificatie: `ID-${i}`, destination }), 'caller:test');
    ids.push(r.id);
  }
  return ids;
}

async function until(id: string, status: MessageStatus) {
  await vi.waitFor(
    async () => {
      expect((await store.getMessage(id))!.status).toBe(status);
    },
    { timeout: 15_000, interval: 5 },
  );
}

describe('embedded transport', () => {
  it('delivers a queued message when kicked', async () => {
    const transport = await startTransport(await receiving(() => ({ status: 200, body: 'ok' })));
    const [id] = await enqueue();
    transport.kick();
    await until(id!, 'delivered');
    expect(receiver!.requests).toHaveLength(1);
    expect(receiver!.requests[0]!.body.toString()).toBe(wmo301({ berichtIdentificatie: 'ID-0' }).body);
    expect(receiver!.requests[0]!.headers['x-schakel-id']).toBe(id);
    const attempts = await store.deliveryAttempts(id!);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ attemptNo: 1, outcome: 'delivered', httpStatus: 200, answerExcerpt: 'ok' });
    expect((await store.statusHistory(id!)).map((h) => h.to)).toEqual(['queued', 'delivered']);
  });

  it('picks up messages queued before it started', async () => {
    const ids = await enqueue(3);
    await startTransport(await receiving(() => ({ status: 204 })));
    for (const id of ids) await until(id, 'delivered');
  });

  it('retries a receiver that is down three times, with growing delays, then delivers', async () => {
    const transport = await startTransport(
      await receiving((i) => (i < 3 ? { status: 503, body: 'onderhoud' } : { status: 200 })),
    );
    const [id] = await enqueue();
    transport.kick();
    await until(id!, 'delivered');

    const attempts = await store.deliveryAttempts(id!);
    expect(attempts.map((a) => [a.attemptNo, a.outcome, a.httpStatus, a.resultStatus])).toEqual([
      [1, 'retry', 503, 'queued'],
      [2, 'retry', 503, 'queued'],
      [3, 'retry', 503, 'queued'],
      [4, 'delivered', 200, 'delivered'],
    ]);
    const delays = attempts.slice(0, 3).map((a) => a.nextAttemptAt!.getTime() - a.finishedAt.getTime());
    expect(delays).toEqual([20, 40, 80]);
    for (let i = 1; i < attempts.length; i++) {
      expect(attempts[i]!.startedAt.getTime()).toBeGreaterThanOrEqual(attempts[i - 1]!.nextAttemptAt!.getTime());
    }
    expect(receiver!.requests).toHaveLength(4);
    expect(new Set(receiver!.requests.map((r) => r.headers['x-schakel-id']))).toEqual(new Set([id]));
    expect(receiver!.requests.map((r) => r.headers['x-schakel-attempt'])).toEqual(['1', '2', '3', '4']);
  });

  it('gives up after maxAttempts and marks the message dead', async () => {
    const transport = await startTransport(await receiving(() => ({ status: 503 })), {
      retry: { ...RETRY, maxAttempts: 3 },
    });
    const [id] = await enqueue();
    transport.kick();
    await until(id!, 'dead');
    expect(receiver!.requests).toHaveLength(3);
    const attempts = await store.deliveryAttempts(id!);
    expect(attempts.map((a) => a.resultStatus)).toEqual(['queued', 'queued', 'dead']);
    expect(attempts[2]!.nextAttemptAt).toBeNull();
    expect(await store.nextDueAt()).toBeNull();
    expect((await store.getMessage(id!))!.statusReason).toMatch(/^HTTP 503/);
  });

  it('does not retry a refusal (400) and keeps no BSN from the answer', async () => {
    const transport = await startTransport(await receiving(() => ({ status: 400, body: `Onbekende client ${BSN}` })));
    const [id] = await enqueue();
    transport.kick();
    await until(id!, 'failed');
    expect(receiver!.requests).toHaveLength(1);
    const [attempt] = await store.deliveryAttempts(id!);
    expect(attempt).toMatchObject({ outcome: 'failed', httpStatus: 400, answerExcerpt: 'Onbekende client *********' });
    expect(await store.nextDueAt()).toBeNull();
    // The status is readable as soon as it is committed; the log line follows once the commit is on disk.
    await vi.waitFor(() => expect(logLines.join('')).toContain('delivery failed permanently'), {
      timeout: 5000,
      interval: 5,
    });
    expect(logLines.join('')).not.toContain(BSN);
  });

  it('waits at least as long as Retry-After asks, capped at maxDelayMs', async () => {
    const transport = await startTransport(
      await receiving((i) => (i === 0 ? { status: 429, headers: { 'Retry-After': '3600' } } : { status: 200 })),
      { retry: { ...RETRY, maxDelayMs: 150 } },
    );
    const [id] = await enqueue();
    transport.kick();
    await until(id!, 'delivered');
    const [first] = await store.deliveryAttempts(id!);
    expect(first!.nextAttemptAt!.getTime() - first!.finishedAt.getTime()).toBe(150);
  });

  it('fails a message whose destination is not configured', async () => {
    const transport = await startTransport(await receiving(() => ({ status: 200 })));
    const [id] = await enqueue(1, 'removed-from-config');
    transport.kick();
    await until(id!, 'failed');
    expect((await store.getMessage(id!))!.statusReason).toBe('unknown destination "removed-from-config"');
    expect(receiver!.requests).toHaveLength(0);
  });

  it('runs at most `concurrency` deliveries at once', async () => {
    const transport = await startTransport(await receiving(() => ({ status: 200, delayMs: 100 })), { concurrency: 2 });
    const ids = await enqueue(6);
    transport.kick();
    for (const id of ids) await until(id, 'delivered');
    expect(receiver!.requests).toHaveLength(6);
    expect(receiver!.maxConcurrent).toBe(2);
  });

  it('leases in batches, not one store call per delivery', async () => {
    const ids = await enqueue(20);
    const limits: number[] = [];
    const counting: MessageStore = Object.assign(Object.create(store) as SqliteStore, {
      leaseDue: async (...args: Parameters<MessageStore['leaseDue']>) => {
        const leased = await store.leaseDue(...args);
        if (leased.length > 0) limits.push(args[1]);
        return leased;
      },
    });
    await startTransport(await receiving(() => ({ status: 200 })), { store: counting, concurrency: 2 });
    for (const id of ids) await until(id, 'delivered');
    // 20 deliveries, two at a time: batches of up to 4 × concurrency, asked for while earlier ones are under way.
    expect(limits[0]).toBe(8);
    expect(limits.length).toBeLessThanOrEqual(Math.ceil(20 / 2));
    expect(new Set(receiver!.requests.map((r) => r.headers['x-schakel-id']))).toEqual(new Set(ids));
  });

  it('does not keep asking the store once the outbox is empty', async () => {
    let calls = 0;
    const counting: MessageStore = Object.assign(Object.create(store) as SqliteStore, {
      leaseDue: async (...args: Parameters<MessageStore['leaseDue']>) => {
        calls++;
        return store.leaseDue(...args);
      },
    });
    const transport = await startTransport(await receiving(() => ({ status: 200 })), { store: counting });
    const [id] = await enqueue();
    transport.kick();
    await until(id!, 'delivered');
    const after = calls;
    // Idle, with the poll a minute away: no look at the outbox until a kick or the poll (each look is a write).
    await new Promise((r) => setTimeout(r, 300));
    expect(calls).toBe(after);
    const next = await store.insertMessage(
      wmo301({ berichtIdentificatie: 'ID-next', destination: 'receiver' }),
      'caller:test',
    );
    transport.kick();
    await until(next.id, 'delivered');
    expect(calls).toBeGreaterThan(after);
  });

  it('frees a slot when the receiver answered: deliveries go on while their records wait for the store', async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const waiting: MessageStore = Object.assign(Object.create(store) as SqliteStore, {
      completeDelivery: async (...args: Parameters<MessageStore['completeDelivery']>) => {
        await gate;
        return store.completeDelivery(...args);
      },
    });
    const ids = await enqueue(6);
    const transport = await startTransport(await receiving(() => ({ status: 200 })), {
      store: waiting,
      concurrency: 2,
    });
    transport.kick();
    // No record has been written, yet all six reached the receiver, never more than two at once.
    await vi.waitFor(() => expect(receiver!.requests).toHaveLength(6), { timeout: 15_000, interval: 5 });
    expect(receiver!.maxConcurrent).toBeLessThanOrEqual(2);
    for (const id of ids) expect(await store.deliveryAttempts(id)).toEqual([]);
    open();
    for (const id of ids) await until(id, 'delivered');
    for (const id of ids) expect(await store.deliveryAttempts(id)).toHaveLength(1);
  });

  it('stops gracefully: a delivery in flight finishes and is recorded', async () => {
    const transport = await startTransport(await receiving(() => ({ status: 200, delayMs: 300 })));
    const [id] = await enqueue();
    transport.kick();
    await vi.waitFor(() => expect(receiver!.requests).toHaveLength(1), { timeout: 15_000, interval: 5 });
    await transport.stop();
    expect((await store.getMessage(id!))!.status).toBe('delivered');
  });

  it('on a forced stop hands the delivery back uncounted, for the next run to deliver', async () => {
    const slow = await receiving((i) => (i === 0 ? { status: 200, delayMs: 10_000 } : { status: 200 }));
    const first = await startTransport(slow);
    const [id] = await enqueue();
    first.kick();
    await vi.waitFor(() => expect(receiver!.requests).toHaveLength(1), { timeout: 15_000, interval: 5 });
    await first.stop({ abortAfterMs: 10 });
    expect((await store.getMessage(id!))!.status).toBe('queued');
    expect(await store.deliveryAttempts(id!)).toEqual([]);

    await startTransport(slow);
    await until(id!, 'delivered');
    const attempts = await store.deliveryAttempts(id!);
    expect(attempts.map((a) => a.attemptNo)).toEqual([1]);
    expect(receiver!.requests).toHaveLength(2);
  });

  it('aborts an attempt before its lease runs out, and retries it', async () => {
    const transport = await startTransport(
      await receiving((i) => (i === 0 ? { status: 200, delayMs: 10_000 } : { status: 200 })),
      { leaseMs: 300 },
    );
    const [id] = await enqueue();
    transport.kick();
    await until(id!, 'delivered');
    const attempts = await store.deliveryAttempts(id!);
    expect(attempts.map((a) => [a.outcome, a.reason])).toEqual([
      ['retry', 'aborted before the receiver answered'],
      ['delivered', null],
    ]);
  });

  it('is built from configuration, refusing destinations no adapter serves', async () => {
    const destination = await receiving(() => ({ status: 200 }));
    const config = parseConfig(
      `destinations:\n  - { id: receiver, adapter: webhook, url: "${destination.url}" }\n` +
        'transport: { pollIntervalMs: 60000 }\n',
      '/etc/schakel.yaml',
    );
    const transport = embeddedTransportFromConfig(
      config,
      store,
      createLogger({ level: 'silent' }),
      defaultAdapterRegistry(),
    );
    transports.push(transport);
    await transport.start();
    const [id] = await enqueue();
    transport.kick();
    await until(id!, 'delivered');

    // Every configured adapter kind is served by the default registry; a registry without one refuses it.
    const ggk = parseConfig(
      'destinations:\n  - { id: ggk-prod, adapter: ggk, url: "https://ggk.example" }\n',
      '/x.yaml',
    );
    expect(() =>
      embeddedTransportFromConfig(ggk, store, createLogger({ level: 'silent' }), defaultAdapterRegistry()),
    ).not.toThrow();
    expect(() =>
      embeddedTransportFromConfig(
        ggk,
        store,
        createLogger({ level: 'silent' }),
        new AdapterRegistry([webhookAdapter()]),
      ),
    ).toThrow('no adapter available for destination(s): ggk-prod (ggk)');
  });

  it('delivers again when the outcome could not be recorded (at least once)', async () => {
    let crashed = false;
    const crashingOnce: MessageStore = Object.assign(Object.create(store) as SqliteStore, {
      completeDelivery: async (...args: Parameters<MessageStore['completeDelivery']>) => {
        if (!crashed) {
          crashed = true;
          throw new Error('simulated crash between delivery and record');
        }
        return store.completeDelivery(...args);
      },
    });
    const transport = await startTransport(await receiving(() => ({ status: 200 })), {
      store: crashingOnce,
      leaseMs: 200,
    });
    const [id] = await enqueue();
    transport.kick();
    await until(id!, 'delivered');
    expect(receiver!.requests.map((r) => r.headers['x-schakel-id'])).toEqual([id, id]);
    expect(logLines.join('')).toContain('recording a delivery failed');
  });
});
