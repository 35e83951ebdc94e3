import type pg from 'pg';

export interface PgMigration {
  version: number;
  name: string;
  sql: string;
}

/**
 * Append only: a released migration is never edited, a change is a new version. Times are epoch milliseconds
 * (bigint), taken from the store's clock like the SQLite store does, so both behave the same under a pinned
 * clock. The tables mirror the SQLite store's, with the outbox phases of scale-out from the start.
 */
export const PG_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    name: 'initial',
    sql: `
      CREATE TABLE messages (
        id                    text PRIMARY KEY,
        received_at           bigint NOT NULL,
        standard              text NOT NULL,
        release               text NOT NULL,
        message_name          text NOT NULL,
        direction             text NOT NULL CHECK (direction IN ('heen', 'retour')),
        afzender              text,
        ontvanger             text,
        bericht_identificatie text,
        dagtekening           text,
        berichtcode           text,
        referentienummer      text,
        cross_ref             text,
        dedup_scope           text CHECK (dedup_scope IN ('istd', 'stuf')),
        dedup_sender          text,
        dedup_id              text,
        content_hash          text NOT NULL,
        body                  bytea,
        body_size             integer NOT NULL,
        body_purged_at        bigint,
        source_kind           text NOT NULL CHECK (source_kind IN ('caller', 'inbound')),
        source_id             text NOT NULL,
        status                text NOT NULL CHECK (status IN ('received', 'queued', 'delivering', 'delivered',
                                'failed', 'dead', 'on_hold', 'cancelled', 'rejected')),
        status_reason         text,
        destination           text,
        correlated_to         text REFERENCES messages(id) ON DELETE SET NULL,
        answered_by           text REFERENCES messages(id) ON DELETE SET NULL,
        answer_summary        text,
        findings              text NOT NULL DEFAULT '[]',
        finding_count         integer NOT NULL DEFAULT 0,
        attempts              integer NOT NULL DEFAULT 0,
        next_attempt_at       bigint,
        settled_at            bigint,
        created_at            bigint NOT NULL,
        updated_at            bigint NOT NULL,
        CHECK ((dedup_scope IS NULL) = (dedup_sender IS NULL) AND (dedup_scope IS NULL) = (dedup_id IS NULL))
      );
      -- TR056: (sender, message name, identificatie); StUF016: (zender, referentienummer). Rejected messages
      -- take no part. Enforced by the database, across all gateway instances.
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
        id          bigserial PRIMARY KEY,
        message_id  text NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        at          bigint NOT NULL,
        from_status text,
        to_status   text NOT NULL,
        actor       text NOT NULL,
        reason      text
      );
      CREATE INDEX ix_status_history_message ON status_history (message_id, id);

      CREATE TABLE delivery_attempts (
        id              bigserial PRIMARY KEY,
        message_id      text NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        attempt_no      integer NOT NULL,
        destination     text NOT NULL,
        started_at      bigint NOT NULL,
        finished_at     bigint NOT NULL,
        duration_ms     integer NOT NULL,
        outcome         text NOT NULL CHECK (outcome IN ('delivered', 'retry', 'failed')),
        result_status   text NOT NULL,
        http_status     integer,
        reason          text,
        answer_excerpt  text,
        next_attempt_at bigint
      );
      CREATE INDEX ix_delivery_attempts_message ON delivery_attempts (message_id, attempt_no);

      CREATE TABLE audit_log (
        id        bigserial PRIMARY KEY,
        at        bigint NOT NULL,
        actor     text NOT NULL,
        action    text NOT NULL,
        target_id text,
        details   text NOT NULL DEFAULT '{}'
      );
      CREATE INDEX ix_audit_log_target ON audit_log (target_id, id) WHERE target_id IS NOT NULL;
      CREATE INDEX ix_audit_log_at ON audit_log (at);

      -- One pending delivery per message at most. phase: due (for leaseDue or the relay), publishing (relay
      -- lease), published (waiting in the broker, lease free), claimed (a broker consumer delivers it).
      CREATE TABLE outbox (
        id          bigserial PRIMARY KEY,
        message_id  text NOT NULL UNIQUE REFERENCES messages(id) ON DELETE CASCADE,
        destination text NOT NULL,
        due_at      bigint NOT NULL,
        attempts    integer NOT NULL DEFAULT 0,
        lease_owner text,
        lease_token text,
        lease_until bigint,
        phase       text NOT NULL DEFAULT 'due' CHECK (phase IN ('due', 'publishing', 'published', 'claimed')),
        created_at  bigint NOT NULL
      );
      CREATE INDEX ix_outbox_due ON outbox (due_at, id);
    `,
  },
  {
    version: 2,
    name: 'case-correlation',
    // A CORV notificatie relates to its VTO through case data: the VTO keeps a hash of its zaak identificatie.
    sql: `
      ALTER TABLE messages ADD COLUMN case_ref text;
      CREATE INDEX ix_messages_case ON messages (afzender, message_name, case_ref) WHERE case_ref IS NOT NULL;
    `,
  },
  {
    version: 3,
    name: 'outbox-leases',
    // The next due time reads the first unleased row from ix_outbox_due and the few leased rows from here,
    // instead of scanning a backlog of any size.
    sql: `
      CREATE INDEX ix_outbox_leased ON outbox (lease_until) WHERE lease_until IS NOT NULL;
    `,
  },
  {
    version: 4,
    name: 'message-history',
    // The history the level-3 rules of iEb/iPgb read: keyed on an HMAC of the Bsn, never the Bsn itself. Rows go
    // with their message (retention deletes both).
    sql: `
      CREATE TABLE store_secrets (
        name  text PRIMARY KEY,
        value bytea NOT NULL
      );
      CREATE TABLE history_periods (
        id           bigserial PRIMARY KEY,
        message_id   text NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        message_name text NOT NULL,
        afzender     text NOT NULL,
        bsn_hash     text NOT NULL,
        nummer       text NOT NULL,
        status       text NOT NULL
      );
      CREATE INDEX ix_history_periods_key ON history_periods (message_name, afzender, bsn_hash, nummer, id);
      CREATE INDEX ix_history_periods_message ON history_periods (message_id);
      CREATE TABLE history_budgets (
        id         bigserial PRIMARY KEY,
        message_id text NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        afzender   text NOT NULL,
        bsn_hash   text NOT NULL,
        budget     text NOT NULL
      );
      CREATE INDEX ix_history_budgets_key ON history_budgets (afzender, budget, bsn_hash);
      CREATE INDEX ix_history_budgets_message ON history_budgets (message_id);
    `,
  },
  {
    version: 5,
    name: 'tenancy',
    // Issue #15, task tenancy: every bericht carries its gemeente (CBS code, null when it names none) and its
    // flow (purpose); beheer reads are limited to a user's grants on them. Existing rows: flow from the
    // standard, gemeente from the party that is a gemeentecode.
    sql: `
      ALTER TABLE messages ADD COLUMN gemeente text;
      ALTER TABLE messages ADD COLUMN flow text;
      UPDATE messages SET
        flow = CASE standard WHEN 'iwmo' THEN 'wmo' WHEN 'ijw' THEN 'jeugd' WHEN 'ipgb' THEN 'pgb'
          WHEN 'ieb' THEN 'eigen-bijdrage' WHEN 'stuf-jz' THEN 'jeugdbescherming' END,
        gemeente = CASE WHEN afzender ~ '^[0-9]{4}$' THEN afzender WHEN ontvanger ~ '^[0-9]{4}$' THEN ontvanger END;
      CREATE INDEX ix_messages_tenancy ON messages (gemeente, flow, received_at);
    `,
  },
  {
    version: 6,
    name: 'beheer-state',
    // Issue #15 part 3 (helper shared-state): beheer's state shared by every instance on this store: sessions
    // (the SHA-256 of the cookie, never the cookie), login attempts, failed-authentication buckets, bulk jobs.
    sql: `
      CREATE TABLE beheer_sessions (
        id_hash    TEXT PRIMARY KEY,
        user_name  TEXT NOT NULL,
        csrf_token TEXT NOT NULL,
        created_at bigint NOT NULL,
        expires_at bigint NOT NULL,
        auth       TEXT
      );
      CREATE INDEX ix_beheer_sessions_expires ON beheer_sessions (expires_at);
      CREATE TABLE beheer_login_attempts (
        user_name TEXT PRIMARY KEY,
        failed    INTEGER NOT NULL,
        running   INTEGER NOT NULL,
        since     bigint NOT NULL
      );
      CREATE TABLE beheer_buckets (
        key    TEXT PRIMARY KEY,
        tokens double precision NOT NULL,
        at     bigint NOT NULL
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
        lease_until bigint NOT NULL,
        created_at  bigint NOT NULL,
        finished_at bigint,
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
        ok         boolean NOT NULL,
        status     TEXT,
        reason     TEXT,
        PRIMARY KEY (job_id, seq)
      );
    `,
  },
  {
    version: 7,
    name: 'encryption-at-rest',
    // Task "encryption" (issue 15 part 4): the key id of a sealed body and findings, of a sealed answer excerpt
    // (null: stored before encryption, in plain), and the keyed-hash index of the BSNs in each bericht.
    sql: `
      ALTER TABLE messages ADD COLUMN body_key text;
      ALTER TABLE delivery_attempts ADD COLUMN answer_key text;
      CREATE TABLE bsn_index (
        bsn_hash   text NOT NULL,
        message_id text NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        PRIMARY KEY (bsn_hash, message_id)
      );
      CREATE INDEX ix_bsn_index_message ON bsn_index (message_id);
    `,
  },
  {
    // Task scaleout-cost (issue 17 part 4): renumber when merging with other helpers' migrations.
    version: 8,
    name: 'body-lz4',
    // Bodies are compressed with lz4 instead of pglz where the server has it: pglz spent ~0.2 ms of PostgreSQL
    // CPU per 7 KB bericht on the insert, lz4 a fraction of that (new rows; existing ones stay as they are).
    sql: `
      DO $$ BEGIN
        IF 'lz4' = ANY ((SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression')::text[]) THEN
          ALTER TABLE messages ALTER COLUMN body SET COMPRESSION lz4;
        END IF;
      END $$;
    `,
  },
  {
    version: 9,
    name: 'outbox-unleased',
    // The relay's lease reads the rows not yet published in due order from here, instead of reading past every
    // publication that waits in the broker (statements.ts LEASE_FOR_PUBLISH): with 20,000 of those in front of a
    // few fresh rows the lease took ~6 ms a round, with this index ~0.2 ms.
    sql: `
      CREATE INDEX ix_outbox_unleased ON outbox (due_at, id) WHERE lease_until IS NULL AND phase <> 'published';
    `,
  },
];

/** Arbitrary first key of the advisory lock that serialises migrations of one schema across instances. */
const MIGRATION_LOCK = 0x5c4a;

export function assertSchemaName(schema: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new Error(`PostgreSQL schema name "${schema}" must be lower-case letters, digits and "_" (max 63)`);
  }
  return schema;
}

/**
 * Brings the schema to the newest version in one transaction, under an advisory lock so instances starting
 * together apply each migration once; refuses a schema written by a newer Schakel. Returns the version.
 */
export async function migratePostgres(
  client: pg.ClientBase,
  schema: string | null,
  now: () => number,
): Promise<number> {
  const latest = PG_MIGRATIONS.at(-1)?.version ?? 0;
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [MIGRATION_LOCK, schema ?? '(search_path)']);
    if (schema) await client.query(`CREATE SCHEMA IF NOT EXISTS "${assertSchemaName(schema)}"`);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version    integer PRIMARY KEY,
      name       text NOT NULL,
      applied_at bigint NOT NULL
    )`);
    const { rows } = await client.query<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations');
    const current = rows[0]?.v ?? 0;
    if (current > latest) {
      throw new Error(`store schema version ${current} is newer than this Schakel knows (${latest})`);
    }
    for (const m of PG_MIGRATIONS) {
      if (m.version <= current) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
        m.version,
        m.name,
        now(),
      ]);
    }
    await client.query('COMMIT');
    return Math.max(current, latest);
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
}
