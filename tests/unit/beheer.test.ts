/**
 * Functioneel beheer's parts on their own: passwords, sessions and cookies, CSRF tokens, search helpers, bulk
 * jobs, the overview and alerts (over a real SQLite store on a pinned clock), and the metrics registry.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DestinationHealth, evaluateAlerts } from '../../src/beheer/alerts.ts';
import { tokensMatch } from '../../src/beheer/csrf.ts';
import { type Job, JobRunner } from '../../src/beheer/jobs.ts';
import { type Overview, OverviewService } from '../../src/beheer/overview.ts';
import { scopedStore } from '../../src/beheer/scope.ts';
import { matchingIds, searchBsn, searchMessages, TooManyMessages, toMessageFilter } from '../../src/beheer/search.ts';
import { cookieHeader, SessionStore, sessionIdHash } from '../../src/beheer/session.ts';
import { parseConfig } from '../../src/config/load.ts';
import { createLogger } from '../../src/log.ts';
import { GatewayMetrics } from '../../src/metrics.ts';
import { hashPassword, PASSWORD_HASH_PATTERN, verifyPassword } from '../../src/security/passwords.ts';
import { newMessageId } from '../../src/store/message-id.ts';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite.ts';
import type { MessageStore, NextStep } from '../../src/store/types.ts';
import { ggkReferentienummer } from '../../src/stuf/ggk-referentienummer.ts';
import { wmo301 } from '../helpers/messages.ts';
import { type TempDir, tempDir } from '../helpers/temp.ts';

const silent = createLogger({ level: 'silent' });

describe('passwords', () => {
  it('hashes as scrypt:<salt>:<hash> with a fresh salt and verifies only the right password', async () => {
    const a = await hashPassword('correct horse');
    const b = await hashPassword('correct horse');
    expect(a).toMatch(PASSWORD_HASH_PATTERN);
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse', a)).toBe(true);
    expect(await verifyPassword('correct horse ', a)).toBe(false);
    expect(await verifyPassword('correct horse', null)).toBe(false);
    expect(await verifyPassword('x', 'sha256:abc')).toBe(false);
  });

  it('the configuration takes only hashes for users and rejects duplicates', () => {
    const bad = 'beheer:\n  users:\n    - { name: anna, role: beheerder, passwordHash: geheim }\n';
    expect(() => parseConfig(bad, '/x.yaml')).toThrow(/beheer\.users\[0\]\.passwordHash/);
    const hash = `scrypt:AAAAAAAAAAAAAAAAAAAAAA:${'A'.repeat(86)}`;
    const dup = `beheer:\n  users:\n    - { name: anna, role: viewer, passwordHash: "${hash}" }\n    - { name: anna, role: beheerder, passwordHash: "${hash}" }\n`;
    expect(() => parseConfig(dup, '/x.yaml')).toThrow(/duplicate user "anna"/);
    const c = parseConfig('{}', '/x.yaml');
    expect(c.beheer).toMatchObject({ users: [], sessionTtlMinutes: 480, secureCookie: 'auto' });
    expect(c.alerts.deadLetters).toBe(1);
  });
});

describe('sessions, cookies and CSRF tokens', () => {
  it('a session lives for its TTL, then is gone; the store keeps only the hash of its cookie', async () => {
    let now = 1_000_000;
    const sessions = new SessionStore(store.beheerState, () => now);
    const s = await sessions.create('anna', 60_000);
    expect((await sessions.get(s.id))?.user).toBe('anna');
    expect(s.csrfToken).not.toBe(s.id);
    const rows = store.db.prepare('SELECT id_hash FROM beheer_sessions').all() as { id_hash: string }[];
    expect(rows).toEqual([{ id_hash: sessionIdHash(s.id) }]);
    expect(rows[0]!.id_hash).not.toContain(s.id);
    now += 59_999;
    expect(await sessions.get(s.id)).not.toBeNull();
    now += 1;
    expect(await sessions.get(s.id)).toBeNull();
    expect(await sessions.get(undefined)).toBeNull();
    await sessions.sweep();
    expect(store.db.prepare('SELECT COUNT(*) AS n FROM beheer_sessions').get()).toEqual({ n: 0 });
    sessions.close();
  });

  it('the cookie is HttpOnly, SameSite=Strict, Path=/ and Secure only when asked', () => {
    expect(cookieHeader('c', 'v', { secure: false, maxAgeSeconds: 60 })).toBe(
      'c=v; Path=/; HttpOnly; SameSite=Strict; Max-Age=60',
    );
    expect(cookieHeader('c', 'v', { secure: true, maxAgeSeconds: 0 })).toMatch(/; Max-Age=0; Secure$/);
  });

  it('tokens match only when equal and present', () => {
    expect(tokensMatch('abc', 'abc')).toBe(true);
    expect(tokensMatch('abc', 'abd')).toBe(false);
    expect(tokensMatch('abc', 'abcd')).toBe(false);
    expect(tokensMatch(undefined, 'abc')).toBe(false);
    expect(tokensMatch('', '')).toBe(false);
  });
});

describe('search helpers', () => {
  it('turns local dates into a range that includes the "to" day', () => {
    const f = toMessageFilter({ from: '2026-03-01', to: '2026-03-02', status: ['dead', 'failed'], message: 'WMO301' });
    expect(f.receivedFrom).toEqual(new Date(2026, 2, 1));
    expect(f.receivedTo).toEqual(new Date(2026, 2, 3));
    expect(f).toMatchObject({ status: ['dead', 'failed'], messageName: 'WMO301' });
  });
});

// ---- over a real store ------------------------------------------------------------------------------------

let dir: TempDir;
let store: SqliteStore;
let now: number;

beforeEach(() => {
  dir = tempDir('schakel-beheer-');
  now = new Date(2026, 10, 20, 12, 0, 0).getTime();
  store = openSqliteStore({ file: join(dir.path, 'db.sqlite'), clock: () => now, listPageMax: 7 });
});

afterEach(async () => {
  await store.close();
  dir.remove();
});

let seq = 0;
async function insert(overrides: Parameters<typeof wmo301>[0] = {}): Promise<string> {
  const r = await store.insertMessage(wmo301({ berichtIdentificatie: `B-${++seq}`, ...overrides }), 'test');
  if (r.kind !== 'inserted') throw new Error(r.kind);
  return r.id;
}

/** Takes every due delivery and records this outcome for it. */
async function deliverAll(outcome: 'delivered' | 'retry', next: NextStep, on: MessageStore = store): Promise<void> {
  for (const lease of await store.leaseDue('w', 100, 60_000)) {
    await on.completeDelivery(lease, { startedAt: new Date(now), finishedAt: new Date(now + 250), outcome }, next);
  }
}

describe('bulk jobs', () => {
  const finished = async (runner: JobRunner, job: Job) => {
    for (let i = 0; i < 400 && (await runner.get(job.id))!.state !== 'done'; i++)
      await new Promise((r) => setTimeout(r, 5));
    return (await runner.get(job.id))!;
  };

  it("reports the store's answer per message honestly, keeps ids, and runs with bounded concurrency", async () => {
    const dead = [await insert(), await insert(), await insert(), await insert(), await insert()];
    await deliverAll('retry', { kind: 'dead' });
    const queued = await insert();
    let running = 0;
    let most = 0;
    const counting = new Proxy(store, {
      get(target, prop) {
        if (prop === 'resend') {
          return async (...a: Parameters<MessageStore['resend']>) => {
            most = Math.max(most, ++running);
            await new Promise((r) => setTimeout(r, 5));
            try {
              return await target.resend(...a);
            } finally {
              running--;
            }
          };
        }
        const v: unknown = Reflect.get(target, prop, target);
        return typeof v === 'function' ? (v as () => unknown).bind(target) : v;
      },
    }) as MessageStore;
    let kicks = 0;
    const runner = new JobRunner({ store: counting, logger: silent, concurrency: () => 2, onQueued: () => kicks++ });
    const job = await runner.start({
      action: 'resend',
      actor: 'beheer:anna',
      ids: [...dead, queued, 'no-such-id', dead[0]!],
      selection: { kind: 'ids' },
    });
    expect(job.total).toBe(7);
    const done = await finished(runner, job);
    expect({ done: done.done, ok: done.ok, failed: done.failed }).toEqual({ done: 7, ok: 5, failed: 2 });
    expect(done.results.find((r) => r.id === queued)).toEqual({
      id: queued,
      ok: false,
      reason: 'invalid-state',
      status: 'queued',
    });
    expect(done.results.find((r) => r.id === 'no-such-id')).toEqual({
      id: 'no-such-id',
      ok: false,
      reason: 'not-found',
    });
    expect(most).toBe(2);
    expect(kicks).toBe(5);
    for (const id of dead) expect((await store.getMessage(id))?.status).toBe('queued');
    const audit = await store.listAudit({ actor: 'beheer:anna', limit: 50 });
    expect(
      audit
        .filter((a) => a.action === 'message.resend')
        .map((a) => a.targetId)
        .sort(),
    ).toEqual([...dead].sort());
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['beheer.job-started', 'beheer.job-finished']));
    await runner.close();
  });

  it('resolves "all matching" across pages, and refuses more than the maximum', async () => {
    const ids = [];
    for (let i = 0; i < 16; i++) ids.push(await insert({ afzender: i % 2 ? '0363' : '0384', dedup: null }));
    // listPageMax is 7 here: three pages.
    expect((await matchingIds(store, { afzender: '0363' }, 100, 7)).sort()).toEqual(ids.filter((_, i) => i % 2).sort());
    await expect(matchingIds(store, {}, 15, 7)).rejects.toBeInstanceOf(TooManyMessages);
  });

  it('an id search finds a bericht by its id and by the GGK referentienummer its envelope carried', async () => {
    const a = await insert({ gemeente: '0384' });
    await insert({});
    const byId = await searchMessages(store, { id: a }, { limit: 50 });
    const byReference = await searchMessages(store, { id: ggkReferentienummer(a) }, { limit: 50 });
    expect([byId.items.map((m) => m.id), byReference.items.map((m) => m.id)]).toEqual([[a], [a]]);
    expect((await searchMessages(store, { id: ggkReferentienummer(newMessageId()) }, { limit: 50 })).items).toEqual([]);
    // Through the reader's grants: its own gemeente finds it by reference, another gemeente neither way.
    const own = scopedStore(store, [{ gemeenten: ['0384'], flows: '*' }]);
    expect((await searchMessages(own, { id: ggkReferentienummer(a) }, { limit: 50 })).items.map((m) => m.id)).toEqual([
      a,
    ]);
    const other = scopedStore(store, [{ gemeenten: ['0599'], flows: '*' }]);
    for (const id of [a, ggkReferentienummer(a)]) {
      expect((await searchMessages(other, { id }, { limit: 50 })).items).toEqual([]);
    }
  });

  it('a BSN search finds exactly the berichten carrying that BSN in a BSN element, through the index', async () => {
    const a = await insert({ body: '<Bsn>123456782</Bsn>' });
    now += 1000;
    await insert({ body: '<Bsn>999999990</Bsn><Nr>123456782</Nr>' });
    now += 1000;
    const b = await insert({ body: '<iwmo:Bsn>123456782</iwmo:Bsn>', afzender: '0599' });
    const all = await searchBsn(store, {}, '123456782', { limit: 50 });
    expect(all.items.map((m) => m.id).sort()).toEqual([a, b].sort());
    expect({ total: all.total, scanned: all.scanned, complete: all.complete }).toEqual({
      total: 2,
      scanned: 0,
      complete: true,
    });
    // The other filters still apply, and the id filter checks that one message.
    expect((await searchBsn(store, { afzender: '0599' }, '123456782', { limit: 50 })).items.map((m) => m.id)).toEqual([
      b,
    ]);
    expect((await searchBsn(store, { id: a }, '123456782', { limit: 50 })).items.map((m) => m.id)).toEqual([a]);
    expect((await searchBsn(store, { id: a }, '999999990', { limit: 50 })).items).toEqual([]);
  });
});

describe('overview and alerts', () => {
  const thresholds = {
    queueDepth: 3,
    deadLetters: 1,
    oldestWaitingMinutes: 30,
    unhealthyAfterFailures: 2,
    certificateDays: 30,
  };

  it('counts per destination and standard, finds the oldest waiting message and what was delivered today', async () => {
    const oldest = await insert({ destination: 'dest-a' });
    const oldestAt = now;
    now += 60_000;
    await insert({ destination: 'dest-a' });
    await insert({ destination: 'dest-b' });
    await deliverAll('delivered', { kind: 'delivered' });
    now += 60_000;
    await insert({ destination: 'dest-a' });
    await insert({ destination: 'dest-a' });
    const overview = new OverviewService({
      store,
      destinations: () => ['dest-a', 'dest-b', 'dest-c'],
      pageSize: () => 7,
      now: () => new Date(now),
    });
    const o = await overview.get({ deliveredToday: true });
    const a = o.destinations.find((d) => d.key === 'dest-a')!;
    expect(a).toMatchObject({ queued: 2, deliveredToday: 2, dead: 0 });
    expect(o.destinations.find((d) => d.key === 'dest-b')).toMatchObject({
      queued: 0,
      deliveredToday: 1,
      oldestWaitingAt: null,
    });
    expect(o.destinations.find((d) => d.key === 'dest-c')).toMatchObject({ queued: 0, deliveredToday: 0 });
    expect(o.standards).toEqual([expect.objectContaining({ key: 'iwmo', queued: 2, deliveredToday: 3 })]);
    expect(o.deliveredToday).toMatchObject({ scanned: 3, complete: true });
    // The oldest waiting is the first of the two still queued, not the delivered ones.
    expect(a.oldestWaitingAt).toBe(new Date(oldestAt + 120_000).toISOString());
    expect((await store.getMessage(oldest))?.status).toBe('delivered');
  });

  it('each alert fires at its threshold and not below', () => {
    const row = {
      key: 'd',
      queued: 2,
      delivering: 0,
      deliveredToday: 0,
      failed: 0,
      dead: 0,
      onHold: 0,
      oldestWaitingAt: null as string | null,
    };
    const at = new Date(2026, 10, 20, 12, 0, 0);
    const overview = (r: Partial<typeof row>): Overview => ({
      generatedAt: '',
      destinations: [{ ...row, ...r }],
      gemeenten: [],
      standards: [],
      totals: {} as Overview['totals'],
      deliveredToday: null,
    });
    const health = new DestinationHealth();
    const kinds = (o: Overview, certs: { name: string; notAfter: Date }[] = []) =>
      evaluateAlerts(o, health, certs, thresholds, at).map((a) => `${a.alert}:${a.destination}`);
    expect(kinds(overview({}))).toEqual([]);
    expect(kinds(overview({ queued: 2, delivering: 1 }))).toEqual(['queue-depth:d']);
    expect(kinds(overview({ dead: 1 }))).toEqual(['dead-letters:d']);
    expect(kinds(overview({ oldestWaitingAt: new Date(at.getTime() - 29 * 60_000).toISOString() }))).toEqual([]);
    expect(kinds(overview({ oldestWaitingAt: new Date(at.getTime() - 31 * 60_000).toISOString() }))).toEqual([
      'oldest-waiting:d',
    ]);
    health.record({ destination: 'd', outcome: 'retry' });
    expect(kinds(overview({}))).toEqual([]);
    health.record({ destination: 'd', outcome: 'failed' });
    expect(kinds(overview({}))).toEqual(['destination-unhealthy:d']);
    health.record({ destination: 'd', outcome: 'delivered' });
    expect(kinds(overview({}))).toEqual([]);
    const soon = { name: 'pki-o', notAfter: new Date(at.getTime() + 10 * 86_400_000) };
    const later = { name: 'pki-o-2', notAfter: new Date(at.getTime() + 90 * 86_400_000) };
    expect(kinds(overview({}), [soon, later])).toEqual(['certificate-expiring:pki-o']);
  });
});

describe('metrics', () => {
  it('counts delivery attempts the store reports as recorded, without ids in labels', async () => {
    const metrics = new GatewayMetrics({ processMetrics: false });
    const health = new DestinationHealth();
    const unsubscribe = store.onAttemptRecorded((e) => {
      metrics.attempted(e);
      health.record(e);
    });
    const id = await insert({ destination: 'dest-a' });
    await deliverAll('retry', { kind: 'dead' });
    unsubscribe();
    expect((await store.getMessage(id))?.status).toBe('dead');
    const { text } = await metrics.render();
    expect(text).toContain('schakel_delivery_attempts_total{destination="dest-a",outcome="retry"} 1');
    expect(text).toContain('schakel_dead_lettered_total{destination="dest-a"} 1');
    expect(text).toMatch(/schakel_delivery_duration_seconds_sum\{destination="dest-a"\} 0\.25\b/);
    expect(text).not.toContain(id);
    expect(health.failingStreak('dest-a')).toBe(1);
  });
});
