/**
 * The outbox relay over the SQLite store with a publisher the test controls: publishes are pipelined up to the
 * window (never one confirm at a time), rows are marked published only after their confirm, and a publish
 * that fails is handed back and published again under a new token.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../src/log.ts';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite.ts';
import type { PublishLease } from '../../src/store/types.ts';
import { OutboxRelay } from '../../src/transport/outbox-relay.ts';
import { delayLevels, levelFor } from '../../src/transport/rabbitmq-topology.ts';
import { wmo301 } from '../helpers/messages.ts';
import { type TempDir, tempDir } from '../helpers/temp.ts';

interface Pending {
  lease: PublishLease;
  confirm(): void;
  fail(err: Error): void;
}

/** A publisher whose confirms the test gives (or refuses) by hand. */
function controlledPublisher() {
  const pending: Pending[] = [];
  const published: PublishLease[] = [];
  let maxInFlight = 0;
  return {
    pending,
    published,
    get maxInFlight() {
      return maxInFlight;
    },
    isConnected: () => true,
    publish(lease: PublishLease): Promise<void> {
      published.push(lease);
      return new Promise<void>((resolve, reject) => {
        pending.push({ lease, confirm: resolve, fail: reject });
        maxInFlight = Math.max(maxInFlight, pending.length);
      });
    },
    settle(n: number, how: 'confirm' | 'fail' = 'confirm') {
      for (const p of pending.splice(0, n)) how === 'confirm' ? p.confirm() : p.fail(new Error('nacked'));
    },
  };
}

let dir: TempDir;
let store: SqliteStore;
const relays: OutboxRelay[] = [];
beforeEach(() => {
  dir = tempDir('schakel-relay-');
  store = openSqliteStore({ file: join(dir.path, 'schakel.sqlite') });
});
afterEach(async () => {
  for (const r of relays.splice(0)) await r.stop();
  await store.close();
  dir.remove();
});

function relay(publisher: ReturnType<typeof controlledPublisher>, window: number) {
  const r = new OutboxRelay({
    store,
    publisher,
    owner: 'relay-test',
    batch: 100,
    window,
    publishLeaseMs: 60_000,
    horizonMs: 0,
    pollIntervalMs: 60_000,
    logger: createLogger({ level: 'silent' }),
  });
  relays.push(r);
  r.start();
  return r;
}

async function enqueue(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await store.insertMessage(wmo301({ berichtIdentificatie: `R-${i}` }), 'test');
}

const phases = () =>
  store.db
    .prepare<[], { phase: string; n: number }>('SELECT phase, COUNT(*) AS n FROM outbox GROUP BY phase ORDER BY phase')
    .all();

describe('outbox relay', () => {
  it('keeps up to `window` publishes awaiting their confirm, and no more', async () => {
    await enqueue(25);
    const publisher = controlledPublisher();
    const r = relay(publisher, 10);
    await vi.waitFor(() => expect(publisher.pending).toHaveLength(10));
    // Nothing more goes out until confirms free the window.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(publisher.published).toHaveLength(10);
    publisher.settle(4);
    await vi.waitFor(() => expect(publisher.pending).toHaveLength(10));
    expect(publisher.published).toHaveLength(14);
    while (publisher.published.length < 25 || publisher.pending.length > 0) {
      publisher.settle(publisher.pending.length);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(publisher.maxInFlight).toBe(10);
    await vi.waitFor(() => expect(r.stats.published).toBe(25));
    expect(phases()).toEqual([{ phase: 'published', n: 25 }]);
  });

  it('marks a row published only after its confirm', async () => {
    await enqueue(3);
    const publisher = controlledPublisher();
    relay(publisher, 10);
    await vi.waitFor(() => expect(publisher.pending).toHaveLength(3));
    expect(phases()).toEqual([{ phase: 'publishing', n: 3 }]);
    publisher.settle(1);
    await vi.waitFor(() =>
      expect(phases()).toEqual([
        { phase: 'published', n: 1 },
        { phase: 'publishing', n: 2 },
      ]),
    );
    publisher.settle(2);
  });

  it('does not wait forever on stop for a confirm that never comes', async () => {
    await enqueue(1);
    const publisher = controlledPublisher();
    const r = relay(publisher, 10);
    await vi.waitFor(() => expect(publisher.pending).toHaveLength(1));
    await r.stop(50);
    expect(phases()).toEqual([{ phase: 'publishing', n: 1 }]);
  });

  it('hands a failed publish back and publishes it again under a new token', async () => {
    await enqueue(1);
    const publisher = controlledPublisher();
    const r = relay(publisher, 10);
    await vi.waitFor(() => expect(publisher.pending).toHaveLength(1));
    const first = publisher.pending[0]!.lease;
    publisher.settle(1, 'fail');
    r.kick();
    await vi.waitFor(() => expect(publisher.published).toHaveLength(2));
    const second = publisher.published[1]!;
    expect(second.outboxId).toBe(first.outboxId);
    expect(second.token).not.toBe(first.token);
    publisher.settle(1);
    await vi.waitFor(() => expect(phases()).toEqual([{ phase: 'published', n: 1 }]));
    expect(r.stats.failed).toBe(1);
  });

  it('waits for publishes in flight on stop, recording their outcome', async () => {
    await enqueue(2);
    const publisher = controlledPublisher();
    const r = relay(publisher, 10);
    await vi.waitFor(() => expect(publisher.pending).toHaveLength(2));
    const stopped = r.stop();
    publisher.settle(2);
    await stopped;
    expect(phases()).toEqual([{ phase: 'published', n: 2 }]);
  });
});

describe('delay levels', () => {
  it('doubles from the base delay up to the maximum, which is always a level', () => {
    expect(delayLevels({ baseDelayMs: 30_000, maxDelayMs: 3_600_000 })).toEqual([
      30_000, 60_000, 120_000, 240_000, 480_000, 960_000, 1_920_000, 3_600_000,
    ]);
    expect(delayLevels({ baseDelayMs: 1000, maxDelayMs: 1000 })).toEqual([1000]);
  });

  it('puts a wait in the smallest level at least as long', () => {
    const levels = delayLevels({ baseDelayMs: 20, maxDelayMs: 1000 });
    expect(levels).toEqual([20, 40, 80, 160, 320, 640, 1000]);
    expect([1, 16, 20, 21, 40, 700, 1000, 5000].map((d) => levelFor(levels, d))).toEqual([
      20, 20, 20, 40, 40, 1000, 1000, 1000,
    ]);
  });
});
