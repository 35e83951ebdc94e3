import type { Database } from 'better-sqlite3';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Append only: a released migration is never edited, a change is a new version. Times are epoch milliseconds. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial',
    sql: `
      CREATE TABLE messages (
        id                    TEXT PRIMARY KEY,
        received_at           INTEGER NOT NULL,
        standard              TEXT NOT NULL,
        release               TEXT NOT NULL,
        message_name          TEXT NOT NULL,
        direction             TEXT NOT NULL CHECK (direction IN ('heen', 'retour')),
        afzender              TEXT,
        ontvanger             TEXT,
        bericht_identificatie TEXT,
        dagtekening           TEXT,
        berichtcode           TEXT,
        referentienummer      TEXT,
        cross_ref             TEXT,
        dedup_scope           TEXT CHECK (dedup_scope IN ('istd', 'stuf')),
        dedup_sender          TEXT,
        dedup_id              TEXT,
        content_hash          TEXT NOT NULL,
        body                  BLOB,
        body_size             INTEGER NOT NULL,
        body_purged_at        INTEGER,
        source_kind           TEXT NOT NULL CHECK (source_kind IN ('caller', 'inbound')),
        source_id             TEXT NOT NULL,
        status                TEXT NOT NULL CHECK (status IN ('received', 'queued', 'delivering', 'delivered',
                                'failed', 'dead', 'on_hold', 'cancelled', 'rejected')),
        status_reason         TEXT,
        destination           TEXT,
        correlated_to         TEXT REFERENCES messages(id) ON DELETE SET NULL,
        answered_by           TEXT REFERENCES messages(id) ON DELETE SET NULL,
        answer_summary        TEXT,
        findings              TEXT NOT NULL DEFAULT '[]',
        attempts              INTEGER NOT NULL DEFAULT 0,
        next_attempt_at       INTEGER,
        settled_at            INTEGER,
        created_at            INTEGER NOT NULL,
        updated_at            INTEGER NOT NULL,
        CHECK ((dedup_scope IS NULL) = (dedup_sender IS NULL) AND (dedup_scope IS NULL) = (dedup_id IS NULL))
      );
      -- TR056: (sender, message name, identificatie); StUF016: (zender, referentienummer).
      CREATE UNIQUE INDEX ux_messages_dedup_istd ON messages (dedup_sender, message_name, dedup_id)
        WHERE dedup_scope = 'istd' AND status <> 'rejected';
      CREATE UNIQUE INDEX ux_messages_dedup_stuf ON messages (dedup_sender, dedup_id)
        WHERE dedup_scope = 'stuf' AND status <> 'rejected';
      CREATE INDEX ix_messages_received ON messages (received_at DESC, id DESC);
      CREATE INDEX ix_messages_status ON messages (status, received_at);
      CREATE INDEX ix_messages_settled ON messages (standard, settled_at) WHERE settled_at IS NOT NULL;
      CREATE INDEX ix_messages_correlation ON messages (message_name, afzender, bericht_identificatie, dagtekening);
      CREATE INDEX ix_messages_referentie ON messages (afzender, referentienummer) WHERE referentienummer IS NOT NULL;
      CREATE INDEX ix_messages_correlated_to ON messages (correlated_to) WHERE correlated_to IS NOT NULL;
      CREATE INDEX ix_messages_answered_by ON messages (answered_by) WHERE answered_by IS NOT NULL;

      CREATE TABLE status_history (
        id          INTEGER PRIMARY KEY,
        message_id  TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        at          INTEGER NOT NULL,
        from_status TEXT,
        to_status   TEXT NOT NULL,
        actor       TEXT NOT NULL,
        reason      TEXT
      );
      CREATE INDEX ix_status_history_message ON status_history (message_id, id);

      CREATE TABLE delivery_attempts (
        id              INTEGER PRIMARY KEY,
        message_id      TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        attempt_no      INTEGER NOT NULL,
        destination     TEXT NOT NULL,
        started_at      INTEGER NOT NULL,
        finished_at     INTEGER NOT NULL,
        duration_ms     INTEGER NOT NULL,
        outcome         TEXT NOT NULL CHECK (outcome IN ('delivered', 'retry', 'failed')),
        result_status   TEXT NOT NULL,
        http_status     INTEGER,
        reason          TEXT,
        answer_excerpt  TEXT,
        next_attempt_at INTEGER
      );
      CREATE INDEX ix_delivery_attempts_message ON delivery_attempts (message_id, attempt_no);

      CREATE TABLE audit_log (
        id        INTEGER PRIMARY KEY,
        at        INTEGER NOT NULL,
        actor     TEXT NOT NULL,
        action    TEXT NOT NULL,
        target_id TEXT,
        details   TEXT NOT NULL DEFAULT '{}'
      );
      CREATE INDEX ix_audit_log_target ON audit_log (target_id, id) WHERE target_id IS NOT NULL;
      CREATE INDEX ix_audit_log_at ON audit_log (at);

      -- One pending delivery per message at most.
      CREATE TABLE outbox (
        id          INTEGER PRIMARY KEY,
        message_id  TEXT NOT NULL UNIQUE REFERENCES messages(id) ON DELETE CASCADE,
        destination TEXT NOT NULL,
        due_at      INTEGER NOT NULL,
        attempts    INTEGER NOT NULL DEFAULT 0,
        lease_owner TEXT,
        lease_token TEXT,
        lease_until INTEGER,
        created_at  INTEGER NOT NULL
      );
      CREATE INDEX ix_outbox_due ON outbox (due_at, id);
    `,
  },
  {
    version: 2,
    name: 'outbox-phases',
    // Scale-out: a row is due (for leaseDue or the relay), publishing (relay lease), published (waiting in the
    // broker) or claimed (a broker consumer delivers it). The embedded transport only uses due rows.
    sql: `
      ALTER TABLE outbox ADD COLUMN phase TEXT NOT NULL DEFAULT 'due'
        CHECK (phase IN ('due', 'publishing', 'published', 'claimed'));
    `,
  },
  {
    version: 3,
    name: 'case-correlation',
    // A CORV notificatie relates to its VTO through case data: the VTO keeps a hash of its zaak identificatie.
    sql: `
      ALTER TABLE messages ADD COLUMN case_ref TEXT;
      CREATE INDEX ix_messages_case ON messages (afzender, message_name, case_ref) WHERE case_ref IS NOT NULL;
    `,
  },
  {
    version: 4,
    name: 'outbox-leases',
    // The next due time reads the first unleased row from ix_outbox_due and the few leased rows from here,
    // instead of scanning a backlog of any size.
    sql: `
      CREATE INDEX ix_outbox_leased ON outbox (lease_until) WHERE lease_until IS NOT NULL;
    `,
  },
  {
    version: 5,
    name: 'message-history',
    // The history the level-3 rules of iEb/iPgb read: keyed on an HMAC of the Bsn, never the Bsn itself. Rows go
    // with their message (retention deletes both).
    sql: `
      CREATE TABLE store_secrets (
        name  TEXT PRIMARY KEY,
        value BLOB NOT NULL
      );
      CREATE TABLE history_periods (
        id           INTEGER PRIMARY KEY,
        message_id   TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        message_name TEXT NOT NULL,
        afzender     TEXT NOT NULL,
        bsn_hash     TEXT NOT NULL,
        nummer       TEXT NOT NULL,
        status       TEXT NOT NULL
      );
      CREATE INDEX ix_history_periods_key ON history_periods (message_name, afzender, bsn_hash, nummer, id);
      CREATE INDEX ix_history_periods_message ON history_periods (message_id);
      CREATE TABLE history_budgets (
        id         INTEGER PRIMARY KEY,
        message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        afzender   TEXT NOT NULL,
        bsn_hash   TEXT NOT NULL,
        budget     TEXT NOT NULL
      );
      CREATE INDEX ix_history_budgets_key ON history_budgets (afzender, budget, bsn_hash);
      CREATE INDEX ix_history_budgets_message ON history_budgets (message_id);
    `,
  },
  {
    version: 6,
    name: 'tenancy',
    // Issue #15, task tenancy: every bericht carries its gemeente (CBS code, null when it names none) and its
    // flow (purpose); beheer reads are limited to a user's grants on them. Existing rows: flow from the
    // standard, gemeente from the party that is a gemeentecode.
    sql: `
      ALTER TABLE messages ADD COLUMN gemeente TEXT;
      ALTER TABLE messages ADD COLUMN flow TEXT;
      UPDATE messages SET
        flow = CASE standard WHEN 'iwmo' THEN 'wmo' WHEN 'ijw' THEN 'jeugd' WHEN 'ipgb' THEN 'pgb'
          WHEN 'ieb' THEN 'eigen-bijdrage' WHEN 'stuf-jz' THEN 'jeugdbescherming' END,
        gemeente = CASE WHEN afzender GLOB '[0-9][0-9][0-9][0-9]' THEN afzender
          WHEN ontvanger GLOB '[0-9][0-9][0-9][0-9]' THEN ontvanger END;
      CREATE INDEX ix_messages_tenancy ON messages (gemeente, flow, received_at);
    `,
  },
  {
    version: 7,
    name: 'beheer-state',
    // Issue #15 part 3 (helper shared-state): beheer's state shared by every instance on this store: sessions
    // (the SHA-256 of the cookie, never the cookie), login attempts, failed-authentication buckets, bulk jobs.
    sql: `
      CREATE TABLE beheer_sessions (
        id_hash    TEXT PRIMARY KEY,
        user_name  TEXT NOT NULL,
        csrf_token TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        auth       TEXT
      );
      CREATE INDEX ix_beheer_sessions_expires ON beheer_sessions (expires_at);
      CREATE TABLE beheer_login_attempts (
        user_name TEXT PRIMARY KEY,
        failed    INTEGER NOT NULL,
        running   INTEGER NOT NULL,
        since     INTEGER NOT NULL
      );
      CREATE TABLE beheer_buckets (
        key    TEXT PRIMARY KEY,
        tokens REAL NOT NULL,
        at     INTEGER NOT NULL
      );
      CREATE TABLE beheer_jobs (
        id          TEXT PRIMARY KEY,
        action      TEXT NOT NULL,
        actor       TEXT NOT NULL,
        selection   TEXT NOT NULL,
        reason      TEXT,
        ids         TEXT NOT NULL,
        state       TEXT NOT NULL,
        owner       TEXT NOT NULL,
        lease_until INTEGER NOT NULL,
        created_at  INTEGER NOT NULL,
        finished_at INTEGER,
        total       INTEGER NOT NULL,
        done        INTEGER NOT NULL DEFAULT 0,
        ok          INTEGER NOT NULL DEFAULT 0,
        failed      INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX ix_beheer_jobs_created ON beheer_jobs (created_at);
      CREATE INDEX ix_beheer_jobs_running ON beheer_jobs (lease_until) WHERE state = 'running';
      CREATE TABLE beheer_job_results (
        job_id     TEXT NOT NULL REFERENCES beheer_jobs(id) ON DELETE CASCADE,
        seq        INTEGER NOT NULL,
        message_id TEXT NOT NULL,
        ok         INTEGER NOT NULL,
        status     TEXT,
        reason     TEXT,
        PRIMARY KEY (job_id, seq)
      );
    `,
  },
  {
    version: 8,
    name: 'encryption-at-rest',
    // Task "encryption" (issue 15 part 4): the key id of a sealed body and findings, of a sealed answer excerpt
    // (null: stored before encryption, in plain), and the keyed-hash index of the BSNs in each bericht.
    sql: `
      ALTER TABLE messages ADD COLUMN body_key TEXT;
      ALTER TABLE delivery_attempts ADD COLUMN answer_key TEXT;
      CREATE TABLE bsn_index (
        bsn_hash   TEXT NOT NULL,
        message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        PRIMARY KEY (bsn_hash, message_id)
      ) WITHOUT ROWID;
      CREATE INDEX ix_bsn_index_message ON bsn_index (message_id);
    `,
  },
  {
    version: 9,
    name: 'message-bodies',
    // Issue 17 (delivery-cost): the body lives in its own table. A messages row holding a 7 KB body spans an overflow
    // page, and every status change rewrote it with its indexes (≈ 80–110 µs each, twice per delivery); without the
    // body the row is small and the same update costs ≈ 10 µs. The body's key id (body_key) stays on messages: it is
    // also the key of the findings there.
    sql: `
      CREATE TABLE message_bodies (
        message_id TEXT PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
        body       BLOB NOT NULL
      );
      INSERT INTO message_bodies (message_id, body) SELECT id, body FROM messages WHERE body IS NOT NULL;
      ALTER TABLE messages DROP COLUMN body;
    `,
  },
];

/** Brings the database to the newest version; refuses a database written by a newer Schakel. */
export function migrate(db: Database, now: () => number): number {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  )`);
  const latest = MIGRATIONS.at(-1)?.version ?? 0;
  const currentVersion = () =>
    (db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null }).v ?? 0;
  const applyPending = db.transaction(() => {
    const current = currentVersion();
    if (current > latest) {
      throw new Error(`store schema version ${current} is newer than this Schakel knows (${latest})`);
    }
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        m.version,
        m.name,
        now(),
      );
    }
  });
  applyPending.immediate();
  return currentVersion();
}
