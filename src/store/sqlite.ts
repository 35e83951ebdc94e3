import { createHash, randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { WalCheckpointer } from './wal-checkpointer.ts';
import { WalSync } from './wal-sync.ts';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import type { Standard } from '../catalogue/types.ts';
import type { Config } from '../config/schema.ts';
import { redactDeep } from '../log.ts';
import { clean, flattenDedup, redactFinding, toAttempt, toOutboxMessage, toStored, toSummary, type AttemptRow, type MessageRow } from './rows.ts';
import { migrate } from './sqlite-migrations.ts';
import {
  MESSAGE_STATUSES,
  SETTLED_STATUSES,
  type ActionResult,
  type AttemptReport,
  type AuditEntry,
  type AuditFilter,
  type AuditInput,
  type CompleteResult,
  type CorrelationKey,
  type DeliveryAttempt,
  type ClaimResult,
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

export interface SqliteStoreOptions {
  /** Database file; its folder is created when missing. */
  file: string;
  /** Epoch milliseconds; tests pin it. */
  clock?: () => number;
  listPageMax?: number;
  answerExcerptChars?: number;
  /**
   * Group commit window in milliseconds: writes arriving within it share one transaction and one fsync.
   * Default 2; 0 commits at the end of the current event-loop turn.
   */
  groupCommitMs?: number;
  /**
   * Checkpoint the WAL every this many milliseconds from a worker thread instead of on the writer's commits
   * (the gateway's store: 1000). Undefined keeps SQLite's automatic checkpoint.
   */
  checkpointIntervalMs?: number;
}

const DEFAULT_PAGE = 50;

/** Opens (and migrates) the SQLite store. WAL, and a resolved write is on disk (see `WalSync`). */
export function openSqliteStore(options: SqliteStoreOptions): SqliteStore {
  return new SqliteStore(options);
}

/** The store of the embedded deployment: `<dataDir>/schakel.sqlite`. */
export function openSqliteStoreFromConfig(config: Pick<Config, 'dataDir' | 'limits'>): SqliteStore {
  return new SqliteStore({
    file: join(config.dataDir, 'schakel.sqlite'),
    listPageMax: config.limits.listPageMax,
    answerExcerptChars: config.limits.answerExcerptChars,
    checkpointIntervalMs: 1000,
  });
}


interface HistoryRow {
  at: number;
  from_status: MessageStatus | null;
  to_status: MessageStatus;
  actor: string;
  reason: string | null;
}

interface AuditRow {
  id: number;
  at: number;
  actor: string;
  action: string;
  target_id: string | null;
  details: string;
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
  status_reason, destination, correlated_to, answered_by, answer_summary, attempts, next_attempt_at, settled_at,
  created_at, updated_at`;

const SETTLED = new Set<MessageStatus>(SETTLED_STATUSES);

export class SqliteStore implements MessageStore {
  readonly db: Database.Database;
  readonly schemaVersion: number;
  private readonly now: () => number;
  private readonly listPageMax: number;
  private readonly answerExcerptChars: number;
  private readonly s: ReturnType<SqliteStore['prepare']>;
  private readonly queued: { fn: () => unknown; resolve: (v: unknown) => void; reject: (e: unknown) => void }[] = [];
  private flushScheduled = false;
  private readonly groupCommitMs: number;
  readonly walSync: WalSync | null;
  readonly checkpointer: WalCheckpointer | null;

  constructor(options: SqliteStoreOptions) {
    this.now = options.clock ?? Date.now;
    this.listPageMax = options.listPageMax ?? 500;
    this.answerExcerptChars = options.answerExcerptChars ?? 500;
    this.groupCommitMs = options.groupCommitMs ?? 2;
    if (options.file !== ':memory:') mkdirSync(dirname(options.file), { recursive: true, mode: 0o700 });
    this.db = new Database(options.file);
    if (options.file !== ':memory:') ownerOnly(options.file);
    const journal = this.db.pragma('journal_mode = WAL', { simple: true });
    // The commit itself does not wait for the disk; `WalSync` fsyncs the WAL off the event loop before any write
    // resolves. A file database that could not switch to WAL keeps synchronous=FULL.
    this.walSync = options.file !== ':memory:' && journal === 'wal' ? new WalSync(`${options.file}-wal`) : null;
    this.db.pragma(this.walSync ? 'synchronous = NORMAL' : 'synchronous = FULL');
    if (options.file !== ':memory:') for (const f of [`${options.file}-wal`, `${options.file}-shm`]) if (existsSync(f)) ownerOnly(f);
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    this.schemaVersion = migrate(this.db, this.now);
    if (this.walSync && options.checkpointIntervalMs !== undefined) {
      // The worker checkpoints; the writer would only step in if the WAL passed ~256 MB (the worker stalled).
      this.db.pragma('wal_autocheckpoint = 65536');
      this.db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
      this.checkpointer = new WalCheckpointer(options.file, options.checkpointIntervalMs, (message) => {
        process.emitWarning(`SQLite WAL checkpoint failed: ${message}`);
      });
    } else {
      this.checkpointer = null;
    }
    this.s = this.prepare();
  }

  private prepare() {
    const db = this.db;
    return {
      findIstd: db.prepare<[string, string, string], { id: string; content_hash: string }>(
        `SELECT id, content_hash FROM messages
         WHERE dedup_scope = 'istd' AND dedup_sender = ? AND message_name = ? AND dedup_id = ?
           AND status <> 'rejected'`,
      ),
      findStuf: db.prepare<[string, string], { id: string; content_hash: string }>(
        `SELECT id, content_hash FROM messages
         WHERE dedup_scope = 'stuf' AND dedup_sender = ? AND dedup_id = ? AND status <> 'rejected'`,
      ),
      insertMessage: db.prepare(
        `INSERT INTO messages (id, received_at, standard, release, message_name, direction, afzender, ontvanger,
           bericht_identificatie, dagtekening, berichtcode, referentienummer, cross_ref, dedup_scope, dedup_sender,
           dedup_id, content_hash, body, body_size, source_kind, source_id, status, status_reason, destination,
           correlated_to, findings, next_attempt_at, settled_at, created_at, updated_at, case_ref)
         VALUES (@id, @receivedAt, @standard, @release, @messageName, @direction, @afzender, @ontvanger,
           @berichtIdentificatie, @dagtekening, @berichtcode, @referentienummer, @crossRef, @dedupScope, @dedupSender,
           @dedupId, @contentHash, @body, @bodySize, @sourceKind, @sourceId, @status, @statusReason, @destination,
           @correlatedTo, @findings, @nextAttemptAt, @settledAt, @now, @now, @caseRef)`,
      ),
      getMeta: db.prepare<[string], MessageRow>(`SELECT ${META_COLUMNS}, findings FROM messages WHERE id = ?`),
      getBody: db.prepare<[string], { body: Buffer | null }>('SELECT body FROM messages WHERE id = ?'),
      exists: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM messages WHERE id = ?'),
      setStatus: db.prepare(
        `UPDATE messages SET status = @status, status_reason = @reason, settled_at = @settledAt,
           next_attempt_at = @nextAttemptAt, updated_at = @now WHERE id = @id`,
      ),
      history: db.prepare(
        'INSERT INTO status_history (message_id, at, from_status, to_status, actor, reason) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      listHistory: db.prepare<[string], HistoryRow>(
        'SELECT at, from_status, to_status, actor, reason FROM status_history WHERE message_id = ? ORDER BY id',
      ),
      audit: db.prepare('INSERT INTO audit_log (at, actor, action, target_id, details) VALUES (?, ?, ?, ?, ?)'),
      outboxInsert: db.prepare('INSERT INTO outbox (message_id, destination, due_at, created_at) VALUES (?, ?, ?, ?)'),
      outboxByMessage: db.prepare<[string], OutboxRow>('SELECT * FROM outbox WHERE message_id = ?'),
      outboxByLease: db.prepare<[number, string], OutboxRow>('SELECT * FROM outbox WHERE id = ? AND lease_token = ?'),
      outboxDelete: db.prepare('DELETE FROM outbox WHERE id = ?'),
      outboxDue: db.prepare<[number, number, number], OutboxRow>(
        `SELECT * FROM outbox WHERE phase = 'due' AND due_at <= ? AND (lease_until IS NULL OR lease_until <= ?)
         ORDER BY due_at, id LIMIT ?`,
      ),
      outboxLease: db.prepare('UPDATE outbox SET lease_owner = ?, lease_token = ?, lease_until = ? WHERE id = ?'),
      outboxUnlease: db.prepare(
        `UPDATE outbox SET phase = 'due', lease_owner = NULL, lease_token = NULL, lease_until = NULL, due_at = ?
         WHERE id = ? AND lease_token = ?`,
      ),
      outboxReschedule: db.prepare(
        `UPDATE outbox SET phase = 'due', due_at = ?, attempts = attempts + 1, lease_owner = NULL, lease_token = NULL,
           lease_until = NULL WHERE id = ?`,
      ),
      // The earliest moment a 'due' row can be leased: the first unleased one (in due order, from ix_outbox_due),
      // or a leased one when its lease runs out (ix_outbox_leased); neither scans the backlog.
      nextDue: db.prepare<[], { t: number | null }>(
        `SELECT MIN(t) AS t FROM (
           SELECT * FROM (SELECT due_at AS t FROM outbox INDEXED BY ix_outbox_due WHERE phase = 'due' AND lease_until IS NULL ORDER BY due_at, id LIMIT 1)
           UNION ALL
           SELECT MAX(due_at, lease_until) FROM outbox WHERE phase = 'due' AND lease_until IS NOT NULL
         )`,
      ),
      publishCandidates: db.prepare<[{ horizon: number; now: number; stale: number; limit: number }], OutboxRow>(
        `SELECT * FROM outbox
         WHERE (lease_until IS NULL OR lease_until <= @now)
           AND ((phase IN ('due', 'publishing', 'claimed') AND due_at <= @horizon)
             OR (phase = 'published' AND due_at <= @stale))
         ORDER BY due_at, id LIMIT @limit`,
      ),
      publishLease: db.prepare(
        `UPDATE outbox SET phase = 'publishing', lease_owner = ?, lease_token = ?, lease_until = ? WHERE id = ?`,
      ),
      markPublished: db.prepare(
        `UPDATE outbox SET phase = 'published', lease_owner = NULL, lease_until = NULL
         WHERE id = ? AND lease_token = ? AND phase = 'publishing'`,
      ),
      abandonPublish: db.prepare(
        `UPDATE outbox SET phase = 'due', lease_owner = NULL, lease_token = NULL, lease_until = NULL
         WHERE id = ? AND lease_token = ? AND phase = 'publishing'`,
      ),
      claim: db.prepare(
        `UPDATE outbox SET phase = 'claimed', lease_owner = ?, lease_until = ?
         WHERE id = ? AND lease_token = ?
           AND (phase IN ('publishing', 'published') OR (phase = 'claimed' AND lease_until <= ?))`,
      ),
      outboxMessage: db.prepare<[string], MessageRow & { body: Buffer | null }>(
        `SELECT ${META_COLUMNS}, body FROM messages WHERE id = ?`,
      ),
      attemptsOf: db.prepare<[string], { attempts: number; status: MessageStatus }>(
        'SELECT attempts, status FROM messages WHERE id = ?',
      ),
      bumpAttempts: db.prepare('UPDATE messages SET attempts = ?, updated_at = ? WHERE id = ?'),
      insertAttempt: db.prepare(
        `INSERT INTO delivery_attempts (message_id, attempt_no, destination, started_at, finished_at, duration_ms,
           outcome, result_status, http_status, reason, answer_excerpt, next_attempt_at)
         VALUES (@messageId, @attemptNo, @destination, @startedAt, @finishedAt, @durationMs, @outcome, @resultStatus,
           @httpStatus, @reason, @answerExcerpt, @nextAttemptAt)`,
      ),
      listAttempts: db.prepare<[string], AttemptRow>(
        'SELECT * FROM delivery_attempts WHERE message_id = ? ORDER BY attempt_no, id',
      ),
      setDestination: db.prepare('UPDATE messages SET destination = ? WHERE id = ?'),
      linkRetour: db.prepare('UPDATE messages SET correlated_to = ?, updated_at = ? WHERE id = ?'),
      answerHeen: db.prepare(
        `UPDATE messages SET answered_by = ?, answer_summary = ?, updated_at = ?
         WHERE id = ? AND answered_by IS NULL`,
      ),
      correlationIstd: db.prepare<[string, string, string, string], MessageRow>(
        `SELECT ${META_COLUMNS}, findings FROM messages
         WHERE message_name = ? AND afzender = ? AND bericht_identificatie = ? AND dagtekening = ?
           AND status <> 'rejected' ORDER BY received_at, id LIMIT 1`,
      ),
      correlationStuf: db.prepare<[string, string], MessageRow>(
        `SELECT ${META_COLUMNS}, findings FROM messages
         WHERE afzender = ? AND referentienummer = ? AND status <> 'rejected' ORDER BY received_at, id LIMIT 1`,
      ),
      correlationCase: db.prepare<[string, string, string], MessageRow>(
        `SELECT ${META_COLUMNS}, findings FROM messages
         WHERE afzender = ? AND message_name = ? AND case_ref = ? AND status <> 'rejected'
         ORDER BY received_at DESC, id DESC LIMIT 1`,
      ),
    };
  }

  async insertMessage(m: NewMessage, actor: string): Promise<InsertResult> {
    if (m.status === 'queued' && !m.destination) throw new Error('a queued message needs a destination');
    const body = typeof m.body === 'string' ? Buffer.from(m.body, 'utf8') : Buffer.from(m.body);
    const contentHash = m.contentHash ?? createHash('sha256').update(body).digest('hex');
    return this.tx((): InsertResult => {
        const now = this.now();
        const dedup = flattenDedup(m.dedup);
        if (m.status !== 'rejected' && m.dedup) {
          const existing =
            m.dedup.scope === 'istd'
              ? this.s.findIstd.get(m.dedup.sender, m.messageName, m.dedup.identificatie)
              : this.s.findStuf.get(m.dedup.zender, m.dedup.referentienummer);
          if (existing) {
            const kind = existing.content_hash === contentHash ? 'duplicate-same' : 'duplicate-different';
            this.appendAudit(now, actor, `message.${kind}`, existing.id, { messageName: m.messageName });
            return { kind, id: existing.id };
          }
        }
        const id = m.id ?? randomUUID();
        const settledAt = SETTLED.has(m.status) ? now : null;
        this.s.insertMessage.run({
          id,
          receivedAt: now,
          standard: m.standard,
          release: m.release,
          messageName: m.messageName,
          direction: m.direction,
          afzender: m.afzender ?? null,
          ontvanger: m.ontvanger ?? null,
          berichtIdentificatie: m.berichtIdentificatie ?? null,
          dagtekening: m.dagtekening ?? null,
          berichtcode: m.berichtcode ?? null,
          referentienummer: m.referentienummer ?? null,
          crossRef: m.crossRef ?? null,
          dedupScope: dedup.scope,
          dedupSender: dedup.sender,
          dedupId: dedup.id,
          contentHash,
          body,
          bodySize: body.byteLength,
          sourceKind: m.source.kind,
          sourceId: m.source.id,
          status: m.status,
          statusReason: clean(m.statusReason),
          destination: m.destination ?? null,
          correlatedTo: m.correlatedTo ?? null,
          caseRef: m.caseRef ?? null,
          findings: JSON.stringify((m.findings ?? []).map(redactFinding)),
          nextAttemptAt: m.status === 'queued' ? now : null,
          settledAt,
          now,
        });
        this.s.history.run(id, now, null, m.status, actor, clean(m.statusReason));
        if (m.status === 'queued') this.s.outboxInsert.run(id, m.destination, now, now);
        if (m.correlatedTo && m.countsAsAnswer !== false) this.s.answerHeen.run(id, clean(m.answerSummary), now, m.correlatedTo);
        return { kind: 'inserted', id, message: toStored(this.s.getMeta.get(id)!) };
      });
  }

  async getMessage(id: string): Promise<StoredMessage | null> {
    const row = this.s.getMeta.get(id);
    return row ? toStored(row) : null;
  }

  async getBody(id: string): Promise<Buffer | null> {
    return this.s.getBody.get(id)?.body ?? null;
  }

  async listMessages(filter: MessageFilter = {}): Promise<MessagePage> {
    const { where, params } = messageWhere(filter);
    const limit = Math.max(1, Math.min(filter.limit ?? DEFAULT_PAGE, this.listPageMax));
    const offset = Math.max(0, filter.offset ?? 0);
    const rows = this.db
      .prepare<unknown[], MessageRow>(
        `SELECT ${META_COLUMNS}, json_array_length(findings) AS finding_count FROM messages ${where}
         ORDER BY received_at DESC, id DESC LIMIT ? OFFSET ?`,
      )
      .all(...params, limit, offset);
    const total = (
      this.db.prepare<unknown[], { n: number }>(`SELECT COUNT(*) AS n FROM messages ${where}`).get(...params) ?? {
        n: 0,
      }
    ).n;
    return { items: rows.map(toSummary), total };
  }

  async statusHistory(id: string): Promise<StatusChange[]> {
    return this.s.listHistory.all(id).map((r) => ({
      at: new Date(r.at),
      from: r.from_status,
      to: r.to_status,
      actor: r.actor,
      reason: r.reason,
    }));
  }

  async deliveryAttempts(id: string): Promise<DeliveryAttempt[]> {
    return this.s.listAttempts.all(id).map(toAttempt);
  }

  async statusCounts(filter: { destination?: string; standard?: Standard } = {}): Promise<StatusCounts> {
    const { where, params } = messageWhere(filter);
    const counts = Object.fromEntries(MESSAGE_STATUSES.map((s) => [s, 0])) as StatusCounts;
    const rows = this.db
      .prepare<unknown[], { status: MessageStatus; n: number }>(
        `SELECT status, COUNT(*) AS n FROM messages ${where} GROUP BY status`,
      )
      .all(...params);
    for (const r of rows) counts[r.status] = r.n;
    return counts;
  }

  async findCorrelationTarget(key: CorrelationKey): Promise<StoredMessage | null> {
    const row =
      key.scope === 'istd'
        ? this.s.correlationIstd.get(key.messageName, key.afzender, key.identificatie, key.dagtekening)
        : key.scope === 'stuf'
          ? this.s.correlationStuf.get(key.zender, key.referentienummer)
          : this.s.correlationCase.get(key.zender, key.messageName, key.caseRef);
    return row ? toStored(row) : null;
  }

  async linkRetour(
    retourId: string,
    heenId: string,
    actor: string,
    answerSummary?: string | null,
  ): Promise<{ ok: boolean; firstAnswer: boolean }> {
    return this.tx(() => {
        const now = this.now();
        if (!this.s.exists.get(heenId)) return { ok: false, firstAnswer: false };
        const linked = this.s.linkRetour.run(heenId, now, retourId).changes === 1;
        if (!linked) return { ok: false, firstAnswer: false };
        const firstAnswer = this.s.answerHeen.run(retourId, clean(answerSummary), now, heenId).changes === 1;
        this.appendAudit(now, actor, 'message.correlated', retourId, { heen: heenId, firstAnswer });
        return { ok: true, firstAnswer };
      });
  }

  async leaseDue(owner: string, limit: number, leaseMs: number): Promise<Lease[]> {
    if (limit <= 0) return [];
    return this.tx((): Lease[] => {
        const now = this.now();
        const leases: Lease[] = [];
        for (const row of this.s.outboxDue.all(now, now, limit)) {
          const token = randomUUID();
          const leaseUntil = now + leaseMs;
          this.s.outboxLease.run(owner, token, leaseUntil, row.id);
          leases.push(this.startDelivery(row, token, owner, leaseUntil, now));
        }
        return leases;
      });
  }

  /** Marks the message delivering (with history) and builds the lease for a reserved outbox row. */
  private startDelivery(row: OutboxRow, token: string, owner: string, leaseUntil: number, now: number): Lease {
    const m = this.s.outboxMessage.get(row.message_id)!;
    if (m.status !== 'delivering') {
      this.s.setStatus.run({ id: m.id, status: 'delivering', reason: null, settledAt: null, nextAttemptAt: null, now });
      this.s.history.run(m.id, now, m.status, 'delivering', owner, null);
    }
    return {
      outboxId: row.id,
      token,
      owner,
      messageId: m.id,
      destination: row.destination,
      attempt: row.attempts + 1,
      leaseUntil: new Date(leaseUntil),
      message: toOutboxMessage(m),
    };
  }

  async leaseForPublish(
    owner: string,
    limit: number,
    leaseMs: number,
    options: LeaseForPublishOptions = {},
  ): Promise<PublishLease[]> {
    if (limit <= 0) return [];
    return this.tx((): PublishLease[] => {
        const now = this.now();
        const horizon = now + Math.max(0, options.horizonMs ?? 0);
        // A published row is taken again only when it is still waiting long after it fell due.
        const stale = options.republishAfterMs === undefined ? -1 : now - options.republishAfterMs;
        const rows = this.s.publishCandidates.all({ horizon, now, stale, limit });
        return rows.map((row) => {
          const token = randomUUID();
          this.s.publishLease.run(owner, token, now + leaseMs, row.id);
          return {
            outboxId: row.id,
            token,
            messageId: row.message_id,
            destination: row.destination,
            attempt: row.attempts + 1,
            dueAt: new Date(row.due_at),
          };
        });
      });
  }

  async markPublished(refs: readonly PublishRef[]): Promise<number> {
    return this.tx(() => refs.reduce((n, r) => n + this.s.markPublished.run(r.outboxId, r.token).changes, 0));
  }

  async abandonPublish(refs: readonly PublishRef[]): Promise<number> {
    return this.tx(() => refs.reduce((n, r) => n + this.s.abandonPublish.run(r.outboxId, r.token).changes, 0));
  }

  async claimPublished(ref: PublishRef, owner: string, leaseMs: number): Promise<ClaimResult> {
    return this.tx((): ClaimResult => {
        const now = this.now();
        const leaseUntil = now + leaseMs;
        if (this.s.claim.run(owner, leaseUntil, ref.outboxId, ref.token, now).changes !== 1) {
          const row = this.s.outboxByLease.get(ref.outboxId, ref.token);
          return row && row.phase === 'claimed' && row.lease_until !== null
            ? { kind: 'busy', leaseUntil: new Date(row.lease_until) }
            : { kind: 'stale' };
        }
        const row = this.s.outboxByLease.get(ref.outboxId, ref.token)!;
        return { kind: 'claimed', lease: this.startDelivery(row, ref.token, owner, leaseUntil, now) };
      });
  }

  async releaseLease(lease: Pick<Lease, 'outboxId' | 'token' | 'messageId' | 'owner'>): Promise<boolean> {
    return this.tx((): boolean => {
        const now = this.now();
        if (this.s.outboxUnlease.run(now, lease.outboxId, lease.token).changes !== 1) return false;
        const m = this.s.attemptsOf.get(lease.messageId);
        if (m?.status === 'delivering') {
          this.s.setStatus.run({
            id: lease.messageId,
            status: 'queued',
            reason: null,
            settledAt: null,
            nextAttemptAt: now,
            now,
          });
          this.s.history.run(lease.messageId, now, 'delivering', 'queued', lease.owner, 'lease handed back');
        }
        return true;
      });
  }

  async nextDueAt(): Promise<Date | null> {
    const t = this.s.nextDue.get()?.t;
    return t === null || t === undefined ? null : new Date(t);
  }

  async completeDelivery(
    lease: Pick<Lease, 'outboxId' | 'token' | 'messageId' | 'destination'>,
    attempt: AttemptReport,
    next: NextStep,
  ): Promise<CompleteResult> {
    return this.tx((): CompleteResult => {
        const now = this.now();
        const current = this.s.attemptsOf.get(lease.messageId);
        if (!current) return { kind: 'lease-lost' };
        const attemptNo = current.attempts + 1;
        const row = this.s.outboxByLease.get(lease.outboxId, lease.token);
        const reason = clean(attempt.reason);
        const record = (resultStatus: MessageStatus, nextAttemptAt: number | null) => {
          this.s.insertAttempt.run({
            messageId: lease.messageId,
            attemptNo,
            destination: lease.destination,
            startedAt: attempt.startedAt.getTime(),
            finishedAt: attempt.finishedAt.getTime(),
            durationMs: Math.max(0, attempt.finishedAt.getTime() - attempt.startedAt.getTime()),
            outcome: attempt.outcome,
            resultStatus,
            httpStatus: attempt.httpStatus ?? null,
            reason,
            answerExcerpt: attempt.answer ? clean(attempt.answer.slice(0, this.answerExcerptChars)) : null,
            nextAttemptAt,
          });
          this.s.bumpAttempts.run(attemptNo, now, lease.messageId);
        };
        if (!row) {
          record(current.status, null);
          return { kind: 'lease-lost' };
        }
        const from = current.status;
        let to: MessageStatus;
        if (next.kind === 'retry') {
          to = 'queued';
          const at = next.at.getTime();
          this.s.outboxReschedule.run(at, row.id);
          this.s.setStatus.run({ id: lease.messageId, status: to, reason, settledAt: null, nextAttemptAt: at, now });
          record(to, at);
        } else {
          to = next.kind;
          this.s.outboxDelete.run(row.id);
          this.s.setStatus.run({
            id: lease.messageId,
            status: to,
            reason: to === 'delivered' ? null : reason,
            settledAt: now,
            nextAttemptAt: null,
            now,
          });
          record(to, null);
        }
        if (from !== to) {
          this.s.history.run(lease.messageId, now, from, to, 'transport', to === 'delivered' ? null : reason);
        }
        return { kind: 'recorded', status: to };
      });
  }

  async resend(id: string, actor: string, options: { destination?: string } = {}): Promise<ActionResult> {
    return this.action(id, actor, 'message.resend', (m, now) => {
      if (!(['received', 'delivered', 'failed', 'dead', 'cancelled'] as MessageStatus[]).includes(m.status)) {
        return { ok: false, reason: 'invalid-state', status: m.status };
      }
      if (!m.has_body) return { ok: false, reason: 'body-purged', status: m.status };
      const destination = options.destination ?? m.destination;
      if (!destination) return { ok: false, reason: 'no-destination', status: m.status };
      this.s.outboxInsert.run(id, destination, now, now);
      this.s.setDestination.run(destination, id);
      return this.move(m, 'queued', actor, now, 'resend', now);
    });
  }

  async hold(id: string, actor: string, reason?: string): Promise<ActionResult> {
    return this.action(id, actor, 'message.hold', (m, now) => {
      if (m.status !== 'queued' && m.status !== 'delivering') {
        return { ok: false, reason: 'invalid-state', status: m.status };
      }
      const busy = this.dropOutbox(id, now);
      if (busy) return busy;
      return this.move(m, 'on_hold', actor, now, reason ?? 'hold');
    });
  }

  async release(id: string, actor: string): Promise<ActionResult> {
    return this.action(id, actor, 'message.release', (m, now) => {
      if (m.status !== 'on_hold') return { ok: false, reason: 'invalid-state', status: m.status };
      if (!m.has_body) return { ok: false, reason: 'body-purged', status: m.status };
      if (!m.destination) return { ok: false, reason: 'no-destination', status: m.status };
      this.s.outboxInsert.run(id, m.destination, now, now);
      return this.move(m, 'queued', actor, now, 'release', now);
    });
  }

  async cancel(id: string, actor: string, reason?: string): Promise<ActionResult> {
    return this.action(id, actor, 'message.cancel', (m, now) => {
      if (!(['received', 'queued', 'delivering', 'on_hold', 'failed', 'dead'] as MessageStatus[]).includes(m.status)) {
        return { ok: false, reason: 'invalid-state', status: m.status };
      }
      const busy = this.dropOutbox(id, now);
      if (busy) return busy;
      return this.move(m, 'cancelled', actor, now, reason ?? 'cancel');
    });
  }

  async purgeBodies(ages: RetentionAges): Promise<PurgeResult> {
    return this.purge(ages, 'retention.purge-bodies', (standardClause) =>
      `UPDATE messages SET body = NULL, body_purged_at = @now, updated_at = @now
       WHERE body IS NOT NULL AND settled_at IS NOT NULL AND settled_at <= @cutoff AND ${standardClause}
         AND (status NOT IN ('failed', 'dead') OR settled_at <= @undeliveredCutoff)
       RETURNING standard`,
    );
  }

  async purgeMetadata(ages: RetentionAges): Promise<PurgeResult> {
    return this.purge(ages, 'retention.purge-metadata', (standardClause) =>
      `DELETE FROM messages WHERE settled_at IS NOT NULL AND settled_at <= @cutoff AND ${standardClause}
       RETURNING standard`,
    );
  }

  async audit(entry: AuditInput): Promise<void> {
    this.appendAudit(this.now(), entry.actor, entry.action, entry.targetId ?? null, entry.details ?? {});
  }

  async listAudit(filter: AuditFilter = {}): Promise<AuditEntry[]> {
    const clauses: string[] = [];
    const params: unknown[] = [];
    if (filter.targetId !== undefined) (clauses.push('target_id = ?'), params.push(filter.targetId));
    if (filter.actor !== undefined) (clauses.push('actor = ?'), params.push(filter.actor));
    if (filter.action !== undefined) (clauses.push('action = ?'), params.push(filter.action));
    if (filter.from !== undefined) (clauses.push('at >= ?'), params.push(filter.from.getTime()));
    const where = clauses.length ? `WHERE ${clauses.join(' AND ')}` : '';
    const limit = Math.max(1, Math.min(filter.limit ?? DEFAULT_PAGE, this.listPageMax));
    return this.db
      .prepare<unknown[], AuditRow>(
        `SELECT * FROM audit_log ${where} ORDER BY id DESC LIMIT ? OFFSET ?`,
      )
      .all(...params, limit, Math.max(0, filter.offset ?? 0))
      .map((r) => ({
        id: r.id,
        at: new Date(r.at),
        actor: r.actor,
        action: r.action,
        targetId: r.target_id,
        details: JSON.parse(r.details) as Record<string, unknown>,
      }));
  }

  async close(): Promise<void> {
    if (this.queued.length) this.flush();
    await this.walSync?.close();
    await this.checkpointer?.stop();
    if (this.db.open) this.db.close();
  }

  /**
   * Group commit. Every write of this store runs through here: the writes queued within the window run in one
   * IMMEDIATE transaction, each inside its own savepoint (so one failing write rolls back alone), and every
   * promise settles only after the COMMIT and the fsync of the WAL that holds it. better-sqlite3 commits on the
   * event loop, so the commit only writes (synchronous=NORMAL) and `WalSync` fsyncs on the libuv thread pool:
   * a resolved write is as durable as with synchronous=FULL, 64 concurrent requests cost one fsync instead of
   * 64, and the event loop validates the next requests while the disk works.
   */
  private tx<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queued.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        if (this.groupCommitMs > 0) setTimeout(() => this.flush(), this.groupCommitMs);
        else setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.queued.splice(0);
    if (batch.length === 0) return;
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      this.db
        .transaction(() => {
          for (const item of batch) {
            try {
              outcomes.push({ ok: true, value: this.db.transaction(item.fn)() });
            } catch (error) {
              outcomes.push({ ok: false, error });
            }
          }
        })
        .immediate();
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    }
    const settle = () =>
      batch.forEach((item, i) => {
        const o = outcomes[i]!;
        if (o.ok) item.resolve(o.value);
        else item.reject(o.error);
      });
    if (!this.walSync) return settle();
    this.walSync.synced().then(settle, (error: unknown) => {
      for (const item of batch) item.reject(error);
    });
  }

  private appendAudit(
    now: number,
    actor: string,
    action: string,
    targetId: string | null,
    details: Record<string, unknown>,
  ): void {
    this.s.audit.run(now, actor, action, targetId, JSON.stringify(redactDeep(details)));
  }

  /** Runs a beheer action in one transaction and audits it when it changed something. */
  private action(
    id: string,
    actor: string,
    action: string,
    body: (m: MessageRow, now: number) => ActionResult,
  ): Promise<ActionResult> {
    return Promise.resolve(
      this.db
        .transaction((): ActionResult => {
          const now = this.now();
          const m = this.s.getMeta.get(id);
          if (!m) return { ok: false, reason: 'not-found' };
          const result = body(m, now);
          if (result.ok) this.appendAudit(now, actor, action, id, { from: m.status, to: result.status });
          return result;
        })
        .immediate(),
    );
  }

  /**
   * Removes the pending delivery unless a worker holds a live delivery lease on it. A row being published is
   * not being delivered: it goes, and the broker copy's consumer finds it stale.
   */
  private dropOutbox(messageId: string, now: number): ActionResult | null {
    const row = this.s.outboxByMessage.get(messageId);
    if (!row) return null;
    if (row.phase !== 'publishing' && row.lease_until !== null && row.lease_until > now) {
      return { ok: false, reason: 'in-flight', status: 'delivering' };
    }
    this.s.outboxDelete.run(row.id);
    return null;
  }

  private move(
    m: MessageRow,
    to: MessageStatus,
    actor: string,
    now: number,
    reason: string,
    nextAttemptAt: number | null = null,
  ): ActionResult {
    this.s.setStatus.run({
      id: m.id,
      status: to,
      reason: to === 'queued' ? null : clean(reason),
      settledAt: SETTLED.has(to) ? now : null,
      nextAttemptAt,
      now,
    });
    this.s.history.run(m.id, now, m.status, to, actor, clean(reason));
    return { ok: true, status: to };
  }

  private purge(ages: RetentionAges, action: string, sql: (standardClause: string) => string): Promise<PurgeResult> {
    return Promise.resolve(
      this.db
        .transaction((): PurgeResult => {
          const now = this.now();
          const result: PurgeResult = { total: 0, perStandard: {} };
          const count = (rows: { standard: Standard }[]) => {
            for (const r of rows) {
              result.total++;
              result.perStandard[r.standard] = (result.perStandard[r.standard] ?? 0) + 1;
            }
          };
          const run = (clause: string, params: Record<string, unknown>) =>
            count(this.db.prepare<[object], { standard: Standard }>(sql(clause)).all({ now, ...params }));
          const overridden = Object.entries(ages.perStandard).filter(
            (e): e is [Standard, number] => e[1] !== undefined,
          );
          // A failed or dead message may still be resent: its body stays at least the default age.
          const cutoffs = (age: number) => ({ cutoff: now - age, undeliveredCutoff: now - Math.max(age, ages.default) });
          for (const [standard, age] of overridden) run('standard = @standard', { ...cutoffs(age), standard });
          const others = overridden.length
            ? `standard NOT IN (${overridden.map((_, i) => `@s${i}`).join(', ')})`
            : '1 = 1';
          const named = Object.fromEntries(overridden.map(([s], i) => [`s${i}`, s]));
          run(others, { ...cutoffs(ages.default), ...named });
          if (result.total > 0) this.appendAudit(now, 'system:retention', action, null, { ...result });
          return result;
        })
        .immediate(),
    );
  }
}




function messageWhere(filter: MessageFilter): { where: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  const eq = (column: string, value: string | undefined) => {
    if (value !== undefined) (clauses.push(`${column} = ?`), params.push(value));
  };
  if (filter.status !== undefined) {
    const statuses = Array.isArray(filter.status) ? filter.status : [filter.status];
    clauses.push(statuses.length ? `status IN (${statuses.map(() => '?').join(', ')})` : '0 = 1');
    params.push(...statuses);
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
  if (filter.receivedFrom) (clauses.push('received_at >= ?'), params.push(filter.receivedFrom.getTime()));
  if (filter.receivedTo) (clauses.push('received_at < ?'), params.push(filter.receivedTo.getTime()));
  return { where: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
}

/** Bodies hold personal data: the database and its -wal/-shm files are for the gateway's user only (0600). */
function ownerOnly(file: string): void {
  chmodSync(file, 0o600);
}
