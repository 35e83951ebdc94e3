/**
 * The store contract against a real PostgreSQL, in a schema of its own that is dropped afterwards, plus what
 * only a shared database shows: uniqueness under concurrent inserts from several instances, disjoint leases
 * (FOR UPDATE SKIP LOCKED), migrations started by two instances at once.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BodyCipher } from '../../src/security/body-cipher.ts';
import { PG_MIGRATIONS } from '../../src/store/postgres/migrations.ts';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres.ts';
import type { MessageStatus } from '../../src/store/types.ts';
import { beheerStateContract } from '../contract/beheer-state.contract.ts';
import { encryptionContract, type RawRow } from '../contract/encryption.contract.ts';
import { scopeContract } from '../contract/scope.contract.ts';
import { storeContract } from '../contract/store.contract.ts';
import { wmo301 } from '../helpers/messages.ts';
import { createSchema, PG_URL, probePostgres, servicesAvailable, uniqueName } from '../helpers/services.ts';

const available = await servicesAvailable('PostgreSQL store', probePostgres());
const schema = uniqueName('schakel_test');
let dropSchema: (() => Promise<void>) | undefined;
const stores: PostgresStore[] = [];

function open(options: Partial<Parameters<typeof openPostgresStore>[0]> = {}): PostgresStore {
  const store = openPostgresStore({ url: PG_URL, schema, poolSize: 4, ...options });
  stores.push(store);
  return store;
}

async function sql<R extends pg.QueryResultRow>(text: string, values: unknown[] = [], inSchema = schema): Promise<R[]> {
  const client = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${inSchema}` });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

if (available) {
  beforeAll(async () => {
    dropSchema = await createSchema(schema);
    const store = open();
    await store.ready;
    await store.close();
  });
  afterAll(async () => {
    for (const s of stores.splice(0)) await s.close();
    await dropSchema?.();
  });
}

describe.skipIf(!available)('PostgreSQL store', () => {
  const makePostgres = async (clock: () => number) => {
    await sql('TRUNCATE messages, status_history, delivery_attempts, audit_log, outbox RESTART IDENTITY CASCADE');
    const store = open({ clock });
    await store.ready;
    const writeStatus = async (id: string, status: MessageStatus) => {
      await sql('UPDATE messages SET status = $1 WHERE id = $2', [status, id]);
    };
    return { store, dispose: () => store.close(), writeStatus };
  };
  storeContract('postgres', makePostgres);
  scopeContract('postgres', makePostgres);

  // Two stores (two instances' pools) on one schema.
  beheerStateContract('postgres', async () => {
    await sql('TRUNCATE beheer_sessions, beheer_login_attempts, beheer_buckets, beheer_jobs, beheer_job_results');
    const a = open();
    const b = open();
    await Promise.all([a.ready, b.ready]);
    return {
      a: a.beheerState,
      b: b.beheerState,
      dispose: async () => {
        await a.close();
        await b.close();
      },
    };
  });

  const encStores: PostgresStore[] = [];
  encryptionContract('postgres', {
    async reset() {
      await sql('TRUNCATE messages, status_history, delivery_attempts, audit_log, outbox RESTART IDENTITY CASCADE');
    },
    async open(cipher: BodyCipher) {
      const store = open({ cipher });
      encStores.push(store);
      await store.ready;
      return store;
    },
    async closeAll() {
      for (const s of encStores.splice(0)) await s.close();
    },
    async raw(id) {
      const [row] = await sql<RawRow>('SELECT body, body_key, findings FROM messages WHERE id = $1', [id]);
      return row!;
    },
    async rawAnswers(id) {
      return sql('SELECT answer_excerpt, answer_key FROM delivery_attempts WHERE message_id = $1 ORDER BY id', [id]);
    },
    async setRaw(id, row, dropIndex) {
      await sql('UPDATE messages SET body = $1, body_key = $2, findings = $3 WHERE id = $4', [
        row.body,
        row.body_key,
        row.findings,
        id,
      ]);
      if (dropIndex) await sql('DELETE FROM bsn_index WHERE message_id = $1', [id]);
    },
    async setRawAnswer(id, excerpt) {
      await sql('UPDATE delivery_attempts SET answer_excerpt = $1, answer_key = NULL WHERE message_id = $2', [
        excerpt,
        id,
      ]);
    },
  });

  describe('shared by several instances', () => {
    it('enforces uniqueness in the database itself, not only in insertMessage', async () => {
      await sql('TRUNCATE messages, status_history, delivery_attempts, audit_log, outbox RESTART IDENTITY CASCADE');
      const store = open();
      const { id } = await store.insertMessage(wmo301(), 'a');
      await expect(
        sql(
          `INSERT INTO messages (id, received_at, standard, release, message_name, direction, dedup_scope, dedup_sender,
             dedup_id, content_hash, body_size, source_kind, source_id, status, created_at, updated_at)
           SELECT 'copy', received_at, standard, release, message_name, direction, dedup_scope, dedup_sender, dedup_id,
             'other', 0, source_kind, source_id, 'queued', created_at, updated_at FROM messages WHERE id = $1`,
          [id],
        ),
      ).rejects.toThrow(/ux_messages_dedup_istd/);
      // A rejected copy takes no part in uniqueness.
      await sql(
        `INSERT INTO messages (id, received_at, standard, release, message_name, direction, dedup_scope, dedup_sender,
           dedup_id, content_hash, body_size, source_kind, source_id, status, created_at, updated_at)
         SELECT 'rejected-copy', received_at, standard, release, message_name, direction, dedup_scope, dedup_sender,
           dedup_id, 'other', 0, source_kind, source_id, 'rejected', created_at, updated_at FROM messages WHERE id = $1`,
        [id],
      );
    });

    it('TR507: TKBs on one budget stored by two instances at once go out one at a time', async () => {
      await sql('TRUNCATE messages, status_history, delivery_attempts, audit_log, outbox RESTART IDENTITY CASCADE');
      const [a, b] = [open(), open()];
      const key = { afzender: '0363', bsnHash: 'c'.repeat(64), budget: 'PGB-SCALE' };
      const tkb = (n: number) =>
        wmo301({
          standard: 'ipgb',
          release: '2.1',
          messageName: 'WMO501',
          ontvanger: 'SVB',
          berichtIdentificatie: `SC-${n}`,
          history: { periods: [], budgets: [key] },
        });
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, n) => (n % 2 ? a : b).insertMessage(tkb(n), 'a')),
      );
      const statuses = async () => Promise.all(results.map(async (r) => (await a.getMessage(r.id))!.status));
      expect((await statuses()).filter((x) => x === 'queued')).toHaveLength(1);
      expect((await statuses()).filter((x) => x === 'on_hold')).toHaveLength(9);
      // Its retour, stored by either instance, releases exactly one more.
      const first = results[(await statuses()).indexOf('queued')]!;
      await b.insertMessage(
        wmo301({
          messageName: 'WMO502',
          direction: 'retour',
          berichtIdentificatie: 'SC-R',
          dedup: null,
          correlatedTo: first.id,
        }),
        'a',
      );
      expect((await statuses()).filter((x) => x === 'queued')).toHaveLength(2);
      expect((await statuses()).filter((x) => x === 'on_hold')).toHaveLength(8);
    });

    it('stores one message when two instances insert the same identity at the same moment', async () => {
      await sql('TRUNCATE messages, status_history, delivery_attempts, audit_log, outbox RESTART IDENTITY CASCADE');
      const a = open();
      const b = open();
      const rounds = 20;
      for (let i = 0; i < rounds; i++) {
        const same = wmo301({ berichtIdentificatie: `SAME-${i}` });
        const other = wmo301({ berichtIdentificatie: `SAME-${i}`, body: `<Bericht>other ${i}</Bericht>` });
        const results = await Promise.all([
          a.insertMessage(same, 'a'),
          b.insertMessage(same, 'b'),
          b.insertMessage(other, 'b'),
        ]);
        const kinds = results.map((r) => r.kind);
        expect(new Set(results.map((r) => r.id)).size).toBe(1);
        // Whichever of the three won, exactly one was inserted; the other content is refused unless it won.
        expect(kinds.filter((k) => k === 'inserted')).toHaveLength(1);
        if (kinds[2] === 'inserted') expect(kinds.slice(0, 2)).toEqual(['duplicate-different', 'duplicate-different']);
        else expect(kinds[2]).toBe('duplicate-different');
      }
      const [count] = await sql<{ n: number }>('SELECT COUNT(*)::int AS n FROM messages');
      const [outbox] = await sql<{ n: number }>('SELECT COUNT(*)::int AS n FROM outbox');
      expect(count!.n).toBe(rounds);
      expect(outbox!.n).toBe(rounds);
    });

    it('gives instances leasing at the same time disjoint deliveries, and all of them', async () => {
      await sql('TRUNCATE messages, status_history, delivery_attempts, audit_log, outbox RESTART IDENTITY CASCADE');
      const writer = open();
      const n = 200;
      for (let i = 0; i < n; i++) await writer.insertMessage(wmo301({ berichtIdentificatie: `L-${i}` }), 'a');
      const instances = [open(), open(), open()];
      const taken: string[][] = instances.map(() => []);
      // Connect every instance first, so that none loses the race only because its pool was still opening.
      await Promise.all(instances.map((store) => store.statusCounts()));
      // Relays and embedded workers side by side would not happen; here each kind runs on its own half.
      await Promise.all(
        instances.map(async (store, k) => {
          for (let round = 0; round < 100; round++) {
            const leases =
              k === 0 ? await store.leaseDue(`w${k}`, 7, 60_000) : await store.leaseForPublish(`relay${k}`, 7, 60_000);
            if (leases.length === 0) break;
            taken[k]!.push(...leases.map((l) => l.messageId));
          }
        }),
      );
      const all = taken.flat();
      expect(all).toHaveLength(n);
      expect(new Set(all).size).toBe(n);
      expect(taken.every((t) => t.length > 0)).toBe(true);
    });

    it('migrates once when two instances start together, and refuses a newer schema', async () => {
      const fresh = uniqueName('schakel_migrate');
      const drop = await createSchema(fresh);
      try {
        const a = open({ schema: fresh });
        const b = open({ schema: fresh });
        const latest = PG_MIGRATIONS.at(-1)!.version;
        expect(await Promise.all([a.ready, b.ready])).toEqual([latest, latest]);
        expect(await sql('SELECT version FROM schema_migrations ORDER BY version', [], fresh)).toEqual(
          PG_MIGRATIONS.map((m) => ({ version: m.version })),
        );
        await sql(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)`, [], fresh);
        const c = open({ schema: fresh });
        await expect(c.ready).rejects.toThrow(/newer/);
        await expect(c.getMessage('x')).rejects.toThrow(/newer/);
      } finally {
        for (const s of stores.splice(0)) await s.close();
        await drop();
      }
    });

    it('creates its schema when missing', async () => {
      const fresh = uniqueName('schakel_new');
      const store = open({ schema: fresh });
      try {
        await store.ready;
        const { id } = await store.insertMessage(wmo301(), 'a');
        expect((await store.getMessage(id))!.status).toBe('queued');
      } finally {
        await store.close();
        await sql(`DROP SCHEMA IF EXISTS "${fresh}" CASCADE`, [], 'public');
      }
    });
  });
});
