import { createHash, randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Standard } from '../catalogue/types.ts';
import { redactDeep } from '../log.ts';
import { clean, flattenDedup, redactFinding, toAttempt, toOutboxMessage, toStored, toSummary, type AttemptRow, type MessageRow, type OutboxMessageRow } from './rows.ts';
import { assertSchemaName, migratePostgres } from './postgres-migrations.ts';
import {
  MESSAGE_STATUSES,
  SETTLED_STATUSES,
  type ActionResult,
  type AttemptReport,
  type AuditEntry,
  type AuditFilter,
  type AuditInput,
  type ClaimResult,
  type CompleteResult,
  type CorrelationKey,
  type DeliveryAttempt,
  type InsertResult,
  type Lease,
  type LeaseForPublishOptions,
  type MessageFilter,
  type MessagePage,
  type MessageStatus,
  type MessageStore,
  type NewMessage,
  type NextStep,
  type PublishLease,
  type PublishRef,
  type PurgeResult,
  type RetentionAges,
  type StatusChange,
  type StatusCounts,
  type StoredMessage,
} from './types.ts';

export interface PostgresStoreOptions {
  /** postgres://user:password@host:port/database */
  url: string;
  /** Connections in the pool. */
  poolSize?: number;
  /** Schema of the tables, created when missing; else the connection's search_path (normally `public`). */
  schema?: string | null;
  /** Apply pending migrations when the store opens (default true); `schakel migrate` does it separately. */
  migrate?: boolean;
  /** Epoch milliseconds; tests pin it. */
  clock?: () => number;
  listPageMax?: number;
  answerExcerptChars?: number;
  /** Shown in pg_stat_activity. */
  applicationName?: string;
}

const DEFAULT_PAGE = 50;
const SETTLED = new Set<MessageStatus>(SETTLED_STATUSES);
/** Deadlock and serialization failures: the transaction is simply run again. */
const RETRYABLE = new Set(['40P01', '40001']);
const INT8_OID = 20;

/** Opens the PostgreSQL store; it migrates in the background and every call waits for that (see `ready`). */
export function openPostgresStore(options: PostgresStoreOptions): PostgresStore {
  return new PostgresStore(options);
}


interface OutboxRow {
  id: number;
  message_id: string;
  destination: string;
  due_at: number;
  attempts: number;
  lease_owner: string | null;
  lease_token: string | null;
  lease_until: number | null;
  phase: 'due' | 'publishing' | 'published' | 'claimed';
}

const META_COLUMNS = `id, received_at, standard, release, message_name, direction, afzender, ontvanger,
  bericht_identificatie, dagtekening, berichtcode, referentienummer, cross_ref, dedup_scope, dedup_sender, dedup_id,
  content_hash, body_size, body IS NOT NULL AS has_body, body_purged_at, source_kind, source_id, status,
  status_reason, destination, correlated_to, answered_by, answer_summary, finding_count, attempts, next_attempt_at,
  settled_at, created_at, updated_at`;

const OUTBOX_MESSAGE_COLUMNS = `m.id, m.standard, m.release, m.message_name, m.direction, m.afzender, m.ontvanger,
  m.bericht_identificatie, m.referentienummer, m.cross_ref, m.correlated_to, m.body`;

type Client = pg.PoolClient;

/**
 * The message store of the scale-out deployment, shared by any number of gateway instances: the same
 * semantics as the SQLite store (uniqueness as a partial unique index, message + outbox row + history +
 * correlation in one transaction, leases with FOR UPDATE SKIP LOCKED so instances take disjoint rows). Row locks
 * are taken outbox row before message row; deadlocks and serialization failures are retried.
 */
export class PostgresStore implements MessageStore {
  readonly pool: pg.Pool;
  /** Resolves with the schema version once migrations ran (or were checked); rejects when the store cannot open. */
  readonly ready: Promise<number>;
  private readonly now: () => number;
  private readonly listPageMax: number;
  private readonly answerExcerptChars: number;
  private closed = false;

  constructor(options: PostgresStoreOptions) {
    this.now = options.clock ?? Date.now;
    this.listPageMax = options.listPageMax ?? 500;
    this.answerExcerptChars = options.answerExcerptChars ?? 500;
    const schema = options.schema ? assertSchemaName(options.schema) : null;
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      application_name: options.applicationName ?? 'schakel',
      ...(schema ? { options: `-c search_path=${schema}` } : {}),
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          oid === INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
      },
    });
    // An idle client losing its connection must not take the process down; the next query reconnects.
    this.pool.on('error', () => undefined);
    this.ready = this.open(schema, options.migrate !== false);
    // Callers see the failure through `ready` or their first call; it must not be an unhandled rejection.
    this.ready.catch(() => undefined);
  }

  private async open(schema: string | null, migrate: boolean): Promise<number> {
    const client = await this.pool.connect();
    try {
      if (!migrate) {
        const { rows } = await client.query<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations');
        return rows[0]?.v ?? 0;
      }
      return await migratePostgres(client, schema, this.now);
    } finally {
      client.release();
    }
  }

  private async q<R extends pg.QueryResultRow>(text: string, values: unknown[] = [], name?: string): Promise<R[]> {
    await this.ready;
    const result = await this.pool.query<R>(name ? { name, text, values } : { text, values });
    return result.rows;
  }

  /** Runs `fn` in a transaction; a deadlock or serialization failure runs it again (a few times). */
  private async tx<T>(fn: (c: Client) => Promise<T>): Promise<T> {
    await this.ready;
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      let broken = false;
      try {
        await client.query('BEGIN');
        const result = await fn(client);
        await client.query('COMMIT');
        return result;
      } catch (e) {
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
        const code = (e as { code?: string }).code;
        if (code && RETRYABLE.has(code) && attempt < 5) continue;
        throw e;
      } finally {
        client.release(broken);
      }
    }
  }

  async insertMessage(m: NewMessage, actor: string): Promise<InsertResult> {
    if (m.status === 'queued' && !m.destination) throw new Error('a queued message needs a destination');
    const body = typeof m.body === 'string' ? Buffer.from(m.body, 'utf8') : Buffer.from(m.body);
    const contentHash = m.contentHash ?? createHash('sha256').update(body).digest('hex');
    const dedup = flattenDedup(m.dedup);
    const findings = (m.findings ?? []).map(redactFinding);
    await this.ready;
    for (let round = 0; round < 3; round++) {
      const now = this.now();
      const id = m.id ?? randomUUID();
      // One statement, so one atomic write: the message, its first history row, its outbox row when queued, and
      // the heenbericht's answer when the retour's heen is known. A unique conflict inserts nothing at all.
      const inserted = await this.q<MessageRow>(
        `WITH ins AS (
           INSERT INTO messages (id, received_at, standard, release, message_name, direction, afzender, ontvanger,
             bericht_identificatie, dagtekening, berichtcode, referentienummer, cross_ref, dedup_scope, dedup_sender,
             dedup_id, content_hash, body, body_size, source_kind, source_id, status, status_reason, destination,
             correlated_to, findings, finding_count, next_attempt_at, settled_at, created_at, updated_at, case_ref)
           VALUES ($1, $2::bigint, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
             $21, $22::text, $23::text, $24::text, $25::text, $26, $27, $28::bigint, $29::bigint, $2::bigint, $2::bigint, $32)
           ON CONFLICT DO NOTHING
           RETURNING ${META_COLUMNS}, findings
         ), history AS (
           INSERT INTO status_history (message_id, at, from_status, to_status, actor, reason)
           SELECT id, $2::bigint, NULL, $22::text, $30, $23::text FROM ins
         ), outbox_row AS (
           INSERT INTO outbox (message_id, destination, due_at, created_at)
           SELECT id, $24::text, $2::bigint, $2::bigint FROM ins WHERE $22::text = 'queued'
         ), answer AS (
           UPDATE messages SET answered_by = ins.id, answer_summary = $31, updated_at = $2::bigint
           FROM ins WHERE messages.id = $25::text AND messages.answered_by IS NULL AND $33::boolean
         )
         SELECT * FROM ins`,
        [
          id,
          now,
          m.standard,
          m.release,
          m.messageName,
          m.direction,
          m.afzender ?? null,
          m.ontvanger ?? null,
          m.berichtIdentificatie ?? null,
          m.dagtekening ?? null,
          m.berichtcode ?? null,
          m.referentienummer ?? null,
          m.crossRef ?? null,
          dedup.scope,
          dedup.sender,
          dedup.id,
          contentHash,
          body,
          body.byteLength,
          m.source.kind,
          m.source.id,
          m.status,
          clean(m.statusReason),
          m.destination ?? null,
          m.correlatedTo ?? null,
          JSON.stringify(findings),
          findings.length,
          m.status === 'queued' ? now : null,
          SETTLED.has(m.status) ? now : null,
          actor,
          m.correlatedTo ? clean(m.answerSummary) : null,
          m.caseRef ?? null,
          m.countsAsAnswer !== false,
        ],
        'schakel-insert-message',
      );
      if (inserted[0]) return { kind: 'inserted', id: inserted[0].id, message: toStored(inserted[0]) };

      // The identity (or the id) exists. ON CONFLICT waited for a concurrent insert of it to commit, so the
      // existing message is visible now; compare contents and audit the repeat in the same statement.
      if (!dedup.scope || m.status === 'rejected') throw new Error(`message id ${id} exists already`);
      const existing = await this.q<{ id: string; content_hash: string }>(
        `WITH existing AS (
           SELECT id, content_hash FROM messages
           WHERE dedup_scope = $1 AND dedup_sender = $2 AND dedup_id = $3 AND status <> 'rejected'
             AND ($1 = 'stuf' OR message_name = $4)
           LIMIT 1
         ), audit AS (
           INSERT INTO audit_log (at, actor, action, target_id, details)
           SELECT $5, $6, CASE WHEN content_hash = $7 THEN 'message.duplicate-same' ELSE 'message.duplicate-different' END,
             id, $8 FROM existing
         )
         SELECT id, content_hash FROM existing`,
        [dedup.scope, dedup.sender, dedup.id, m.messageName, now, actor, contentHash, JSON.stringify({ messageName: m.messageName })],
      );
      const e = existing[0];
      if (e) return { kind: e.content_hash === contentHash ? 'duplicate-same' : 'duplicate-different', id: e.id };
      if (m.id) throw new Error(`message id ${id} exists already`);
      // The conflicting message went away in between (retention); try again.
    }
    throw new Error('insert kept conflicting with a message that disappeared');
  }

  async getMessage(id: string): Promise<StoredMessage | null> {
    const [row] = await this.q<MessageRow>(`SELECT ${META_COLUMNS}, findings FROM messages WHERE id = $1`, [id], 'schakel-get-message');
    return row ? toStored(row) : null;
  }

  async getBody(id: string): Promise<Buffer | null> {
    const [row] = await this.q<{ body: Buffer | null }>('SELECT body FROM messages WHERE id = $1', [id]);
    return row?.body ?? null;
  }

  async listMessages(filter: MessageFilter = {}): Promise<MessagePage> {
    const { where, params } = messageWhere(filter);
    const limit = Math.max(1, Math.min(filter.limit ?? DEFAULT_PAGE, this.listPageMax));
    const offset = Math.max(0, filter.offset ?? 0);
    const rows = await this.q<MessageRow>(
      `SELECT ${META_COLUMNS} FROM messages ${where}
       ORDER BY received_at DESC, id DESC LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, limit, offset],
    );
    const [count] = await this.q<{ n: number }>(`SELECT COUNT(*)::int AS n FROM messages ${where}`, params);
    return { items: rows.map(toSummary), total: count?.n ?? 0 };
  }

  async statusHistory(id: string): Promise<StatusChange[]> {
    const rows = await this.q<{ at: number; from_status: MessageStatus | null; to_status: MessageStatus; actor: string; reason: string | null }>(
      'SELECT at, from_status, to_status, actor, reason FROM status_history WHERE message_id = $1 ORDER BY id',
      [id],
    );
    return rows.map((r) => ({ at: new Date(r.at), from: r.from_status, to: r.to_status, actor: r.actor, reason: r.reason }));
  }

  async deliveryAttempts(id: string): Promise<DeliveryAttempt[]> {
    const rows = await this.q<AttemptRow>('SELECT * FROM delivery_attempts WHERE message_id = $1 ORDER BY attempt_no, id', [id]);
    return rows.map(toAttempt);
  }

  async statusCounts(filter: { destination?: string; standard?: Standard } = {}): Promise<StatusCounts> {
    const { where, params } = messageWhere(filter);
    const counts = Object.fromEntries(MESSAGE_STATUSES.map((s) => [s, 0])) as StatusCounts;
    const rows = await this.q<{ status: MessageStatus; n: number }>(
      `SELECT status, COUNT(*)::int AS n FROM messages ${where} GROUP BY status`,
      params,
    );
    for (const r of rows) counts[r.status] = r.n;
    return counts;
  }

  async findCorrelationTarget(key: CorrelationKey): Promise<StoredMessage | null> {
    const [row] =
      key.scope === 'istd'
        ? await this.q<MessageRow>(
            `SELECT ${META_COLUMNS}, findings FROM messages
             WHERE message_name = $1 AND afzender = $2 AND bericht_identificatie = $3 AND dagtekening = $4
               AND status <> 'rejected' ORDER BY received_at, id LIMIT 1`,
            [key.messageName, key.afzender, key.identificatie, key.dagtekening],
            'schakel-correlation-istd',
          )
        : key.scope === 'stuf'
          ? await this.q<MessageRow>(
              `SELECT ${META_COLUMNS}, findings FROM messages
               WHERE afzender = $1 AND referentienummer = $2 AND status <> 'rejected' ORDER BY received_at, id LIMIT 1`,
              [key.zender, key.referentienummer],
              'schakel-correlation-stuf',
            )
          : await this.q<MessageRow>(
              `SELECT ${META_COLUMNS}, findings FROM messages
               WHERE afzender = $1 AND message_name = $2 AND case_ref = $3 AND status <> 'rejected'
               ORDER BY received_at DESC, id DESC LIMIT 1`,
              [key.zender, key.messageName, key.caseRef],
              'schakel-correlation-case',
            );
    return row ? toStored(row) : null;
  }

  async linkRetour(
    retourId: string,
    heenId: string,
    actor: string,
    answerSummary?: string | null,
  ): Promise<{ ok: boolean; firstAnswer: boolean }> {
    return this.tx(async (c) => {
      const now = this.now();
      const heen = await c.query('SELECT 1 FROM messages WHERE id = $1 FOR UPDATE', [heenId]);
      if (heen.rowCount !== 1) return { ok: false, firstAnswer: false };
      const linked = await c.query('UPDATE messages SET correlated_to = $1, updated_at = $2 WHERE id = $3', [heenId, now, retourId]);
      if (linked.rowCount !== 1) return { ok: false, firstAnswer: false };
      const answered = await c.query(
        'UPDATE messages SET answered_by = $1, answer_summary = $2, updated_at = $3 WHERE id = $4 AND answered_by IS NULL',
        [retourId, clean(answerSummary), now, heenId],
      );
      const firstAnswer = answered.rowCount === 1;
      await this.appendAudit(c, now, actor, 'message.correlated', retourId, { heen: heenId, firstAnswer });
      return { ok: true, firstAnswer };
    });
  }

  async leaseDue(owner: string, limit: number, leaseMs: number): Promise<Lease[]> {
    if (limit <= 0) return [];
    return this.tx(async (c) => {
      const now = this.now();
      const leaseUntil = now + leaseMs;
      const { rows } = await c.query<OutboxRow>(
        `WITH due AS (
           SELECT id FROM outbox
           WHERE phase = 'due' AND due_at <= $1 AND (lease_until IS NULL OR lease_until <= $1)
           ORDER BY due_at, id LIMIT $2 FOR UPDATE SKIP LOCKED
         )
         UPDATE outbox o SET lease_owner = $3, lease_token = gen_random_uuid()::text, lease_until = $4
         FROM due WHERE o.id = due.id
         RETURNING o.*`,
        [now, limit, owner, leaseUntil],
      );
      rows.sort((a, b) => a.due_at - b.due_at || a.id - b.id);
      return this.startDeliveries(c, rows, owner, leaseUntil, now);
    });
  }

  /** Marks the messages of reserved outbox rows delivering (with history) and builds their leases. */
  private async startDeliveries(c: Client, rows: OutboxRow[], owner: string, leaseUntil: number, now: number): Promise<Lease[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.message_id);
    const { rows: messages } = await c.query<OutboxMessageRow>({
      name: 'schakel-start-deliveries',
      text: `WITH old AS (
         SELECT id, status FROM messages WHERE id = ANY($1::text[]) AND status <> 'delivering' ORDER BY id FOR UPDATE
       ), moved AS (
         UPDATE messages m SET status = 'delivering', status_reason = NULL, settled_at = NULL, next_attempt_at = NULL,
           updated_at = $2
         FROM old WHERE m.id = old.id
         RETURNING m.id, old.status AS from_status
       ), history AS (
         INSERT INTO status_history (message_id, at, from_status, to_status, actor, reason)
         SELECT id, $2, from_status, 'delivering', $3, NULL FROM moved
       )
       SELECT ${OUTBOX_MESSAGE_COLUMNS} FROM messages m WHERE m.id = ANY($1::text[])`,
      values: [ids, now, owner],
    });
    const byId = new Map(messages.map((m) => [m.id, m]));
    return rows.map((row) => toLease(row, byId.get(row.message_id)!, owner, leaseUntil));
  }

  async releaseLease(lease: Pick<Lease, 'outboxId' | 'token' | 'messageId' | 'owner'>): Promise<boolean> {
    return this.tx(async (c) => {
      const now = this.now();
      const released = await c.query(
        `UPDATE outbox SET phase = 'due', lease_owner = NULL, lease_token = NULL, lease_until = NULL, due_at = $1
         WHERE id = $2 AND lease_token = $3`,
        [now, lease.outboxId, lease.token],
      );
      if (released.rowCount !== 1) return false;
      const { rows } = await c.query<{ status: MessageStatus }>('SELECT status FROM messages WHERE id = $1 FOR UPDATE', [
        lease.messageId,
      ]);
      if (rows[0]?.status === 'delivering') {
        await this.setStatus(c, lease.messageId, 'queued', null, null, now, now);
        await this.history(c, lease.messageId, now, 'delivering', 'queued', lease.owner, 'lease handed back');
      }
      return true;
    });
  }

  async nextDueAt(): Promise<Date | null> {
    const [row] = await this.q<{ t: number | null }>(
      // The first unleased row (ix_outbox_due) and the leased ones (ix_outbox_leased): no scan of the backlog.
      `SELECT MIN(t) AS t FROM (
         (SELECT due_at AS t FROM outbox WHERE phase = 'due' AND lease_until IS NULL ORDER BY due_at, id LIMIT 1)
         UNION ALL
         SELECT GREATEST(due_at, lease_until) FROM outbox WHERE phase = 'due' AND lease_until IS NOT NULL
       ) due`,
      [],
      'schakel-next-due',
    );
    return row?.t === null || row?.t === undefined ? null : new Date(row.t);
  }

  async leaseForPublish(
    owner: string,
    limit: number,
    leaseMs: number,
    options: LeaseForPublishOptions = {},
  ): Promise<PublishLease[]> {
    if (limit <= 0) return [];
    const now = this.now();
    const horizon = now + Math.max(0, options.horizonMs ?? 0);
    const stale = options.republishAfterMs === undefined ? -1 : now - options.republishAfterMs;
    const rows = await this.q<OutboxRow>(
      `WITH c AS (
         SELECT id FROM outbox
         WHERE (lease_until IS NULL OR lease_until <= $1)
           AND ((phase IN ('due', 'publishing', 'claimed') AND due_at <= $2) OR (phase = 'published' AND due_at <= $3))
         ORDER BY due_at, id LIMIT $4 FOR UPDATE SKIP LOCKED
       )
       UPDATE outbox o SET phase = 'publishing', lease_owner = $5, lease_token = gen_random_uuid()::text,
         lease_until = $6
       FROM c WHERE o.id = c.id
       RETURNING o.*`,
      [now, horizon, stale, limit, owner, now + leaseMs],
      'schakel-lease-for-publish',
    );
    rows.sort((a, b) => a.due_at - b.due_at || a.id - b.id);
    return rows.map((r) => ({
      outboxId: r.id,
      token: r.lease_token!,
      messageId: r.message_id,
      destination: r.destination,
      attempt: r.attempts + 1,
      dueAt: new Date(r.due_at),
    }));
  }

  async markPublished(refs: readonly PublishRef[]): Promise<number> {
    if (refs.length === 0) return 0;
    const rows = await this.q<{ id: number }>(
      `UPDATE outbox o SET phase = 'published', lease_owner = NULL, lease_until = NULL
       FROM unnest($1::bigint[], $2::text[]) AS r(id, token)
       WHERE o.id = r.id AND o.lease_token = r.token AND o.phase = 'publishing'
       RETURNING o.id`,
      [refs.map((r) => r.outboxId), refs.map((r) => r.token)],
      'schakel-mark-published',
    );
    return rows.length;
  }

  async abandonPublish(refs: readonly PublishRef[]): Promise<number> {
    if (refs.length === 0) return 0;
    const rows = await this.q<{ id: number }>(
      `UPDATE outbox o SET phase = 'due', lease_owner = NULL, lease_token = NULL, lease_until = NULL
       FROM unnest($1::bigint[], $2::text[]) AS r(id, token)
       WHERE o.id = r.id AND o.lease_token = r.token AND o.phase = 'publishing'
       RETURNING o.id`,
      [refs.map((r) => r.outboxId), refs.map((r) => r.token)],
    );
    return rows.length;
  }

  async claimPublished(ref: PublishRef, owner: string, leaseMs: number): Promise<ClaimResult> {
    const now = this.now();
    const leaseUntil = now + leaseMs;
    // One statement (one round trip, one commit): claim the outbox row, then lock the message, move it to
    // delivering with its history row, and read what the adapter needs. Lock order: outbox row, message row.
    const rows = await this.q<OutboxMessageRow & { outbox_id: number; destination: string; attempts: number }>(
      `WITH claimed AS (
         UPDATE outbox SET phase = 'claimed', lease_owner = $3, lease_until = $4
         WHERE id = $1 AND lease_token = $2
           AND (phase IN ('publishing', 'published') OR (phase = 'claimed' AND lease_until <= $5))
         RETURNING id, message_id, destination, attempts
       ), old AS (
         SELECT m.id, m.status FROM messages m JOIN claimed c ON m.id = c.message_id FOR UPDATE OF m
       ), moved AS (
         UPDATE messages m SET status = 'delivering', status_reason = NULL, settled_at = NULL, next_attempt_at = NULL,
           updated_at = $5
         FROM old WHERE m.id = old.id AND old.status <> 'delivering'
         RETURNING m.id, old.status AS from_status
       ), history AS (
         INSERT INTO status_history (message_id, at, from_status, to_status, actor, reason)
         SELECT id, $5, from_status, 'delivering', $3, NULL FROM moved
       )
       SELECT c.id AS outbox_id, c.destination, c.attempts, ${OUTBOX_MESSAGE_COLUMNS}
       FROM claimed c JOIN messages m ON m.id = c.message_id`,
      [ref.outboxId, ref.token, owner, leaseUntil, now],
      'schakel-claim-published',
    );
    const r = rows[0];
    if (r) {
      const row = { id: r.outbox_id, destination: r.destination, attempts: r.attempts, lease_token: ref.token } as OutboxRow;
      return { kind: 'claimed', lease: toLease(row, r, owner, leaseUntil) };
    }
    const [current] = await this.q<OutboxRow>('SELECT * FROM outbox WHERE id = $1 AND lease_token = $2', [ref.outboxId, ref.token]);
    return current && current.phase === 'claimed' && current.lease_until !== null
      ? { kind: 'busy', leaseUntil: new Date(current.lease_until) }
      : { kind: 'stale' };
  }

  async completeDelivery(
    lease: Pick<Lease, 'outboxId' | 'token' | 'messageId' | 'destination'>,
    attempt: AttemptReport,
    next: NextStep,
  ): Promise<CompleteResult> {
    const now = this.now();
    const reason = clean(attempt.reason);
    const to: MessageStatus = next.kind === 'retry' ? 'queued' : next.kind;
    const nextAttemptAt = next.kind === 'retry' ? next.at.getTime() : null;
    // One statement: lock the outbox row (still ours only while the token matches) and the message; delete or
    // reschedule the row; record the attempt always, and move the message on (with history) only while the
    // lease was ours. Lock order: outbox row, message row.
    const rows = await this.q<{ owned: boolean; status: MessageStatus }>(
      `WITH lease AS (
         SELECT id FROM outbox WHERE id = $1 AND lease_token = $2 FOR UPDATE
       ), cur AS (
         SELECT id, attempts, status, EXISTS (SELECT 1 FROM lease) AS owned FROM messages WHERE id = $3 FOR UPDATE
       ), removed AS (
         DELETE FROM outbox WHERE id IN (SELECT id FROM lease) AND $4::text <> 'queued' RETURNING id
       ), rescheduled AS (
         UPDATE outbox SET phase = 'due', due_at = $5, attempts = attempts + 1, lease_owner = NULL, lease_token = NULL,
           lease_until = NULL
         WHERE id IN (SELECT id FROM lease) AND $4::text = 'queued' RETURNING id
       ), moved AS (
         UPDATE messages m SET attempts = cur.attempts + 1, updated_at = $6,
           status = CASE WHEN cur.owned THEN $4::text ELSE m.status END,
           status_reason = CASE WHEN cur.owned THEN $7::text ELSE m.status_reason END,
           settled_at = CASE WHEN cur.owned THEN $8::bigint ELSE m.settled_at END,
           next_attempt_at = CASE WHEN cur.owned THEN $5::bigint ELSE m.next_attempt_at END
         FROM cur WHERE m.id = cur.id
         RETURNING m.id, cur.owned, cur.status AS from_status, m.status AS to_status, m.attempts AS attempt_no
       ), attempt AS (
         INSERT INTO delivery_attempts (message_id, attempt_no, destination, started_at, finished_at, duration_ms,
           outcome, result_status, http_status, reason, answer_excerpt, next_attempt_at)
         SELECT id, attempt_no, $9, $10, $11, $12, $13, to_status, $14, $15, $16,
           CASE WHEN owned THEN $5::bigint END
         FROM moved
       ), history AS (
         INSERT INTO status_history (message_id, at, from_status, to_status, actor, reason)
         SELECT id, $6, from_status, to_status, 'transport', $7::text FROM moved WHERE owned AND from_status <> to_status
       )
       SELECT owned, to_status AS status FROM moved`,
      [
        lease.outboxId,
        lease.token,
        lease.messageId,
        to,
        nextAttemptAt,
        now,
        to === 'delivered' ? null : reason,
        SETTLED.has(to) ? now : null,
        lease.destination,
        attempt.startedAt.getTime(),
        attempt.finishedAt.getTime(),
        Math.max(0, attempt.finishedAt.getTime() - attempt.startedAt.getTime()),
        attempt.outcome,
        attempt.httpStatus ?? null,
        reason,
        attempt.answer ? clean(attempt.answer.slice(0, this.answerExcerptChars)) : null,
      ],
      'schakel-complete-delivery',
    );
    const r = rows[0];
    return r?.owned ? { kind: 'recorded', status: r.status } : { kind: 'lease-lost' };
  }

  async resend(id: string, actor: string, options: { destination?: string } = {}): Promise<ActionResult> {
    return this.action(id, actor, 'message.resend', async (c, m, now) => {
      if (!(['received', 'delivered', 'failed', 'dead', 'cancelled'] as MessageStatus[]).includes(m.status)) {
        return { ok: false, reason: 'invalid-state', status: m.status };
      }
      if (!m.has_body) return { ok: false, reason: 'body-purged', status: m.status };
      const destination = options.destination ?? m.destination;
      if (!destination) return { ok: false, reason: 'no-destination', status: m.status };
      await c.query('INSERT INTO outbox (message_id, destination, due_at, created_at) VALUES ($1, $2, $3, $3)', [
        id,
        destination,
        now,
      ]);
      await c.query('UPDATE messages SET destination = $1 WHERE id = $2', [destination, id]);
      return this.move(c, m, 'queued', actor, now, 'resend', now);
    });
  }

  async hold(id: string, actor: string, reason?: string): Promise<ActionResult> {
    return this.action(id, actor, 'message.hold', async (c, m, now, outbox) => {
      if (m.status !== 'queued' && m.status !== 'delivering') {
        return { ok: false, reason: 'invalid-state', status: m.status };
      }
      const busy = await this.dropOutbox(c, outbox, now);
      if (busy) return busy;
      return this.move(c, m, 'on_hold', actor, now, reason ?? 'hold');
    });
  }

  async release(id: string, actor: string): Promise<ActionResult> {
    return this.action(id, actor, 'message.release', async (c, m, now) => {
      if (m.status !== 'on_hold') return { ok: false, reason: 'invalid-state', status: m.status };
      if (!m.has_body) return { ok: false, reason: 'body-purged', status: m.status };
      if (!m.destination) return { ok: false, reason: 'no-destination', status: m.status };
      await c.query('INSERT INTO outbox (message_id, destination, due_at, created_at) VALUES ($1, $2, $3, $3)', [
        id,
        m.destination,
        now,
      ]);
      return this.move(c, m, 'queued', actor, now, 'release', now);
    });
  }

  async cancel(id: string, actor: string, reason?: string): Promise<ActionResult> {
    return this.action(id, actor, 'message.cancel', async (c, m, now, outbox) => {
      if (!(['received', 'queued', 'delivering', 'on_hold', 'failed', 'dead'] as MessageStatus[]).includes(m.status)) {
        return { ok: false, reason: 'invalid-state', status: m.status };
      }
      const busy = await this.dropOutbox(c, outbox, now);
      if (busy) return busy;
      return this.move(c, m, 'cancelled', actor, now, reason ?? 'cancel');
    });
  }

  async purgeBodies(ages: RetentionAges): Promise<PurgeResult> {
    return this.purge(ages, 'retention.purge-bodies', true, (standards) =>
      `UPDATE messages SET body = NULL, body_purged_at = $3, updated_at = $3
       WHERE body IS NOT NULL AND settled_at IS NOT NULL AND settled_at <= $1 AND ${standards}
         AND (status NOT IN ('failed', 'dead') OR settled_at <= $4)
       RETURNING standard`,
    );
  }

  async purgeMetadata(ages: RetentionAges): Promise<PurgeResult> {
    return this.purge(ages, 'retention.purge-metadata', false, (standards) =>
      `DELETE FROM messages WHERE settled_at IS NOT NULL AND settled_at <= $1 AND ${standards} RETURNING standard`,
    );
  }

  async audit(entry: AuditInput): Promise<void> {
    await this.ready;
    await this.appendAudit(this.pool, this.now(), entry.actor, entry.action, entry.targetId ?? null, entry.details ?? {});
  }

  async listAudit(filter: AuditFilter = {}): Promise<AuditEntry[]> {
    const clauses: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, v: unknown) => {
      params.push(v);
      clauses.push(sql.replace('?', `$${params.length}`));
    };
    if (filter.targetId !== undefined) add('target_id = ?', filter.targetId);
    if (filter.actor !== undefined) add('actor = ?', filter.actor);
    if (filter.action !== undefined) add('action = ?', filter.action);
    if (filter.from !== undefined) add('at >= ?', filter.from.getTime());
    const where = clauses.length ? `WHERE ${clauses.join(' AND ')}` : '';
    const limit = Math.max(1, Math.min(filter.limit ?? DEFAULT_PAGE, this.listPageMax));
    const rows = await this.q<{ id: number; at: number; actor: string; action: string; target_id: string | null; details: string }>(
      `SELECT * FROM audit_log ${where} ORDER BY id DESC LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, limit, Math.max(0, filter.offset ?? 0)],
    );
    return rows.map((r) => ({
      id: r.id,
      at: new Date(r.at),
      actor: r.actor,
      action: r.action,
      targetId: r.target_id,
      details: JSON.parse(r.details) as Record<string, unknown>,
    }));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.ready.catch(() => undefined);
    await this.pool.end();
  }

  private async appendAudit(
    c: pg.ClientBase | pg.Pool,
    now: number,
    actor: string,
    action: string,
    targetId: string | null,
    details: Record<string, unknown>,
  ): Promise<void> {
    await c.query('INSERT INTO audit_log (at, actor, action, target_id, details) VALUES ($1, $2, $3, $4, $5)', [
      now,
      actor,
      action,
      targetId,
      JSON.stringify(redactDeep(details)),
    ]);
  }

  private async setStatus(
    c: Client,
    id: string,
    status: MessageStatus,
    reason: string | null,
    settledAt: number | null,
    nextAttemptAt: number | null,
    now: number,
  ): Promise<void> {
    await c.query(
      `UPDATE messages SET status = $1, status_reason = $2, settled_at = $3, next_attempt_at = $4, updated_at = $5
       WHERE id = $6`,
      [status, reason, settledAt, nextAttemptAt, now, id],
    );
  }

  private async history(
    c: Client,
    id: string,
    at: number,
    from: MessageStatus | null,
    to: MessageStatus,
    actor: string,
    reason: string | null,
  ): Promise<void> {
    await c.query(
      'INSERT INTO status_history (message_id, at, from_status, to_status, actor, reason) VALUES ($1, $2, $3, $4, $5, $6)',
      [id, at, from, to, actor, reason],
    );
  }

  /** Runs a beheer action in one transaction (outbox row, then message locked) and audits it when it changed something. */
  private action(
    id: string,
    actor: string,
    action: string,
    body: (c: Client, m: MessageRow, now: number, outbox: OutboxRow | undefined) => Promise<ActionResult>,
  ): Promise<ActionResult> {
    return this.tx(async (c) => {
      const now = this.now();
      const { rows: outbox } = await c.query<OutboxRow>('SELECT * FROM outbox WHERE message_id = $1 FOR UPDATE', [id]);
      const { rows } = await c.query<MessageRow>(`SELECT ${META_COLUMNS} FROM messages WHERE id = $1 FOR UPDATE`, [id]);
      const m = rows[0];
      if (!m) return { ok: false, reason: 'not-found' };
      const result = await body(c, m, now, outbox[0]);
      if (result.ok) await this.appendAudit(c, now, actor, action, id, { from: m.status, to: result.status });
      return result;
    });
  }

  /**
   * Removes the pending delivery unless a worker holds a live delivery lease on it. A row being published is
   * not being delivered: it goes, and the broker copy's consumer finds it stale.
   */
  private async dropOutbox(c: Client, row: OutboxRow | undefined, now: number): Promise<ActionResult | null> {
    if (!row) return null;
    if (row.phase !== 'publishing' && row.lease_until !== null && row.lease_until > now) {
      return { ok: false, reason: 'in-flight', status: 'delivering' };
    }
    await c.query('DELETE FROM outbox WHERE id = $1', [row.id]);
    return null;
  }

  private async move(
    c: Client,
    m: MessageRow,
    to: MessageStatus,
    actor: string,
    now: number,
    reason: string,
    nextAttemptAt: number | null = null,
  ): Promise<ActionResult> {
    await this.setStatus(c, m.id, to, to === 'queued' ? null : clean(reason), SETTLED.has(to) ? now : null, nextAttemptAt, now);
    await this.history(c, m.id, now, m.status, to, actor, clean(reason));
    return { ok: true, status: to };
  }

  /**
   * `sql` gets $1 = the cutoff, $2 = the standards its clause names and, for bodies, $3 = now and $4 = the
   * cutoff of failed and dead messages (which may still be resent: at least the default age).
   */
  private purge(
    ages: RetentionAges,
    action: string,
    forBodies: boolean,
    sql: (standardClause: string) => string,
  ): Promise<PurgeResult> {
    return this.tx(async (c) => {
      const now = this.now();
      const result: PurgeResult = { total: 0, perStandard: {} };
      const run = async (clause: string, age: number, standards: string[]) => {
        const extra = forBodies ? [now, now - Math.max(age, ages.default)] : [];
        const { rows } = await c.query<{ standard: Standard }>(sql(clause), [now - age, standards, ...extra]);
        for (const r of rows) {
          result.total++;
          result.perStandard[r.standard] = (result.perStandard[r.standard] ?? 0) + 1;
        }
      };
      const overridden = Object.entries(ages.perStandard).filter((e): e is [Standard, number] => e[1] !== undefined);
      for (const [standard, age] of overridden) await run('standard = ANY($2::text[])', age, [standard]);
      await run('NOT (standard = ANY($2::text[]))', ages.default, overridden.map(([s]) => s));
      if (result.total > 0) await this.appendAudit(c, now, 'system:retention', action, null, { ...result });
      return result;
    });
  }
}


function toLease(row: OutboxRow, m: OutboxMessageRow, owner: string, leaseUntil: number): Lease {
  return {
    outboxId: row.id,
    token: row.lease_token!,
    owner,
    messageId: m.id,
    destination: row.destination,
    attempt: row.attempts + 1,
    leaseUntil: new Date(leaseUntil),
    message: toOutboxMessage(m),
  };
}




function messageWhere(filter: MessageFilter): { where: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  const next = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  const eq = (column: string, value: string | undefined) => {
    if (value !== undefined) clauses.push(`${column} = ${next(value)}`);
  };
  if (filter.status !== undefined) {
    const statuses = Array.isArray(filter.status) ? filter.status : [filter.status];
    clauses.push(statuses.length ? `status = ANY(${next(statuses)}::text[])` : 'FALSE');
  }
  eq('standard', filter.standard);
  eq('message_name', filter.messageName);
  eq('direction', filter.direction);
  eq('afzender', filter.afzender);
  eq('ontvanger', filter.ontvanger);
  eq('destination', filter.destination);
  eq('bericht_identificatie', filter.berichtIdentificatie);
  eq('referentienummer', filter.referentienummer);
  eq('correlated_to', filter.correlatedTo);
  eq('source_id', filter.sourceId);
  if (filter.receivedFrom) clauses.push(`received_at >= ${next(filter.receivedFrom.getTime())}`);
  if (filter.receivedTo) clauses.push(`received_at < ${next(filter.receivedTo.getTime())}`);
  return { where: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
}



