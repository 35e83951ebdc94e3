/**
 * Bulk jobs kept in the store (issue 15 part 3), over a real SQLite store with two runners as two instances:
 * progress in batches, a job let go by a stopping instance or left by a dead one is continued by another, and
 * shows as interrupted until then.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Job, JobRunner } from '../../src/beheer/jobs.ts';
import { createLogger } from '../../src/log.ts';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite.ts';
import type { ActionResult, BeheerState, MessageStore } from '../../src/store/types.ts';
import { wmo301 } from '../helpers/messages.ts';
import { type TempDir, tempDir } from '../helpers/temp.ts';

const silent = createLogger({ level: 'silent' });

let dir: TempDir;
let store: SqliteStore;
const runners: JobRunner[] = [];

beforeEach(() => {
  dir = tempDir('schakel-jobs-');
  store = openSqliteStore({ file: join(dir.path, 'db.sqlite') });
});

afterEach(async () => {
  for (const r of runners.splice(0)) await r.close();
  await store.close();
  dir.remove();
});

async function queued(n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await store.insertMessage(wmo301({ berichtIdentificatie: `J-${i}` }), 'test');
    if (r.kind !== 'inserted') throw new Error(r.kind);
    ids.push(r.id);
  }
  return ids;
}

/** The store, with `hold` waiting for `gate` (when given) and the progress writes counted. */
function instrumented(gate?: Promise<void>) {
  let progressWrites = 0;
  let holdsStarted = 0;
  const state = new Proxy(store.beheerState, {
    get(target, prop) {
      const v: unknown = Reflect.get(target, prop, target);
      if (prop === 'recordJobProgress') progressWrites++;
      return typeof v === 'function' ? (v as () => unknown).bind(target) : v;
    },
  }) as BeheerState;
  const s = new Proxy(store, {
    get(target, prop) {
      if (prop === 'beheerState') return state;
      if (prop === 'hold' && gate) {
        return async (...a: Parameters<MessageStore['hold']>): Promise<ActionResult> => {
          holdsStarted++;
          await gate;
          return target.hold(...a);
        };
      }
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as () => unknown).bind(target) : v;
    },
  }) as MessageStore;
  return { store: s, progressWrites: () => progressWrites, holdsStarted: () => holdsStarted };
}

function runner(s: MessageStore, o: Partial<ConstructorParameters<typeof JobRunner>[0]> = {}): JobRunner {
  const r = new JobRunner({ store: s, logger: silent, concurrency: () => 2, adoptEveryMs: 0, ...o });
  runners.push(r);
  return r;
}

async function until(r: JobRunner, id: string, done: (j: Job) => boolean): Promise<Job> {
  for (let i = 0; i < 2000; i++) {
    const j = (await r.get(id))!;
    if (done(j)) return j;
    await new Promise((res) => setTimeout(res, 5));
  }
  throw new Error(`job ${id} never got there: ${JSON.stringify(await r.get(id))}`);
}

describe('bulk jobs in the store', () => {
  it('writes progress in batches, not once per message, and another instance reads it all', async () => {
    const ids = await queued(60);
    const s = instrumented();
    const a = runner(s.store, { flushEvery: 25, flushMs: 60_000 });
    const b = runner(store);
    const job = await a.start({ action: 'hold', actor: 'beheer:anna', ids, selection: { kind: 'ids' } });
    expect((await b.get(job.id))?.state).toBe('running');
    const done = await until(b, job.id, (j) => j.state === 'done');
    expect(done).toMatchObject({ total: 60, done: 60, ok: 60, failed: 0 });
    expect(done.results.map((r) => r.id).sort()).toEqual([...ids].sort());
    // 60 results in batches of 25: three writes (the last one on finishing), not sixty.
    expect(s.progressWrites()).toBe(3);
    expect((await b.list()).map((j) => j.id)).toEqual([job.id]);
  });

  it('a stopping instance lets go of its job; it shows as interrupted, and another instance continues it', async () => {
    const ids = await queued(8);
    let open!: () => void;
    const s = instrumented(new Promise<void>((r) => (open = r)));
    const a = runner(s.store, { concurrency: () => 2 });
    const job = await a.start({ action: 'hold', actor: 'beheer:anna', ids, selection: { kind: 'ids' } });
    for (let i = 0; i < 1000 && s.holdsStarted() < 2; i++) await new Promise((r) => setTimeout(r, 2));
    const stopping = a.close();
    open();
    await stopping;
    const b = runner(store);
    const left = await b.get(job.id);
    expect(left).toMatchObject({ state: 'interrupted', done: 2, total: 8 });
    expect(await b.adopt()).toBe(true);
    const done = await until(b, job.id, (j) => j.state === 'done');
    expect(done).toMatchObject({ done: 8, ok: 8, failed: 0 });
    expect(done.results.map((r) => r.id).sort()).toEqual([...ids].sort());
    for (const id of ids) expect((await store.getMessage(id))?.status).toBe('on_hold');
    const audit = (await store.listAudit({ limit: 100 })).map((e) => e.action);
    expect(audit.filter((x) => x === 'beheer.job-resumed')).toHaveLength(1);
    expect(audit.filter((x) => x === 'beheer.job-finished')).toHaveLength(1);
  });

  it("a dead instance's job is taken over once its lease ran out; the old owner's late progress is refused", async () => {
    const ids = await queued(6);
    let open!: () => void;
    const s = instrumented(new Promise<void>((r) => (open = r)));
    const a = runner(s.store, { concurrency: () => 1, leaseMs: 60_000 });
    const job = await a.start({ action: 'hold', actor: 'beheer:anna', ids, selection: { kind: 'ids' } });
    for (let i = 0; i < 1000 && s.holdsStarted() < 1; i++) await new Promise((r) => setTimeout(r, 2));
    // b's clock is past a's lease: as if a stopped writing a minute ago.
    const later = () => Date.now() + 120_000;
    const b = runner(store, { now: later });
    expect((await b.get(job.id))?.state).toBe('interrupted');
    expect(await b.adopt()).toBe(true);
    const done = await until(b, job.id, (j) => j.state === 'done');
    expect(done).toMatchObject({ done: 6, ok: 6 });
    // a wakes up: its one action is refused by the store (already on hold), and it writes nothing more.
    open();
    await a.close();
    const after = (await b.get(job.id))!;
    expect(after).toMatchObject({ state: 'done', done: 6, ok: 6, failed: 0 });
    expect(after.results).toHaveLength(6);
  });
});
