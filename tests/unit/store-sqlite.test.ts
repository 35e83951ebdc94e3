import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { messageConditions } from '../../src/store/rules.ts';
import { GroupCommit } from '../../src/store/sqlite/group-commit.ts';
import { MIGRATIONS } from '../../src/store/sqlite/migrations.ts';
import { countMessages, whereOf } from '../../src/store/sqlite/statements.ts';
import { WalSync } from '../../src/store/sqlite/wal-sync.ts';
import { openSqliteStore, openSqliteStoreFromConfig, type SqliteStore } from '../../src/store/sqlite.ts';
import type { MessageStatus } from '../../src/store/types.ts';
import { beheerStateContract } from '../contract/beheer-state.contract.ts';
import { encryptionContract, type RawRow } from '../contract/encryption.contract.ts';
import { scopeContract } from '../contract/scope.contract.ts';
import { storeContract } from '../contract/store.contract.ts';
import { wmo301 } from '../helpers/messages.ts';
import { tempDirs } from '../helpers/temp.ts';

const temp = tempDirs();
const tempFile = () => join(temp('schakel-store-'), 'nested', 'schakel.sqlite');

const makeSqlite = async (clock: () => number) => {
  const store = openSqliteStore({ file: tempFile(), clock });
  const writeStatus = async (id: string, status: MessageStatus) => {
    store.db.prepare('UPDATE messages SET status = ? WHERE id = ?').run(status, id);
  };
  return { store, dispose: () => store.close(), writeStatus };
};
storeContract('sqlite', makeSqlite);
scopeContract('sqlite', makeSqlite);

// Two connections on one file: what one instance (or the same one after a restart) wrote, the other reads.
beheerStateContract('sqlite', async () => {
  const file = tempFile();
  const a = openSqliteStore({ file });
  const b = openSqliteStore({ file });
  return {
    a: a.beheerState,
    b: b.beheerState,
    dispose: async () => {
      await a.close();
      await b.close();
    },
  };
});

const storeModule = fileURLToPath(new URL('../../src/store/sqlite.ts', import.meta.url));

/** Runs `code` in a fresh Node process (with the TypeScript loader), waits for it to print READY, then kills it. */
async function runAndKill(code: string): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const ready = await new Promise<boolean>((resolve) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('READY')) resolve(true);
    });
    child.on('exit', () => resolve(false));
  });
  if (!ready) throw new Error(`child exited before READY: ${err}`);
  const exited = new Promise((resolve) => child.on('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  return out;
}

describe('SQLite store', () => {
  it('runs in WAL mode, fsyncs the WAL off the event loop (synchronous=NORMAL) and has foreign keys on', async () => {
    const store = openSqliteStore({ file: tempFile() });
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('synchronous', { simple: true })).toBe(1);
    expect(store.walSync).not.toBeNull();
    expect(store.db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(store.schemaVersion).toBe(MIGRATIONS.at(-1)!.version);
    await store.close();
  });

  it('counts a list filtered to queued or delivering from the leased outbox rows, not one lookup per message', async () => {
    const store = openSqliteStore({ file: tempFile() });
    // A backlog of 2,000 queued messages with due outbox rows; two of them under a delivery lease.
    const backlog = 2000;
    store.db
      .prepare(
        `WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < ?)
         INSERT INTO messages (id, received_at, standard, release, message_name, direction, content_hash, body_size,
           source_kind, source_id, status, destination, created_at, updated_at)
         SELECT 'q' || n, n, 'iwmo', '3.2', 'WMO301', 'heen', 'h', 1, 'caller', 's', 'queued', 'dest-a', n, n FROM g`,
      )
      .run(backlog);
    store.db
      .prepare(
        'INSERT INTO outbox (message_id, destination, due_at, created_at) SELECT id, destination, 1, 1 FROM messages',
      )
      .run();
    const leased = await store.leaseDue('worker', 2, 30_000);
    expect(leased).toHaveLength(2);

    expect((await store.listMessages({ status: ['delivering'], limit: 10 })).total).toBe(2);
    expect((await store.listMessages({ status: ['queued'], limit: 10 })).total).toBe(backlog - 2);
    expect((await store.listMessages({ status: ['queued', 'delivering'], limit: 10 })).total).toBe(backlog);
    const page = await store.listMessages({ status: ['delivering'], limit: 10 });
    expect(page.items.map((m) => m.id).sort()).toEqual(leased.map((l) => l.messageId).sort());

    // The plans: the outbox is searched once through the index of the leased rows, never per message by message_id.
    for (const status of ['queued', 'delivering'] as const) {
      const { where, params } = whereOf(messageConditions({ status: [status] }));
      const plan = store.db
        .prepare<unknown[], { detail: string }>(`EXPLAIN QUERY PLAN ${countMessages(store.db, where).source}`)
        .all(...params)
        .map((r) => r.detail);
      const outbox = plan.filter((d) => / lo\b/.test(d));
      expect(outbox, `${status}: ${plan.join(' | ')}`).toEqual([
        expect.stringContaining('USING INDEX ix_outbox_leased'),
      ]);
    }
    await store.close();
  });

  it('resolves a write only after an fsync of the WAL, and shares fsyncs between concurrent writes', async () => {
    const store = openSqliteStore({ file: tempFile() });
    const sync = store.walSync!;
    const before = sync.syncs;
    await store.insertMessage(wmo301({ berichtIdentificatie: 'ID-sync-0' }), 'a');
    expect(sync.syncs).toBe(before + 1);
    const many = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        store.insertMessage(wmo301({ berichtIdentificatie: `ID-sync-${i + 1}` }), 'a'),
      ),
    );
    expect(many.every((r) => r.kind === 'inserted')).toBe(true);
    // One group commit for the 40 writes, so one fsync (a second only if a sync was already running).
    expect(sync.syncs - before - 1).toBeGreaterThanOrEqual(1);
    expect(sync.syncs - before - 1).toBeLessThanOrEqual(2);
    await store.close();
  });

  it('makes a caller that arrives while an fsync runs wait for the next one', async () => {
    const store = openSqliteStore({ file: tempFile() });
    await store.insertMessage(wmo301({ berichtIdentificatie: 'ID-w' }), 'a');
    const sync = store.walSync!;
    const before = sync.syncs;
    const calls = Array.from({ length: 10 }, () => sync.synced());
    await Promise.all(calls);
    expect(sync.syncs - before).toBe(2);
    await store.close();
  });

  it("checkpoints the WAL from a worker thread, not on the writer's commits, and keeps it bounded", async () => {
    const file = tempFile();
    const store = openSqliteStore({ file, checkpointIntervalMs: 60_000 });
    expect(store.db.pragma('wal_autocheckpoint', { simple: true })).toBe(65536);
    const logs: number[] = [];
    for (let round = 0; round < 3; round++) {
      await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          store.insertMessage(wmo301({ berichtIdentificatie: `ID-cp-${round}-${i}`, body: 'x'.repeat(8000) }), 'a'),
        ),
      );
      const report = await store.checkpointer!.checkpointNow();
      // Every frame written so far is in the database file now.
      expect(report.log).toBeGreaterThan(0);
      expect(report.checkpointed).toBe(report.log);
      logs.push(report.log);
    }
    // The writer restarted the WAL after a checkpoint caught up, so it holds one round's frames, not all three.
    expect(logs[2]!).toBeLessThan(logs[0]! * 1.5);
    await store.close();
    // Closed cleanly: the data is all there for the next opener.
    const again = openSqliteStore({ file });
    expect((await again.listMessages({ limit: 500 })).items).toHaveLength(150);
    await again.close();
  });

  it('restarts the WAL after each checkpoint also while the writes never pause', async () => {
    const file = tempFile();
    const store = openSqliteStore({ file, checkpointIntervalMs: 60_000 });
    let written = 0;
    let stop = false;
    // Sixteen writers that each write again as soon as their last write is durable: a commit lands while every
    // checkpoint runs, so the log is never all copied when the writer begins (the case that grew the WAL).
    const writers = Array.from({ length: 16 }, async (_, w) => {
      for (let i = 0; !stop; i++) {
        await store.insertMessage(wmo301({ berichtIdentificatie: `ID-run-${w}-${i}`, body: 'x'.repeat(8000) }), 'a');
        written++;
      }
    });
    const logs: number[] = [];
    try {
      for (let round = 1; round <= 4; round++) {
        while (written < round * 100) await new Promise((r) => setTimeout(r, 2));
        logs.push((await store.checkpointer!.checkpointNow()).log);
      }
    } finally {
      stop = true;
      await Promise.all(writers);
    }
    // Each checkpoint saw about one round's frames (the log began again after the one before), not all of them.
    expect(logs[3]!).toBeLessThan(logs[0]! * 2);
    await store.close();
  });

  it('lives in <dataDir>/schakel.sqlite for a configuration', async () => {
    const dataDir = join(tempFile(), '..', 'data');
    const store = openSqliteStoreFromConfig({ dataDir, limits: { listPageMax: 2, answerExcerptChars: 10 } });
    expect(store.db.name).toBe(join(dataDir, 'schakel.sqlite'));
    for (let i = 0; i < 3; i++) await store.insertMessage(wmo301({ berichtIdentificatie: `ID-${i}` }), 'a');
    expect((await store.listMessages({ limit: 100 })).items).toHaveLength(2);
    await store.close();
  });

  it('keeps data across reopen and does not migrate twice', async () => {
    const file = tempFile();
    const a = openSqliteStore({ file });
    const { id } = await a.insertMessage(wmo301(), 'a');
    await a.close();
    const b = openSqliteStore({ file });
    expect((await b.getMessage(id))!.status).toBe('queued');
    expect(b.db.prepare('SELECT COUNT(*) AS n FROM schema_migrations').get()).toEqual({ n: MIGRATIONS.length });
    await b.close();
  });

  it('upgrades a version 1 database: its pending deliveries stay due for the embedded transport', async () => {
    const file = tempFile();
    const v1 = openSqliteStore({ file });
    const { id } = await v1.insertMessage(wmo301(), 'a');
    await v1.close();
    // Make it a database as version 1 left it: without the outbox phase column, the case reference (version 3),
    // the index of leased outbox rows (version 4), the history tables (version 5), gemeente and flow (version 6),
    // beheer's shared state (version 7), the bodies' own table (version 9: the body back in the messages row) and
    // their migration rows.
    const raw = new Database(file);
    raw.exec('ALTER TABLE messages ADD COLUMN body BLOB');
    // Version 1 stored the body in plain (no body_key, dropped below).
    raw.prepare('UPDATE messages SET body = ? WHERE id = ?').run(Buffer.from(wmo301().body), id);
    raw.exec('DROP TABLE message_bodies');
    raw.exec('DROP INDEX ix_messages_tenancy; ALTER TABLE messages DROP COLUMN gemeente');
    raw.exec('ALTER TABLE messages DROP COLUMN flow');
    raw.exec(
      'DROP TABLE beheer_job_results; DROP TABLE beheer_jobs; DROP TABLE beheer_buckets; DROP TABLE beheer_login_attempts; DROP TABLE beheer_sessions',
    );
    raw.exec('DROP TABLE history_periods; DROP TABLE history_budgets; DROP TABLE store_secrets');
    raw.exec('ALTER TABLE outbox DROP COLUMN phase');
    raw.exec('DROP INDEX ix_messages_case; ALTER TABLE messages DROP COLUMN case_ref; DROP INDEX ix_outbox_leased');
    raw.exec('DROP TABLE bsn_index; ALTER TABLE messages DROP COLUMN body_key');
    raw.exec('ALTER TABLE delivery_attempts DROP COLUMN answer_key');
    raw.prepare('DELETE FROM schema_migrations WHERE version > 1').run();
    raw.close();
    const upgraded = openSqliteStore({ file });
    expect(upgraded.schemaVersion).toBe(MIGRATIONS.at(-1)!.version);
    const leases = await upgraded.leaseDue('w', 10, 60_000);
    expect(leases.map((l) => l.messageId)).toEqual([id]);
    expect(leases[0]!.message.body!.toString()).toBe(wmo301().body);
    expect((await upgraded.getBody(id))!.toString()).toBe(wmo301().body);
    // Issue #15: the upgrade fills in gemeente (the party that is a gemeentecode) and flow (the standard's).
    const m = (await upgraded.getMessage(id))!;
    expect([m.gemeente, m.flow]).toEqual(['0363', 'wmo']);
    await upgraded.close();
  });

  it('refuses a database written by a newer schema', async () => {
    const file = tempFile();
    const a = openSqliteStore({ file });
    a.db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)").run();
    await a.close();
    expect(() => openSqliteStore({ file })).toThrow(/newer/);
  });

  it('enforces uniqueness in the database itself, not only in insertMessage', async () => {
    const store = openSqliteStore({ file: tempFile() });
    const { id } = await store.insertMessage(wmo301(), 'a');
    expect(() =>
      store.db
        .prepare(
          `INSERT INTO messages (id, received_at, standard, release, message_name, direction, dedup_scope, dedup_sender,
             dedup_id, content_hash, body_size, source_kind, source_id, status, created_at, updated_at)
           SELECT 'copy', received_at, standard, release, message_name, direction, dedup_scope, dedup_sender, dedup_id,
             'other', 0, source_kind, source_id, 'queued', created_at, updated_at FROM messages WHERE id = ?`,
        )
        .run(id),
    ).toThrow(/UNIQUE/);
    await store.close();
  });

  it('loses no accepted message when the process is killed right after the insert returned', async () => {
    const file = tempFile();
    const out = await runAndKill(`
      const { openSqliteStore } = await import(${JSON.stringify(storeModule)});
      const store = openSqliteStore({ file: ${JSON.stringify(file)} });
      const r = await store.insertMessage(${JSON.stringify(wmo301())}, 'caller');
      console.log('ID=' + r.id + ' READY');
      setInterval(() => {}, 1000);
    `);
    const id = /ID=(\S+)/.exec(out)![1]!;
    const store = openSqliteStore({ file });
    expect((await store.getMessage(id))!.status).toBe('queued');
    expect((await store.getBody(id))!.toString()).toBe(wmo301().body);
    await store.close();
  });

  it('resolves every write only after the WAL fsync that holds it: beheer actions, purges and audit too', async () => {
    let now = Date.UTC(2026, 0, 15);
    const store = openSqliteStore({ file: tempFile(), clock: () => now });
    const synced = async (write: () => Promise<unknown>) => {
      const before = store.walSync!.syncs;
      await write();
      return store.walSync!.syncs - before;
    };
    const { id } = await store.insertMessage(wmo301({ status: 'received', destination: 'dest-a' }), 'caller');
    const queued = (await store.insertMessage(wmo301({ berichtIdentificatie: 'ID-0002' }), 'caller')).id;
    expect(await synced(() => store.resend(id, 'beheer:anna'))).toBeGreaterThan(0);
    expect(await synced(() => store.hold(queued, 'beheer:anna', 'wacht'))).toBeGreaterThan(0);
    expect(await synced(() => store.release(queued, 'beheer:anna'))).toBeGreaterThan(0);
    expect(await synced(() => store.cancel(queued, 'beheer:anna'))).toBeGreaterThan(0);
    expect(await synced(() => store.audit({ actor: 'beheer:anna', action: 'beheer.login' }))).toBeGreaterThan(0);
    now += 400 * 86_400_000;
    const ages = { default: 1, perStandard: {} };
    expect(await synced(async () => expect((await store.purgeBodies(ages)).total).toBe(1))).toBeGreaterThan(0);
    expect(await synced(async () => expect((await store.purgeMetadata(ages)).total).toBe(1))).toBeGreaterThan(0);
    await store.close();
  });

  it('keeps a beheer resend when the process is killed right after it returned', async () => {
    const file = tempFile();
    const seeded = openSqliteStore({ file });
    const { id } = await seeded.insertMessage(wmo301({ status: 'received', destination: 'dest-a' }), 'caller');
    await seeded.close();
    const out = await runAndKill(`
      const { openSqliteStore } = await import(${JSON.stringify(storeModule)});
      const store = openSqliteStore({ file: ${JSON.stringify(file)} });
      const r = await store.resend(${JSON.stringify(id)}, 'beheer:anna');
      console.log('STATUS=' + r.status + ' READY');
      setInterval(() => {}, 1000);
    `);
    expect(out).toContain('STATUS=queued');
    const store = openSqliteStore({ file });
    expect((await store.getMessage(id))!.status).toBe('queued');
    expect((await store.statusHistory(id)).at(-1)).toMatchObject({
      from: 'received',
      to: 'queued',
      actor: 'beheer:anna',
    });
    expect((await store.listAudit({ targetId: id, action: 'message.resend' })).length).toBe(1);
    expect(await store.leaseDue('w', 10, 60_000)).toHaveLength(1);
    await store.close();
  });

  it('gives a killed worker’s leased deliveries to another worker once the lease has run out', async () => {
    const file = tempFile();
    await runAndKill(`
      const { openSqliteStore } = await import(${JSON.stringify(storeModule)});
      const store = openSqliteStore({ file: ${JSON.stringify(file)} });
      await store.insertMessage(${JSON.stringify(wmo301())}, 'caller');
      const leases = await store.leaseDue('doomed-worker', 10, 60000);
      console.log('LEASED=' + leases.length + ' READY');
      setInterval(() => {}, 1000);
    `);
    const early = openSqliteStore({ file });
    expect(await early.leaseDue('survivor', 10, 60_000)).toEqual([]);
    await early.close();
    const later = openSqliteStore({ file, clock: () => Date.now() + 61_000 });
    const leases = await later.leaseDue('survivor', 10, 60_000);
    expect(leases).toHaveLength(1);
    expect(leases[0]!.attempt).toBe(1);
    await later.close();
  });
});

describe('sqlite group commit', () => {
  it('commits concurrent writes together; one failing write rolls back alone', async () => {
    const file = tempFile();
    const store = openSqliteStore({ file, groupCommitMs: 5 });
    const first = await store.insertMessage(
      wmo301({ id: 'fixed-id', dedup: { scope: 'istd', sender: '0384', identificatie: 'GC0' } }),
      't',
    );
    expect(first.kind).toBe('inserted');
    const writes = Array.from({ length: 20 }, (_, i) =>
      store.insertMessage(
        wmo301({
          // Write 7 reuses an existing primary key: it must fail without taking the other 19 with it.
          ...(i === 7 ? { id: 'fixed-id' } : {}),
          berichtIdentificatie: `GC${i + 1}`,
          dedup: { scope: 'istd', sender: '0384', identificatie: `GC${i + 1}` },
        }),
        't',
      ),
    );
    const results = await Promise.allSettled(writes);
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
    expect(results[7]!.status).toBe('rejected');
    await store.close();

    const db = new Database(file, { readonly: true });
    const rows = db.prepare(`SELECT COUNT(*) AS n FROM messages`).get() as { n: number };
    const outbox = db.prepare(`SELECT COUNT(*) AS n FROM outbox`).get() as { n: number };
    const history = db.prepare(`SELECT COUNT(*) AS n FROM status_history WHERE message_id = 'fixed-id'`).get() as {
      n: number;
    };
    db.close();
    expect(rows.n).toBe(20);
    expect(outbox.n).toBe(20);
    // The failed write left no half-written history for the id it collided with.
    expect(history.n).toBe(1);
  });
});

describe('sqlite group commit when the transaction cannot begin', () => {
  it('rejects the batch once with the lock error, without running it again with savepoints', async () => {
    const file = tempFile();
    openSqliteStore({ file }).close();
    const db = new Database(file);
    db.pragma('busy_timeout = 50');
    const other = new Database(file);
    other.exec('BEGIN EXCLUSIVE');
    // Counts the transactions GroupCommit starts on the real database.
    let begun = 0;
    const counting = {
      transaction: (fn: (...a: never[]) => unknown) => {
        const t = db.transaction(fn);
        return {
          immediate: (...a: never[]) => {
            begun++;
            return t.immediate(...a);
          },
        };
      },
    } as unknown as Database.Database;
    const commits = new GroupCommit(counting, null, 0);
    let ran = 0;
    const writes = [1, 2, 3].map(() => commits.run(() => ran++));
    const results = await Promise.allSettled(writes);
    expect(results.map((r) => r.status === 'rejected' && (r.reason as { code?: string }).code)).toEqual([
      'SQLITE_BUSY',
      'SQLITE_BUSY',
      'SQLITE_BUSY',
    ]);
    expect([begun, ran]).toEqual([1, 0]);
    other.exec('ROLLBACK');
    await expect(commits.run(() => 'after')).resolves.toBe('after');
    other.close();
    db.close();
  });
});

describe('sqlite group commit while the WAL is being fsynced', () => {
  it('holds the writes that arrive during an fsync and commits them together when it ends', async () => {
    const file = tempFile();
    await openSqliteStore({ file }).close();
    const db = new Database(file);
    db.exec('CREATE TABLE t (x INTEGER)');
    const insert = db.prepare('INSERT INTO t VALUES (?)');
    const wal = new WalSync(`${file}-wal`);
    // The real fsync, begun only when the test lets it: until then an fsync is under way.
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    let running: Promise<void> | null = null;
    const sync = {
      get inFlight() {
        return running;
      },
      synced() {
        running ??= held
          .then(() => wal.synced())
          .finally(() => {
            running = null;
          });
        return running;
      },
    };
    const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const commits = new GroupCommit(db, sync, 2);
    const writes = [commits.run(() => insert.run(0))];
    while (commits.commits < 1) await pause(1);
    // Five writes, each after more than the 2-ms window: with no fsync under way each would be a commit of its own.
    for (let i = 1; i <= 5; i++) {
      writes.push(commits.run(() => insert.run(i)));
      await pause(5);
    }
    expect(commits.commits).toBe(1);
    release();
    await Promise.all(writes);
    expect(commits.commits).toBe(2);
    expect(db.prepare('SELECT COUNT(*) AS n FROM t').get()).toEqual({ n: 6 });
    await wal.close();
    db.close();
  });
});

// ---- encryption at rest (issue 15 part 4) ----

let encFile = '';
const encStores: SqliteStore[] = [];
const encDb = () => new Database(encFile);
encryptionContract('sqlite', {
  async reset() {
    encFile = tempFile();
  },
  async open(cipher) {
    const store = openSqliteStore({ file: encFile, cipher });
    encStores.push(store);
    return store;
  },
  async closeAll() {
    for (const s of encStores.splice(0)) await s.close();
  },
  async raw(id) {
    const db = encDb();
    try {
      return db
        .prepare(
          `SELECT b.body, m.body_key, m.findings FROM messages m LEFT JOIN message_bodies b ON b.message_id = m.id
           WHERE m.id = ?`,
        )
        .get(id) as RawRow;
    } finally {
      db.close();
    }
  },
  async rawAnswers(id) {
    const db = encDb();
    try {
      return db
        .prepare('SELECT answer_excerpt, answer_key FROM delivery_attempts WHERE message_id = ? ORDER BY id')
        .all(id) as { answer_excerpt: string | null; answer_key: string | null }[];
    } finally {
      db.close();
    }
  },
  async setRaw(id, row, dropIndex) {
    const db = encDb();
    try {
      db.prepare('UPDATE messages SET body_key = ?, findings = ? WHERE id = ?').run(row.body_key, row.findings, id);
      if (row.body === null) db.prepare('DELETE FROM message_bodies WHERE message_id = ?').run(id);
      else
        db.prepare(
          `INSERT INTO message_bodies (message_id, body) VALUES (?, ?)
           ON CONFLICT (message_id) DO UPDATE SET body = excluded.body`,
        ).run(id, row.body);
      if (dropIndex) db.prepare('DELETE FROM bsn_index WHERE message_id = ?').run(id);
    } finally {
      db.close();
    }
  },
  async setRawAnswer(id, excerpt) {
    const db = encDb();
    try {
      db.prepare('UPDATE delivery_attempts SET answer_excerpt = ?, answer_key = NULL WHERE message_id = ?').run(
        excerpt,
        id,
      );
    } finally {
      db.close();
    }
  },
});
