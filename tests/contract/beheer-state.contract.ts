import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BeheerState, StoredJob, StoredJobResult } from '../../src/store/types.ts';

/**
 * Two handles on the same fresh storage (as two gateway instances on one database would have), and `dispose`,
 * which closes both and removes the storage.
 */
export type MakeBeheerStates = () => Promise<{ a: BeheerState; b: BeheerState; dispose(): Promise<void> }>;

const T0 = Date.UTC(2026, 0, 15, 9, 0, 0);
const WINDOW = 15 * 60_000;
/** Half a token per 512 ms (binary fractions: exact arithmetic in both databases). */
const rate = { perMs: 1 / 1024, capacity: 3 };

function job(overrides: Partial<StoredJob> = {}): StoredJob {
  return {
    id: `job-${Math.random().toString(36).slice(2)}`,
    action: 'resend',
    actor: 'beheer:anna',
    selection: { kind: 'filter', filter: { status: ['dead'] } },
    reason: null,
    ids: ['m1', 'm2', 'm3', 'm4'],
    state: 'running',
    owner: 'instance-a',
    leaseUntil: T0 + 30_000,
    createdAt: T0,
    finishedAt: null,
    total: 4,
    done: 0,
    ok: 0,
    failed: 0,
    ...overrides,
  };
}

const ok = (messageId: string): StoredJobResult => ({ messageId, ok: true, status: 'queued', reason: null });
const refused = (messageId: string): StoredJobResult => ({
  messageId,
  ok: false,
  status: 'delivering',
  reason: 'in-flight',
});

/** The behaviour every BeheerState implementation must show, seen from two instances on one store. */
export function beheerStateContract(name: string, make: MakeBeheerStates): void {
  describe(`BeheerState contract: ${name}`, () => {
    let a: BeheerState;
    let b: BeheerState;
    let dispose: () => Promise<void>;

    beforeEach(async () => {
      ({ a, b, dispose } = await make());
    });
    afterEach(async () => {
      await dispose();
    });

    describe('sessions', () => {
      const session = (idHash: string, expiresAt: number) => ({
        idHash,
        user: 'anna',
        csrfToken: `csrf-${idHash}`,
        createdAt: T0,
        expiresAt,
        auth: null as unknown,
      });

      it('a session made on one instance is found on the other until it expires, with its auth intact', async () => {
        const grants = [{ role: 'viewer', gemeenten: ['0363'], flows: ['wmo'] }];
        await a.createSession({ ...session('h1', T0 + 60_000), auth: { method: 'oidc', grants } });
        expect(await b.findSession('h1', T0 + 59_999)).toEqual({
          ...session('h1', T0 + 60_000),
          auth: { method: 'oidc', grants },
        });
        expect(await b.findSession('h1', T0 + 60_000)).toBeNull();
        expect(await b.findSession('h2', T0)).toBeNull();
      });

      it('deleted on one instance, gone on the other; a sweep removes only expired ones', async () => {
        await a.createSession(session('h1', T0 + 60_000));
        await a.createSession(session('h2', T0 + 60_000));
        await a.createSession(session('h3', T0 + 120_000));
        await b.deleteSession('h1');
        expect(await a.findSession('h1', T0)).toBeNull();
        expect(await b.sweepSessions(T0 + 60_000)).toBe(1);
        expect(await a.findSession('h3', T0 + 60_000)).toMatchObject({ user: 'anna', csrfToken: 'csrf-h3' });
      });
    });

    describe('login attempts', () => {
      it('parallel reservations on both instances: exactly the limit get through, then the user is locked', async () => {
        const tries = Array.from({ length: 16 }, (_, i) => (i % 2 ? a : b).reserveLogin('anna', T0, 5, WINDOW));
        const granted = (await Promise.all(tries)).filter(Boolean);
        expect(granted).toHaveLength(5);
        // The checks end as failures: still locked within the window, on both instances.
        for (let i = 0; i < 5; i++) await (i % 2 ? a : b).settleLogin('anna', false);
        expect(await a.reserveLogin('anna', T0 + WINDOW, 5, WINDOW)).toBe(false);
        expect(await b.reserveLogin('anna', T0 + WINDOW, 5, WINDOW)).toBe(false);
        // Another user name is not touched.
        expect(await b.reserveLogin('bert', T0, 5, WINDOW)).toBe(true);
        // A new window starts afresh.
        expect(await b.reserveLogin('anna', T0 + WINDOW + 1, 5, WINDOW)).toBe(true);
      });

      it('a success clears the failures; running checks count until they end', async () => {
        for (let i = 0; i < 4; i++) {
          expect(await a.reserveLogin('anna', T0, 5, WINDOW)).toBe(true);
          await b.settleLogin('anna', false);
        }
        expect(await a.reserveLogin('anna', T0, 5, WINDOW)).toBe(true); // 4 failed + 1 running
        expect(await b.reserveLogin('anna', T0, 5, WINDOW)).toBe(false);
        await a.settleLogin('anna', true);
        for (let i = 0; i < 5; i++) expect(await b.reserveLogin('anna', T0, 5, WINDOW)).toBe(true);
        expect(await a.reserveLogin('anna', T0, 5, WINDOW)).toBe(false);
      });
    });

    describe('failure buckets', () => {
      it('takes while there are tokens on either instance, refuses then, refills with time, forces and refunds', async () => {
        expect(await a.takeToken('ip:1', rate, T0, false)).toEqual({ taken: true, tokens: 2 });
        expect((await b.takeToken('ip:1', rate, T0, false)).taken).toBe(true);
        expect((await a.takeToken('ip:1', rate, T0, false)).taken).toBe(true);
        const refusedTake = await b.takeToken('ip:1', rate, T0 + 512, false);
        expect(refusedTake.taken).toBe(false);
        expect(refusedTake.tokens).toBeCloseTo(0.5, 6);
        expect((await a.emptyBuckets('ip:', rate, T0 + 512)).map((x) => x.key)).toEqual(['ip:1']);
        expect(await b.emptyBuckets('other:', rate, T0 + 512)).toEqual([]);
        expect((await a.takeToken('ip:1', rate, T0 + 1024, false)).taken).toBe(true);
        // Forced: an event that already happened (a 401) empties the bucket without going below zero.
        expect(await b.takeToken('ip:1', rate, T0 + 1024, true)).toEqual({ taken: true, tokens: 0 });
        await a.refundToken('ip:1', rate, T0 + 1024);
        expect((await b.takeToken('ip:1', rate, T0 + 1024, false)).taken).toBe(true);
        // Full again after enough time: forgotten by the next listing.
        expect(await a.emptyBuckets('ip:', rate, T0 + 10 * 60_000)).toEqual([]);
        expect(await a.takeToken('ip:1', rate, T0 + 10 * 60_000, false)).toEqual({ taken: true, tokens: 2 });
      });

      it('parallel takes on both instances never take more than the capacity', async () => {
        const takes = Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).takeToken('ip:2', rate, T0, false));
        expect((await Promise.all(takes)).filter((t) => t.taken)).toHaveLength(3);
      });
    });

    describe('bulk jobs', () => {
      it("one instance's progress, in batches, is what the other lists and reads, results in order", async () => {
        const j = job();
        await a.createJob(j);
        expect(await a.recordJobProgress(j.id, 'instance-a', [ok('m2'), refused('m1')], T0 + 60_000)).toBe(true);
        expect(await a.recordJobProgress(j.id, 'instance-a', [ok('m3')], T0 + 90_000)).toBe(true);
        const seen = await b.getJob(j.id);
        expect(seen?.job).toEqual({ ...j, done: 3, ok: 2, failed: 1, leaseUntil: T0 + 90_000 });
        expect(seen?.results).toEqual([ok('m2'), refused('m1'), ok('m3')]);
        // Only the owner writes progress or finishes.
        expect(await b.recordJobProgress(j.id, 'instance-b', [ok('m4')], T0 + 90_000)).toBe(false);
        expect(await b.finishJob(j.id, 'instance-b', T0 + 1000)).toBe(false);
        expect(await a.recordJobProgress(j.id, 'instance-a', [ok('m4')], T0 + 90_000)).toBe(true);
        expect(await a.finishJob(j.id, 'instance-a', T0 + 1000)).toBe(true);
        expect((await b.getJob(j.id))?.job).toMatchObject({ state: 'done', finishedAt: T0 + 1000, done: 4, ok: 3 });
        expect(await b.getJob('no-such-job')).toBeNull();
      });

      it('purges jobs that finished before a time, with their results; running ones stay', async () => {
        const old = job({ createdAt: T0 });
        const recent = job({ createdAt: T0 + 1 });
        const running = job({ createdAt: T0 + 2 });
        for (const j of [old, recent, running]) await a.createJob(j);
        await a.recordJobProgress(old.id, 'instance-a', [ok('m1')], T0 + 30_000);
        await a.finishJob(old.id, 'instance-a', T0 + 1000);
        await a.finishJob(recent.id, 'instance-a', T0 + 5000);
        expect(await b.purgeJobs(T0 + 5000)).toBe(1);
        expect(await a.getJob(old.id)).toBeNull();
        expect((await a.listJobs(10)).map((j) => j.id).sort()).toEqual([recent.id, running.id].sort());
      });

      it('lists newest first, up to the limit', async () => {
        const first = job({ createdAt: T0 });
        const second = job({ createdAt: T0 + 1 });
        const third = job({ createdAt: T0 + 2 });
        for (const j of [first, second, third]) await a.createJob(j);
        expect((await b.listJobs(2)).map((j) => j.id)).toEqual([third.id, second.id]);
      });

      it('a job whose lease ran out (or was let go) is taken over by exactly one instance, with what was handled', async () => {
        const j = job({ leaseUntil: T0 + 30_000 });
        await a.createJob(j);
        await a.recordJobProgress(j.id, 'instance-a', [ok('m1'), ok('m3')], T0 + 30_000);
        expect(await b.claimStaleJob('instance-b', T0 + 29_999, T0 + 60_000)).toBeNull();
        const claims = await Promise.all([
          b.claimStaleJob('instance-b', T0 + 30_001, T0 + 60_000),
          a.claimStaleJob('instance-c', T0 + 30_001, T0 + 60_000),
        ]);
        const won = claims.filter((c) => c !== null);
        expect(won).toHaveLength(1);
        expect(won[0]!.handled).toEqual(['m1', 'm3']);
        expect(won[0]!.job).toMatchObject({ id: j.id, done: 2, leaseUntil: T0 + 60_000, ids: j.ids });
        const newOwner = won[0]!.job.owner;
        // The old owner lost it: its late progress is refused.
        expect(await a.recordJobProgress(j.id, 'instance-a', [ok('m2')], T0 + 90_000)).toBe(false);
        // Let go: claimable at once.
        await b.releaseJob(j.id, newOwner);
        expect((await a.claimStaleJob('instance-a', T0 + 30_002, T0 + 90_000))?.job.owner).toBe('instance-a');
        await a.finishJob(j.id, 'instance-a', T0 + 40_000);
        expect(await b.claimStaleJob('instance-b', T0 + 999_999, T0 + 1_999_999)).toBeNull();
      });
    });
  });
}
