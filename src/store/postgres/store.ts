import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { gemeenteCountsSql, statusCountsSql } from '../delivering.ts';
import { insertedRow } from '../inserted-row.ts';
import { newMessageId } from '../message-id.ts';
import {
  type AttemptRow,
  type AuditRow,
  clean,
  type GemeenteCountRow,
  type HeldTkbRow,
  type HistoryDeliveryRow,
  type HistoryRefRow,
  type HistoryRow,
  type MessageRow,
  type OutboxMessageRow,
  type OutboxRow,
  toAttempt,
  toAuditEntry,
  toGemeenteCount,
  toHeldTkb,
  toLease,
  toStatusChange,
  toStored,
  toSummary,
  toUnanswered,
  type UnansweredRow,
} from '../rows.ts';
import {
  type ActionRequest,
  AttemptListeners,
  auditConditions,
  DEFAULT_ANSWER_EXCERPT_CHARS,
  DEFAULT_LIST_PAGE_MAX,
  duplicateKind,
  HISTORY_SECRET,
  historyRef,
  historyToWrite,
  isSerialised,
  messageConditions,
  messageValues,
  type PurgeKind,
  pageOf,
  planAttempt,
  prepareBody,
  serialisedStatus,
  TR507_HOLD_PREFIX,
} from '../rules.ts';
import type { KeySource, RowSealer } from '../sealing.ts';
import {
  type ActionResult,
  type AttemptReport,
  type AuditEntry,
  type AuditFilter,
  type AuditInput,
  type ClaimResult,
  type CompleteResult,
  type CorrelationKey,
  type DeliveryAttempt,
  type GemeenteCount,
  type HeldTkb,
  type HistoryQuery,
  type HistorySnapshot,
  type InsertResult,
  type Lease,
  type LeaseForPublishOptions,
  MESSAGE_STATUSES,
  type MessageFilter,
  type MessagePage,
  type MessageScope,
  type MessageStatus,
  type MessageStore,
  type NewMessage,
  type NextStep,
  type PublishLease,
  type PublishRef,
  type PurgeResult,
  type RecordedAttempt,
  type ResealBatch,
  type RetentionAges,
  type StatusChange,
  type StatusCountFilter,
  type StatusCounts,
  type StoredMessage,
  type UnansweredFilter,
  type UnansweredHeen,
} from '../types.ts';
import { BatchedWrites, opened } from './batched.ts';
import { PostgresBeheerState } from './beheer-state.ts';
import { assertSchemaName, migratePostgres } from './migrations.ts';
import type { PostgresStoreOptions } from './options.ts';
import { makeSealer, resealAnswers, resealMessages } from './reseal.ts';
import { andScope } from './scope.ts';
import * as sql from './statements.ts';
import {
  actIn,
  appendAudit,
  type BudgetKeyRow,
  duplicateParams,
  keyOfRow,
  lockBudgets,
  messageParams,
  purgeIn,
  refColumns,
  releaseHeld,
  sealParams,
} from './writes.ts';

export type { PostgresStoreOptions } from './options.ts';

/** Deadlock and serialization failures: the transaction is simply run again. */
const RETRYABLE = new Set(['40P01', '40001']);
const INT8_OID = 20;

type Client = pg.PoolClient;

/**
 * The message store of the scale-out deployment, shared by any number of gateway instances: the same rules as
 * the SQLite store (../rules.ts; uniqueness as a partial unique index, message + outbox row + history +
 * correlation in one transaction, leases with FOR UPDATE SKIP LOCKED so instances take disjoint rows). Row locks
 * are taken outbox row before message row; deadlocks and serialization failures are retried.
 */
export class PostgresStore implements MessageStore {
  readonly pool: pg.Pool;
  /** Resolves with the schema version once migrations ran (or were checked); rejects when the store cannot open. */
  readonly ready: Promise<number>;
  readonly beheerState: PostgresBeheerState;
  private readonly now: () => number;
  private readonly listPageMax: number;
  private readonly answerExcerptChars: number;
  private readonly attempts = new AttemptListeners();
  /** Group commit: inserts of concurrent requests, and claims of broker deliveries, share statements. */
  private readonly batched: BatchedWrites;
  private closed = false;
  private readonly options: PostgresStoreOptions;
  private sealerP: Promise<RowSealer> | undefined;

  constructor(options: PostgresStoreOptions) {
    this.options = options;
    this.now = options.clock ?? Date.now;
    this.listPageMax = options.listPageMax ?? DEFAULT_LIST_PAGE_MAX;
    this.answerExcerptChars = options.answerExcerptChars ?? DEFAULT_ANSWER_EXCERPT_CHARS;
    this.batched = new BatchedWrites(
      (t, v, n) => this.q(t, v, n),
      () => this.sealer(),
      this.now,
      options.batchesInFlight ?? 1,
    );
    const schema = options.schema ? assertSchemaName(options.schema) : null;
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      application_name: options.applicationName ?? 'schakel',
      ...(schema ? { options: `-c search_path=${schema}` } : {}),
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          oid === INT8_OID
            ? (v: string) => Number(v)
            : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
      },
    });
    // An idle client losing its connection must not take the process down; the next query reconnects.
    this.pool.on('error', () => undefined);
    // Nor may a client that is checked out (a transaction) when its connection is cut: its next query fails instead.
    this.pool.on('connect', (client) => client.on('error', () => undefined));
    this.ready = this.open(schema, options.migrate !== false);
    // Callers see the failure through `ready` or their first call; it must not be an unhandled rejection.
    this.ready.catch(() => undefined);
    this.beheerState = new PostgresBeheerState(this.pool, this.ready);
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

  /** The cipher (configured, or the generated key in store_secrets) and the BSN index key. */
  private sealer(): Promise<RowSealer> {
    this.sealerP ??= makeSealer(
      (text, values) => this.q(text, values),
      this.options.cipher,
      async () => this.options.bsnIndexSecret ?? (await this.historySecret()),
    );
    this.sealerP.catch(() => {
      this.sealerP = undefined;
    });
    return this.sealerP;
  }

  /** Where the body key comes from: `configured`, or `store-secret` (development only). */
  get keySource(): KeySource {
    return this.options.cipher ? 'configured' : 'store-secret';
  }

  /** One statement in its own implicit transaction; `name` makes it a prepared statement. */
  private async q<R extends pg.QueryResultRow>(text: string, values: unknown[] = [], name?: string): Promise<R[]> {
    await this.ready;
    const result = await this.pool.query<R>(name ? { name, text, values } : { text, values });
    return result.rows;
  }

  /** Runs `fn` in a transaction; a deadlock or serialization failure runs it again (a few times). */
  private async tx<T>(fn: (c: Client, now: number) => Promise<T>): Promise<T> {
    await this.ready;
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      let broken = false;
      try {
        await client.query('BEGIN');
        const result = await fn(client, this.now());
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

  // ---- message log ----

  async insertMessage(m: NewMessage, actor: string): Promise<InsertResult> {
    const prepared = prepareBody(m);
    await this.ready;
    const sealer = await this.sealer();
    // TR507: a TKB, and an answer that may release one, decide under their budget keys' locks.
    if (isSerialised(m) || (m.correlatedTo && m.countsAsAnswer !== false))
      return this.insertSerialised(m, actor, prepared, sealer);
    for (let round = 0; round < 3; round++) {
      const plain = messageValues(m, m.id ?? newMessageId(), this.now(), prepared);
      const v = sealer.seal(plain);
      // With the inserts of concurrent requests: one statement, one COMMIT (group commit).
      if (await this.batched.inserts.submit({ v, actor, history: historyToWrite(m) })) {
        return { kind: 'inserted', id: v.id, message: toStored(insertedRow(plain, v.body != null)) };
      }

      // The identity (or the id) exists: compare contents and audit the repeat.
      if (!v.dedupScope || m.status === 'rejected') throw new Error(`message id ${v.id} exists already`);
      const [e] = await this.q<{ id: string; content_hash: string }>(sql.FIND_DUPLICATE, duplicateParams(v, actor));
      if (e) return { kind: duplicateKind(e.content_hash, v.contentHash), id: e.id };
      if (m.id) throw new Error(`message id ${v.id} exists already`);
      // The conflicting message went away in between (retention); try again.
    }
    throw new Error('insert kept conflicting with a message that disappeared');
  }

  /**
   * The insert of a TKB or an answer in one transaction under the advisory locks of the budget keys involved
   * (sorted, so two never wait on each other): whether the TKB waits (on_hold, TR507), and whether the answer
   * releases the next TKB held on its heen's keys. Two instances never deliver two TKBs of one key at once.
   */
  private insertSerialised(
    m: NewMessage,
    actor: string,
    prepared: { body: Buffer; contentHash: string },
    sealer: RowSealer,
  ): Promise<InsertResult> {
    return this.tx(async (c, now) => {
      const own = isSerialised(m) ? m.history!.budgets : [];
      const answered = m.correlatedTo
        ? (await c.query<BudgetKeyRow>(sql.BUDGET_KEYS_OF, [m.correlatedTo])).rows.map(keyOfRow)
        : [];
      await lockBudgets(c, [...own, ...answered]);
      let pending: HistoryRefRow | undefined;
      for (const b of own) {
        pending ??= (await c.query<HistoryRefRow>(sql.HISTORY_BUDGET_PENDING, [b.afzender, b.budget, b.bsnHash]))
          .rows[0];
      }
      const decided = { ...m, ...serialisedStatus(m, pending) };
      const plain = messageValues(decided, decided.id ?? newMessageId(), now, prepared);
      const v = sealer.seal(plain);
      const { rowCount } = await c.query(sql.INSERT_MESSAGE, [
        ...messageParams(v, actor, historyToWrite(decided)),
        ...sealParams(v),
      ]);
      if (rowCount) {
        if (v.answersHeen) {
          const { rows: heen } = await c.query<{ answered_by: string | null }>(sql.ANSWERED_BY, [v.correlatedTo]);
          if (heen[0]?.answered_by === v.id) await releaseHeld(c, v.correlatedTo!, now);
        }
        return { kind: 'inserted', id: v.id, message: toStored(insertedRow(plain, v.body != null)) };
      }
      if (!v.dedupScope || m.status === 'rejected' || m.id) throw new Error(`message id ${v.id} exists already`);
      const { rows: found } = await c.query<{ id: string; content_hash: string }>(
        sql.FIND_DUPLICATE,
        duplicateParams(v, actor),
      );
      const e = found[0];
      if (!e) throw new Error('insert conflicted with a message that disappeared');
      return { kind: duplicateKind(e.content_hash, v.contentHash), id: e.id };
    });
  }

  async getMessage(id: string, scope?: MessageScope): Promise<StoredMessage | null> {
    const params: unknown[] = [id];
    const [row] = await this.q<MessageRow>(
      sql.GET_MESSAGE + andScope(scope, params),
      params,
      scope ? undefined : 'schakel-get-message',
    );
    return row ? (await this.sealer()).openStored(toStored(row)) : null;
  }

  async getBody(id: string, scope?: MessageScope): Promise<Buffer | null> {
    const params: unknown[] = [id];
    const [row] = await this.q<{ body: Buffer | null; body_key: string | null }>(
      sql.GET_BODY + andScope(scope, params),
      params,
    );
    return row ? (await this.sealer()).openBody(id, row.body_key, row.body) : null;
  }

  async listMessages(filter: MessageFilter = {}): Promise<MessagePage> {
    const bsnHash = filter.bsn === undefined ? undefined : (await this.sealer()).bsnHash(filter.bsn);
    const { where, params } = sql.whereOf(messageConditions(filter, bsnHash));
    const { limit, offset } = pageOf(filter, this.listPageMax);
    const rows = await this.q<MessageRow>(sql.listMessages(where, params.length), [...params, limit, offset]);
    const [count] = await this.q<{ n: number }>(sql.countMessages(where), params);
    return { items: rows.map(toSummary), total: count?.n ?? 0 };
  }

  async statusHistory(id: string): Promise<StatusChange[]> {
    return (await this.q<HistoryRow>(sql.LIST_HISTORY, [id])).map(toStatusChange);
  }

  async deliveryAttempts(id: string): Promise<DeliveryAttempt[]> {
    const sealer = await this.sealer();
    return (await this.q<AttemptRow>(sql.LIST_ATTEMPTS, [id])).map((r) => sealer.openAttempt(toAttempt(r)));
  }

  async gemeenteCounts(scope?: MessageScope): Promise<GemeenteCount[]> {
    const { where, params } = sql.whereOf(messageConditions(scope ? { scope } : {}));
    return (await this.q<GemeenteCountRow>(gemeenteCountsSql(where), params)).map(toGemeenteCount);
  }

  async statusCounts(filter: StatusCountFilter = {}): Promise<StatusCounts> {
    const { where, params } = sql.whereOf(messageConditions(filter));
    const counts = Object.fromEntries(MESSAGE_STATUSES.map((s) => [s, 0])) as StatusCounts;
    for (const r of await this.q<{ status: MessageStatus; n: number }>(statusCountsSql(where), params)) {
      counts[r.status] = r.n;
    }
    return counts;
  }

  // ---- correlation ----

  async findCorrelationTarget(key: CorrelationKey): Promise<StoredMessage | null> {
    const [row] =
      key.scope === 'istd'
        ? await this.q<MessageRow>(
            sql.CORRELATION_ISTD,
            [key.messageName, key.afzender, key.identificatie, key.dagtekening],
            'schakel-correlation-istd',
          )
        : key.scope === 'stuf'
          ? await this.q<MessageRow>(
              sql.CORRELATION_STUF,
              [key.zender, key.referentienummer],
              'schakel-correlation-stuf',
            )
          : await this.q<MessageRow>(
              sql.CORRELATION_CASE,
              [key.zender, key.messageName, key.caseRef],
              'schakel-correlation-case',
            );
    return row ? (await this.sealer()).openStored(toStored(row)) : null;
  }

  async linkRetour(
    retourId: string,
    heenId: string,
    actor: string,
    answerSummary?: string | null,
  ): Promise<{ ok: boolean; firstAnswer: boolean }> {
    return this.tx(async (c, now) => {
      await lockBudgets(c, (await c.query<BudgetKeyRow>(sql.BUDGET_KEYS_OF, [heenId])).rows.map(keyOfRow));
      const heen = await c.query(sql.LOCK_MESSAGE, [heenId]);
      if (heen.rowCount !== 1) return { ok: false, firstAnswer: false };
      const linked = await c.query(sql.LINK_RETOUR, [heenId, now, retourId]);
      if (linked.rowCount !== 1) return { ok: false, firstAnswer: false };
      const answered = await c.query(sql.ANSWER_HEEN, [retourId, clean(answerSummary), now, heenId]);
      const firstAnswer = answered.rowCount === 1;
      if (firstAnswer) await releaseHeld(c, heenId, now);
      await appendAudit(c, now, actor, 'message.correlated', retourId, { heen: heenId, firstAnswer });
      return { ok: true, firstAnswer };
    });
  }

  async listUnanswered(filter: UnansweredFilter): Promise<UnansweredHeen[]> {
    const params: unknown[] = [filter.receivedBefore.getTime(), Math.max(1, filter.limit)];
    const text = sql.unanswered(andScope(filter.scope, params));
    const rows = await this.q<UnansweredRow>(text, params, filter.scope ? undefined : 'schakel-unanswered');
    return rows.map(toUnanswered);
  }

  // ---- history ----

  async readHistory(query: HistoryQuery): Promise<HistorySnapshot> {
    const periods = await Promise.all(
      query.periods.map(async (key) => ({
        key,
        deliveries: (
          await this.q<HistoryDeliveryRow>(
            sql.HISTORY_DELIVERIES,
            [key.messageName, key.afzender, key.bsnHash, key.nummer],
            'schakel-history-deliveries',
          )
        ).map((r) => ({ ...historyRef(r), status: r.status })),
      })),
    );
    const budgets = await Promise.all(
      query.budgets.map(async (key) => {
        const params = [key.afzender, key.budget, key.bsnHash];
        const [other] = await this.q(sql.HISTORY_BUDGET_OTHER, params, 'schakel-history-budget-other');
        const [pending] = await this.q<HistoryRefRow>(
          sql.HISTORY_BUDGET_PENDING,
          params,
          'schakel-history-budget-pending',
        );
        return { key, heldByAnotherClient: other !== undefined, pending: pending ? historyRef(pending) : null };
      }),
    );
    return { periods, budgets };
  }

  async listHeldTkbs(limit: number, scope?: MessageScope): Promise<HeldTkb[]> {
    const params: unknown[] = [TR507_HOLD_PREFIX, Math.max(1, limit)];
    const rows = await this.q<HeldTkbRow>(sql.heldTkbs(andScope(scope, params, 'm.')), params);
    return rows.map((r) => toHeldTkb(r, TR507_HOLD_PREFIX));
  }

  async historySecret(): Promise<Buffer> {
    const read = async () => (await this.q<{ value: Buffer }>(sql.SECRET_GET, [HISTORY_SECRET]))[0]?.value;
    const existing = await read();
    if (existing) return existing;
    // Instances racing here all keep the first one written.
    await this.q(sql.SECRET_INSERT, [HISTORY_SECRET, randomBytes(32)]);
    return (await read())!;
  }

  // ---- delivery outbox ----

  async leaseDue(owner: string, limit: number, leaseMs: number): Promise<Lease[]> {
    if (limit <= 0) return [];
    const sealer = await this.sealer();
    return this.tx(async (c, now) => {
      const leaseUntil = now + leaseMs;
      const { rows } = await c.query<OutboxRow>(sql.LEASE_DUE, [now, limit, owner, leaseUntil]);
      rows.sort((a, b) => a.due_at - b.due_at || a.id - b.id);
      if (rows.length === 0) return [];
      const { rows: messages } = await c.query<OutboxMessageRow>({
        name: 'schakel-leased-messages',
        text: sql.LEASED_MESSAGES,
        values: [rows.map((r) => r.message_id)],
      });
      const byId = new Map(messages.map((m) => [m.id, opened(sealer, m)]));
      return rows.map((row) => toLease(row, row.lease_token!, byId.get(row.message_id)!, owner, leaseUntil));
    });
  }

  async releaseLease(lease: Pick<Lease, 'outboxId' | 'token' | 'messageId' | 'owner'>): Promise<boolean> {
    // The row is due again at once; without its lease the message reads queued (no status write, issue #17).
    const released = await this.q(sql.RELEASE_LEASE, [this.now(), lease.outboxId, lease.token]);
    return released.length === 1;
  }

  async nextDueAt(): Promise<Date | null> {
    const [row] = await this.q<{ t: number | null }>(sql.NEXT_DUE, [], 'schakel-next-due');
    return row?.t === null || row?.t === undefined ? null : new Date(row.t);
  }

  async completeDelivery(
    lease: Pick<Lease, 'outboxId' | 'token' | 'messageId' | 'destination'>,
    attempt: AttemptReport,
    next: NextStep,
  ): Promise<CompleteResult> {
    const sealer = await this.sealer();
    const now = this.now();
    const plan = planAttempt(lease, attempt, next, now, this.answerExcerptChars);
    const answer = sealer.sealAnswer(lease.messageId, plan.attempt.answerExcerpt);
    // With the completions of the other deliveries finishing meanwhile: one statement, one COMMIT.
    const r = await this.batched.completions.submit({ lease, plan, now, answer });
    this.attempts.report(lease, attempt, next);
    return r?.owned ? { kind: 'recorded', status: r.status } : { kind: 'lease-lost' };
  }

  onAttemptRecorded(listener: (attempt: RecordedAttempt) => void): () => void {
    return this.attempts.add(listener);
  }

  // ---- broker outbox ----

  async leaseForPublish(
    owner: string,
    limit: number,
    leaseMs: number,
    options: LeaseForPublishOptions = {},
  ): Promise<PublishLease[]> {
    if (limit <= 0) return [];
    const now = this.now();
    const horizon = now + Math.max(0, options.horizonMs ?? 0);
    // A published row is taken again only when it is still waiting long after it fell due.
    const stale = options.republishAfterMs === undefined ? -1 : now - options.republishAfterMs;
    const rows = await this.q<OutboxRow>(
      sql.LEASE_FOR_PUBLISH,
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
    return (await this.q(sql.MARK_PUBLISHED, refColumns(refs), 'schakel-mark-published')).length;
  }

  async abandonPublish(refs: readonly PublishRef[]): Promise<number> {
    if (refs.length === 0) return 0;
    return (await this.q(sql.ABANDON_PUBLISH, refColumns(refs))).length;
  }

  async claimPublished(ref: PublishRef, owner: string, leaseMs: number): Promise<ClaimResult> {
    await this.ready;
    // With the claims of the other deliveries taken from the broker meanwhile: one statement.
    return this.batched.claims.submit({ ref, owner, leaseUntil: this.now() + leaseMs });
  }

  // ---- beheer actions ----

  async resend(id: string, actor: string, options: { destination?: string } = {}): Promise<ActionResult> {
    return this.act(id, { kind: 'resend', actor, ...options });
  }

  async hold(id: string, actor: string, reason?: string): Promise<ActionResult> {
    return this.act(id, { kind: 'hold', actor, ...(reason === undefined ? {} : { reason }) });
  }

  async release(id: string, actor: string): Promise<ActionResult> {
    return this.act(id, { kind: 'release', actor });
  }

  async cancel(id: string, actor: string, reason?: string): Promise<ActionResult> {
    return this.act(id, { kind: 'cancel', actor, ...(reason === undefined ? {} : { reason }) });
  }

  // ---- retention ----

  async purgeBodies(ages: RetentionAges): Promise<PurgeResult> {
    return this.purge('bodies', ages);
  }

  async purgeMetadata(ages: RetentionAges): Promise<PurgeResult> {
    return this.purge('metadata', ages);
  }

  // ---- encryption at rest ----

  async resealMessages(limit: number, after: string | null): Promise<ResealBatch> {
    const sealer = await this.sealer();
    return this.tx((c) => resealMessages(c, sealer, limit, after));
  }

  async resealAnswers(limit: number, after: string | null): Promise<ResealBatch> {
    const sealer = await this.sealer();
    return this.tx((c) => resealAnswers(c, sealer, limit, after));
  }

  async currentBodyKey(): Promise<string> {
    return (await this.sealer()).cipher.current;
  }

  // ---- audit ----

  async audit(entry: AuditInput): Promise<void> {
    await this.ready;
    await appendAudit(this.pool, this.now(), entry.actor, entry.action, entry.targetId ?? null, entry.details ?? {});
  }

  async listAudit(filter: AuditFilter = {}): Promise<AuditEntry[]> {
    const { where, params } = sql.whereOf(auditConditions(filter));
    const { limit, offset } = pageOf(filter, this.listPageMax);
    const rows = await this.q<AuditRow>(sql.listAudit(where, params.length), [...params, limit, offset]);
    return rows.map(toAuditEntry);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.ready.catch(() => undefined);
    await this.pool.end();
  }

  /** A beheer action (rules: `planAction`) in one transaction, outbox row locked before the message. */
  private act(id: string, req: ActionRequest): Promise<ActionResult> {
    return this.tx((c, now) => actIn(c, id, req, now));
  }

  private purge(kind: PurgeKind, ages: RetentionAges): Promise<PurgeResult> {
    return this.tx((c, now) => purgeIn(c, kind, ages, now));
  }
}
