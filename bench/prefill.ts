/**
 * A store that has been running, for `bench:ingest`: the scale-out schema is migrated and filled with `count`
 * delivered WMO301 berichten before the gateways start, and analysed, as autovacuum keeps a live database.
 *
 * Why: PostgreSQL plans a prepared statement once (a generic plan after five executions) and keeps that plan
 * until the table's statistics change. Gateways that start on an empty schema plan their batched statements on
 * empty tables, so for the whole of a short run the completions scanned all of `messages` (found with
 * auto_explain: about 10 ms per statement at 8,000 rows); on a real installation autovacuum's first ANALYZE, a
 * minute after the tables began to grow, ends that. A bench of 30 s on an empty schema measured that transient
 * instead of the steady state.
 *
 * One bericht goes through the store's own API (insert, relay lease, claim, completion); its rows in `messages`,
 * `status_history`, `delivery_attempts` and `bsn_index` are then copied `count - 1` times under new ids and
 * identificaties, received one second apart in the last `count` seconds (well inside any retention), with their
 * bodies purged as retention leaves delivered berichten (a sealed body is bound to its message id).
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { openPostgresStore } from '../src/store/postgres.ts';
import { wmo301 } from '../tests/helpers/messages.ts';
import { OFFICIAL_WMO301 } from '../tests/helpers/scale-out.ts';

/** Migrates `schema` at `url` and fills it with `count` delivered berichten; returns the rows in `messages`. */
export async function prefillPostgres(url: string, schema: string, count: number): Promise<number> {
  const store = openPostgresStore({ url, schema, poolSize: 2, applicationName: 'schakel-bench-prefill' });
  let template: string;
  try {
    await store.ready;
    const body = readFileSync(OFFICIAL_WMO301);
    const inserted = await store.insertMessage(wmo301({ berichtIdentificatie: 'PREFILL-0', body }), 'bench');
    template = inserted.id;
    const [ref] = await store.leaseForPublish('bench', 1, 30_000);
    if (!ref) throw new Error('prefill: the template bericht was not leased for publication');
    await store.markPublished([ref]);
    const claim = await store.claimPublished(ref, 'bench', 30_000);
    if (claim.kind !== 'claimed') throw new Error(`prefill: claim ${claim.kind}`);
    const now = new Date();
    const attempt = { startedAt: now, finishedAt: now, outcome: 'delivered' as const, httpStatus: 200 };
    await store.completeDelivery(claim.lease, attempt, { kind: 'delivered' });
  } finally {
    await store.close();
  }
  if (count <= 1) return 1;
  const client = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
  await client.connect();
  try {
    await client.query('BEGIN');
    // One new id per copy; every copy is the template with its own id, identificatie and times.
    await client.query(
      `CREATE TEMP TABLE prefill ON COMMIT DROP AS
       SELECT g, gen_random_uuid()::text AS id, (extract(epoch FROM now()) * 1000)::bigint - ($1::bigint - g) * 1000 AS at
       FROM generate_series(1, $1::int - 1) g`,
      [count],
    );
    // Each copy is the template's row with the columns in `changes` replaced (expressions over the copy `p`).
    const copy = async (table: string, key: string, changes: Record<string, string>) => {
      const { rows } = await client.query<{ column_name: string }>(
        `SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2
         ORDER BY ordinal_position`,
        [schema, table],
      );
      const columns = rows.map((r) => r.column_name);
      const values = columns.map((c) => changes[c] ?? `t.${c}`);
      await client.query(
        `INSERT INTO ${table} (${columns.join(', ')})
         SELECT ${values.join(', ')} FROM ${table} t CROSS JOIN prefill p WHERE t.${key} = $1`,
        [template],
      );
    };
    // Bodies purged, as retention leaves delivered berichten (the sealed body is bound to its message id).
    await copy('messages', 'id', {
      id: 'p.id',
      bericht_identificatie: `'PREFILL-' || p.g`,
      dedup_id: `'PREFILL-' || p.g`,
      received_at: 'p.at',
      created_at: 'p.at',
      updated_at: 'p.at + 50',
      settled_at: 'p.at + 50',
      body: 'NULL',
      body_key: 'NULL',
      body_purged_at: 'p.at + 60',
    });
    // The copies of the serial-keyed tables take fresh keys from their sequences.
    const serial = (table: string) => `nextval(pg_get_serial_sequence('${table}', 'id'))`;
    await copy('status_history', 'message_id', { id: serial('status_history'), message_id: 'p.id', at: 'p.at' });
    await copy('delivery_attempts', 'message_id', { id: serial('delivery_attempts'), message_id: 'p.id' });
    await copy('bsn_index', 'message_id', { message_id: 'p.id' });
    await client.query('COMMIT');
    await client.query('ANALYZE');
    const { rows } = await client.query<{ n: string }>('SELECT COUNT(*) AS n FROM messages');
    return Number(rows[0]!.n);
  } finally {
    await client.end();
  }
}
