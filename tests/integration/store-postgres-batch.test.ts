/**
 * Group commit on PostgreSQL (issue 17, scale-out): concurrent inserts share one statement and one transaction,
 * concurrent claims of broker publications share one statement, and what a batch does per item is what the
 * single statement does: duplicates inside one batch, an id given twice, history and outbox rows, stale and
 * busy publications, and one bad item that fails only its own caller. The transaction of a row is its `xmin`.
 */
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { countMessages, LEASE_FOR_PUBLISH, whereOf } from '../../src/store/postgres/statements.ts';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres.ts';
import { messageConditions } from '../../src/store/rules.ts';
import type { ClaimResult, NewMessage } from '../../src/store/types.ts';
import { BSN, wmo301 } from '../helpers/messages.ts';
import { createSchema, PG_URL, probePostgres, servicesAvailable, uniqueName } from '../helpers/services.ts';

const available = await servicesAvailable('PostgreSQL store (group commit)', probePostgres());
const schema = uniqueName('schakel_batch');
let dropSchema: (() => Promise<void>) | undefined;
let store: PostgresStore;

async function sql<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/**
 * `n` queued messages written directly (ids b1…bn, received and due long ago), each with an outbox row in `phase`:
 * due (for leaseDue) or published (waiting in the broker).
 */
async function queuedBacklog(n: number, phase: 'due' | 'published'): Promise<void> {
  await sql(
    `INSERT INTO messages (id, received_at, standard, release, message_name, direction, content_hash, body_size,
       source_kind, source_id, status, destination, created_at, updated_at)
     SELECT 'b' || g, g, 'iwmo', '3.2', 'WMO301', 'heen', 'h', 1, 'caller', 's', 'queued', 'dest-a', g, g
     FROM generate_series(1, $1::int) g`,
    [n],
  );
  await sql(
    `INSERT INTO outbox (message_id, destination, due_at, created_at, phase, lease_token)
     SELECT 'b' || g, 'dest-a', g, g, $2, CASE WHEN $2 = 'published' THEN 't' || g END
     FROM generate_series(1, $1::int) g`,
    [n, phase],
  );
}

const ident = (i: number) => `B-${i.toString().padStart(5, '0')}`;
const message = (i: number, extra: Partial<NewMessage> = {}) =>
  wmo301({ berichtIdentificatie: ident(i), body: `<WMO301 n="${i}"/>`, ...extra });
/** A message with everything a row carries since tenancy and encryption: gemeente, a BSN, iEb/iPgb history. */
const full = (i: number): NewMessage =>
  message(i, {
    gemeente: '0363',
    body: `<WMO301 n="${i}"><Client><Bsn>${BSN}</Bsn></Client></WMO301>`,
    status: 'received',
    destination: null,
    findings: [
      { level: 'rule', code: 'TR999', retourcode: null, line: 1, column: 1, path: null, text: `finding ${i}` },
    ],
    history: {
      periods: [{ messageName: 'WMO301', afzender: '0363', bsnHash: `h${i}`, nummer: `${i}`, status: 'ok' }],
      budgets: [{ afzender: '0363', bsnHash: `h${i}`, budget: `b${i}` }],
    },
  });

if (available) {
  beforeAll(async () => {
    dropSchema = await createSchema(schema);
  });
  beforeEach(async () => {
    await store?.close();
    store = openPostgresStore({ url: PG_URL, schema, poolSize: 4 });
    await store.ready;
    await sql('TRUNCATE messages, status_history, delivery_attempts, audit_log, outbox RESTART IDENTITY CASCADE');
  });
  afterAll(async () => {
    await store?.close();
    await dropSchema?.();
  });
}

describe.skipIf(!available)('PostgreSQL group commit', () => {
  it('stores concurrent inserts in shared transactions, each with its history and outbox row', async () => {
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => store.insertMessage(message(i), 'client')));
    expect(results.every((r) => r.kind === 'inserted')).toBe(true);
    const [counts] = await sql<{ messages: number; transactions: number; outbox: number; history: number }>(
      `SELECT (SELECT COUNT(*)::int FROM messages) AS messages,
              (SELECT COUNT(DISTINCT xmin::text)::int FROM messages) AS transactions,
              (SELECT COUNT(*)::int FROM outbox) AS outbox,
              (SELECT COUNT(*)::int FROM status_history WHERE to_status = 'queued' AND actor = 'client') AS history`,
    );
    expect(counts).toMatchObject({ messages: 40, outbox: 40, history: 40 });
    // 40 requests at once: far fewer transactions (COMMITs) than messages.
    expect(counts!.transactions).toBeLessThan(40);
    // Each caller got its own message back, body and all.
    for (const [i, r] of results.entries()) {
      if (r.kind !== 'inserted') throw new Error('not inserted');
      expect(r.message.berichtIdentificatie).toBe(ident(i));
      expect((await store.getBody(r.id))!.toString()).toBe(`<WMO301 n="${i}"/>`);
    }
  });

  it('pads a batch to its statement size without storing the padding (5 messages, an 8-row statement)', async () => {
    const results = await Promise.all(Array.from({ length: 5 }, (_, i) => store.insertMessage(message(i), 'client')));
    expect(results.map((r) => r.kind)).toEqual(Array(5).fill('inserted'));
    const [counts] = await sql<{ messages: number; transactions: number; outbox: number; history: number }>(
      `SELECT (SELECT COUNT(*)::int FROM messages) AS messages,
              (SELECT COUNT(DISTINCT xmin::text)::int FROM messages) AS transactions,
              (SELECT COUNT(*)::int FROM outbox) AS outbox,
              (SELECT COUNT(*)::int FROM status_history) AS history`,
    );
    expect(counts).toEqual({ messages: 5, transactions: 1, outbox: 5, history: 5 });
    expect(await sql('SELECT 1 FROM audit_log')).toEqual([]);
  });

  it('answers repeats inside one batch as duplicates of the first, same or different content', async () => {
    const [a, same, different, other] = await Promise.all([
      store.insertMessage(message(1), 'client'),
      store.insertMessage(message(1), 'client'),
      store.insertMessage(message(1, { body: '<WMO301 n="changed"/>' }), 'client'),
      store.insertMessage(message(2), 'client'),
    ]);
    expect(a!.kind).toBe('inserted');
    expect(other!.kind).toBe('inserted');
    expect(same).toEqual({ kind: 'duplicate-same', id: a!.id });
    expect(different).toEqual({ kind: 'duplicate-different', id: a!.id });
    const audit = await sql<{ action: string }>(`SELECT action FROM audit_log ORDER BY id`);
    expect(audit.map((r) => r.action).sort()).toEqual(['message.duplicate-different', 'message.duplicate-same']);
    expect(await sql('SELECT 1 FROM outbox')).toHaveLength(2);
  });

  it('inserts an id given twice in one batch once and refuses the second', async () => {
    const outcomes = await Promise.allSettled([
      store.insertMessage(message(1, { id: 'fixed-id' }), 'client'),
      store.insertMessage(message(2, { id: 'fixed-id' }), 'client'),
      store.insertMessage(message(3), 'client'),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(String((outcomes[1] as PromiseRejectedResult).reason)).toMatch(/message id fixed-id exists already/);
    const rows = await sql<{ id: string; bericht_identificatie: string }>(
      'SELECT id, bericht_identificatie FROM messages ORDER BY bericht_identificatie',
    );
    expect(rows).toEqual([
      { id: 'fixed-id', bericht_identificatie: ident(1) },
      expect.objectContaining({ bericht_identificatie: ident(3) }),
    ]);
  });

  it('fails only the caller whose item the database refuses; the others of its batch are stored', async () => {
    // A direction outside the CHECK constraint fails the batch statement; each item then runs alone.
    const outcomes = await Promise.allSettled([
      store.insertMessage(message(1), 'client'),
      store.insertMessage(message(2, { direction: 'sideways' as 'heen' }), 'client'),
      store.insertMessage(message(3), 'client'),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(String((outcomes[1] as PromiseRejectedResult).reason)).toMatch(/check constraint/);
    expect((await sql<{ n: number }>('SELECT COUNT(*)::int AS n FROM messages'))[0]!.n).toBe(2);
  });

  it('writes in a batch what the single insert writes: gemeente, flow, sealed body and findings, BSN index, history', async () => {
    // The first alone (the single statement), then eight at once (batched): the rows must not differ but for the id.
    const alone = await store.insertMessage(full(0), 'client');
    const batch = await Promise.all(Array.from({ length: 8 }, (_, i) => store.insertMessage(full(i + 1), 'client')));
    const ids = [alone, ...batch].map((r) => r.id);
    const rows = await sql<Record<string, unknown>>(
      `SELECT m.id, m.gemeente, m.flow, m.status, m.body_key IS NOT NULL AS keyed,
              position('\x3c574d4f333031'::bytea in m.body) = 0 AS body_sealed,
              m.finding_count, jsonb_typeof(m.findings::jsonb -> 0) = 'string'
                AND position('finding' in m.findings) = 0 AS findings_sealed,
              (SELECT COUNT(*)::int FROM bsn_index b WHERE b.message_id = m.id) AS bsn_entries,
              (SELECT COUNT(*)::int FROM history_periods p WHERE p.message_id = m.id) AS periods,
              (SELECT COUNT(*)::int FROM history_budgets b WHERE b.message_id = m.id) AS budgets,
              (SELECT COUNT(*)::int FROM status_history h WHERE h.message_id = m.id AND h.actor = 'client') AS history,
              (SELECT COUNT(*)::int FROM outbox o WHERE o.message_id = m.id) AS outbox
       FROM messages m ORDER BY m.bericht_identificatie`,
    );
    const expected = { gemeente: '0363', flow: rows[0]!.flow, status: 'received', keyed: true, body_sealed: true };
    expect(rows).toEqual(
      ids.map((id) => ({
        id,
        ...expected,
        finding_count: 1,
        findings_sealed: true,
        bsn_entries: 1,
        periods: 1,
        budgets: 1,
        history: 1,
        outbox: 0,
      })),
    );
    expect(rows[0]!.flow).toEqual(expect.any(String));
    const [tx] = await sql<{ n: number }>(
      'SELECT COUNT(DISTINCT xmin::text)::int AS n FROM messages WHERE id = ANY($1::text[])',
      [ids.slice(1)],
    );
    expect(tx!.n).toBeLessThan(8);
    // Read back through the store: the body opened, the BSN search finding every one of them.
    for (const [i, id] of ids.entries()) {
      expect((await store.getBody(id))!.toString()).toBe(
        `<WMO301 n="${i}"><Client><Bsn>${BSN}</Bsn></Client></WMO301>`,
      );
    }
    const found = await store.listMessages({ bsn: BSN, limit: 50 });
    expect(found.items.map((m) => m.id).sort()).toEqual([...ids].sort());
    const stored = await store.getMessage(ids[3]!);
    expect(stored!.findings.map((f) => f.text)).toEqual(['finding 3']);
    expect(
      await store.readHistory({ periods: [], budgets: [{ afzender: '0363', bsnHash: 'h5', budget: 'b5' }] }),
    ).toMatchObject({ budgets: [expect.anything()] });
  });

  it('claims concurrent publications in one statement: current ones claimed, stale and busy ones told apart', async () => {
    const ids = (await Promise.all(Array.from({ length: 6 }, (_, i) => store.insertMessage(message(i), 'c')))).map(
      (r) => r.id,
    );
    const leases = await store.leaseForPublish('relay', 10, 30_000);
    expect(leases).toHaveLength(6);
    await store.markPublished(leases.slice(0, 3));
    const [busyOne, ...rest] = leases;
    // One is claimed already by another consumer (a live claim), one copy carries a token that is no longer current.
    expect((await store.claimPublished(busyOne!, 'other', 60_000)).kind).toBe('claimed');
    const results = await Promise.all([
      store.claimPublished(busyOne!, 'me', 60_000),
      ...rest.map((l) => store.claimPublished(l, 'me', 60_000)),
      store.claimPublished({ outboxId: rest[0]!.outboxId, token: 'old-token' }, 'me', 60_000),
      // The same publication twice (a broker redelivery): the second finds it busy.
      store.claimPublished(rest[1]!, 'me', 60_000),
    ]);
    const kinds = results.map((r: ClaimResult) => r.kind);
    expect(kinds).toEqual(['busy', 'claimed', 'claimed', 'claimed', 'claimed', 'claimed', 'stale', 'busy']);
    const claimed = results.filter((r): r is Extract<ClaimResult, { kind: 'claimed' }> => r.kind === 'claimed');
    expect(claimed.map((c) => c.lease.messageId)).toEqual(rest.map((l) => l.messageId));
    for (const c of claimed) {
      expect(c.lease).toMatchObject({ owner: 'me', attempt: 1, destination: 'dest-a' });
      expect(c.lease.message.body?.toString()).toMatch(/^<WMO301 n="\d"\/>$/);
    }
    // The claims wrote no message row (issue #17): stored queued, read as delivering from the claims.
    const statuses = await sql<{ status: string; n: number }>(
      `SELECT status, COUNT(*)::int AS n FROM messages WHERE id = ANY($1::text[]) GROUP BY status`,
      [ids],
    );
    expect(statuses).toEqual([{ status: 'queued', n: 6 }]);
    expect(await store.statusCounts()).toMatchObject({ queued: 0, delivering: 6 });
    // The claims taken at once went in one transaction.
    const claims = await sql<{ n: number }>(
      `SELECT COUNT(DISTINCT xmin::text)::int AS n FROM outbox WHERE lease_owner = 'me'`,
    );
    expect(claims[0]!.n).toBe(1);
    const owners = await sql<{ owner: string; n: number }>(
      `SELECT lease_owner AS owner, COUNT(*)::int AS n FROM outbox WHERE phase = 'claimed'
       GROUP BY lease_owner ORDER BY lease_owner`,
    );
    expect(owners).toEqual([
      { owner: 'me', n: 5 },
      { owner: 'other', n: 1 },
    ]);
    const history = await sql<{ to: string; n: number }>(
      `SELECT to_status AS to, COUNT(*)::int AS n FROM status_history GROUP BY to_status`,
    );
    expect(history).toEqual([{ to: 'queued', n: 6 }]);
  });
  it('completes concurrent deliveries in one statement, each as the single statement would', async () => {
    const ids = (await Promise.all(Array.from({ length: 5 }, (_, i) => store.insertMessage(message(i), 'c')))).map(
      (r) => r.id,
    );
    const leases = await store.leaseDue('w', 10, 60_000);
    expect(leases.map((l) => l.messageId).sort()).toEqual([...ids].sort());
    const byId = new Map(leases.map((l) => [l.messageId, l]));
    const [a, b, c, d, e] = ids.map((id) => byId.get(id)!);
    const t = new Date();
    const report = (outcome: 'delivered' | 'failed' | 'retry', httpStatus: number) => ({
      startedAt: t,
      finishedAt: t,
      outcome,
      httpStatus,
      answer: `answer ${httpStatus}`,
    });
    const retryAt = new Date(t.getTime() + 60_000);
    const results = await Promise.all([
      store.completeDelivery(a!, report('delivered', 200), { kind: 'delivered' }),
      store.completeDelivery(b!, report('retry', 503), { kind: 'retry', at: retryAt }),
      store.completeDelivery(c!, report('failed', 400), { kind: 'failed' }),
      // A lease taken over meanwhile: the attempt is recorded, the message not moved.
      store.completeDelivery({ ...d!, token: 'old-token' }, report('delivered', 200), { kind: 'delivered' }),
      store.completeDelivery(e!, report('delivered', 200), { kind: 'delivered' }),
      // The same lease completed twice: the second finds it gone.
      store.completeDelivery(e!, report('delivered', 200), { kind: 'delivered' }),
    ]);
    expect(results).toEqual([
      { kind: 'recorded', status: 'delivered' },
      { kind: 'recorded', status: 'queued' },
      { kind: 'recorded', status: 'failed' },
      { kind: 'lease-lost' },
      { kind: 'recorded', status: 'delivered' },
      { kind: 'lease-lost' },
    ]);
    const statuses = await Promise.all(ids.map(async (id) => (await store.getMessage(id))!.status));
    expect(statuses).toEqual(['delivered', 'queued', 'failed', 'delivering', 'delivered']);
    // A retry leaves the stored status queued (no history row); the lost lease moved nothing.
    expect((await store.statusHistory(b!.messageId)).map((h) => h.to)).toEqual(['queued']);
    expect((await store.statusHistory(d!.messageId)).map((h) => h.to)).toEqual(['queued']);
    expect((await store.statusHistory(a!.messageId)).map((h) => [h.from, h.to])).toEqual([
      [null, 'queued'],
      ['queued', 'delivered'],
    ]);
    // The lost attempt is recorded with the status as read: still delivering under the lease that took over.
    expect((await store.deliveryAttempts(d!.messageId)).map((x) => x.resultStatus)).toEqual(['delivering']);
    const attemptsB = await store.deliveryAttempts(b!.messageId);
    expect(attemptsB).toMatchObject([
      { attemptNo: 1, httpStatus: 503, resultStatus: 'queued', nextAttemptAt: retryAt, answerExcerpt: 'answer 503' },
    ]);
    expect((await store.deliveryAttempts(e!.messageId)).map((x) => x.attemptNo)).toEqual([1, 2]);
    // The retry is due again at its time under no lease; the settled ones left the outbox.
    const outbox = await sql<{ message_id: string; phase: string; due_at: number; lease_token: string | null }>(
      'SELECT message_id, phase, due_at::float8 AS due_at, lease_token FROM outbox ORDER BY id',
    );
    expect(outbox).toHaveLength(2);
    expect(outbox).toEqual(
      expect.arrayContaining([
        { message_id: b!.messageId, phase: 'due', due_at: retryAt.getTime(), lease_token: null },
        expect.objectContaining({ message_id: d!.messageId }),
      ]),
    );
    // The first five went in one transaction, the repeat of one lease in a second.
    const txs = await sql<{ n: number }>('SELECT COUNT(DISTINCT xmin::text)::int AS n FROM delivery_attempts');
    expect(txs[0]!.n).toBe(2);
  });

  it("leases fresh rows for publication without reading the broker's backlog in front of them", async () => {
    // 5,000 publications waiting in the broker, due long ago, then three fresh rows and one expired relay lease.
    await queuedBacklog(5000, 'published');
    const fresh = [];
    for (let i = 0; i < 4; i++) fresh.push((await store.insertMessage(message(i), 'client')).id);
    const [crashed] = await store.leaseForPublish('crashed-relay', 1, 1);
    expect(crashed!.messageId).toBe(fresh[0]);
    await new Promise((r) => setTimeout(r, 5));
    await sql('ANALYZE outbox');

    // How many outbox rows the lease statement reads (index and table rows returned plus those filtered out).
    const client = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` });
    await client.connect();
    let read = 0;
    try {
      await client.query('BEGIN');
      const now = Date.now();
      read = await outboxRowsRead(client, LEASE_FOR_PUBLISH, [now, now, -1, 10, 'x', now + 1]);
    } finally {
      await client.query('ROLLBACK');
      await client.end();
    }
    expect(read).toBeLessThan(100);

    // And the lease itself takes the expired lease and the fresh rows, in due order, and no publication.
    const leased = await store.leaseForPublish('relay', 10, 30_000);
    expect(leased.map((l) => l.messageId)).toEqual(fresh);
  });

  it('counts a list filtered to queued or delivering without an outbox lookup per pending message', async () => {
    // A backlog of 3,000 queued messages with due outbox rows, and two of them under a delivery lease.
    const backlog = 3000;
    await queuedBacklog(backlog, 'due');
    const leased = await store.leaseDue('worker', 2, 30_000);
    expect(leased).toHaveLength(2);
    await sql('ANALYZE outbox');
    await sql('ANALYZE messages');

    // The store's own answers: the totals as read.
    expect((await store.listMessages({ status: ['delivering'], limit: 10 })).total).toBe(2);
    expect((await store.listMessages({ status: ['queued'], limit: 10 })).total).toBe(backlog - 2);
    expect((await store.listMessages({ status: ['queued', 'delivering'], limit: 10 })).total).toBe(backlog);
    const page = await store.listMessages({ status: ['delivering'], limit: 10 });
    expect(page.items.map((m) => m.id).sort()).toEqual(leased.map((l) => l.messageId).sort());

    // And what the totals read of the outbox: the two leased rows (found once), not one row per pending message.
    const client = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` });
    await client.connect();
    try {
      for (const status of [['queued'], ['delivering']] as const) {
        const { where, params } = whereOf(messageConditions({ status: [...status] }));
        expect(await outboxRowsRead(client, countMessages(where), params), status[0]).toBeLessThan(100);
      }
    } finally {
      await client.end();
    }
  });
});

/**
 * Outbox rows a statement reads (EXPLAIN ANALYZE: rows returned by its outbox scans plus those they filtered out,
 * times their loops); row counts, no timing.
 */
async function outboxRowsRead(client: pg.Client, statement: string, params: unknown[]): Promise<number> {
  const [{ 'QUERY PLAN': plan }] = (await client.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${statement}`, params)).rows as [
    { 'QUERY PLAN': unknown },
  ];
  let read = 0;
  const walk = (n: Record<string, unknown>) => {
    if (n['Relation Name'] === 'outbox' && String(n['Node Type']).includes('Scan')) {
      const loops = Number(n['Actual Loops'] ?? 1);
      read += (Number(n['Actual Rows'] ?? 0) + Number(n['Rows Removed by Filter'] ?? 0)) * loops;
    }
    for (const c of (n.Plans as Record<string, unknown>[] | undefined) ?? []) walk(c);
  };
  walk((plan as [{ Plan: Record<string, unknown> }])[0].Plan);
  return read;
}
