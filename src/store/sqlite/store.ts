import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { BodyCipher } from '../../security/body-cipher.ts';
import { localKeyFile } from '../../security/body-keys.ts';
import { bsnIndexKey } from '../../security/bsn-index.ts';
import { insertedRow } from '../inserted-row.ts';
import { newMessageId } from '../message-id.ts';
import {
  clean,
  toAttempt,
  toAuditEntry,
  toGemeenteCount,
  toHeldTkb,
  toStatusChange,
  toStored,
  toSummary,
  toUnanswered,
} from '../rows.ts';
import {
  type ActionRequest,
  AttemptListeners,
  auditConditions,
  auditDetails,
  DEFAULT_ANSWER_EXCERPT_CHARS,
  DEFAULT_LIST_PAGE_MAX,
  duplicateKind,
  HISTORY_SECRET,
  historyRef,
  historyToWrite,
  isSerialised,
  messageConditions,
  messageValues,
  PURGE_ACTION,
  type PurgeKind,
  pageOf,
  planAction,
  planAttempt,
  prepareBody,
  purgePlan,
  RETENTION_ACTOR,
  type StatusUpdate,
  serialisedStatus,
  TR507_ACTOR,
  TR507_HOLD_PREFIX,
  tally,
} from '../rules.ts';
import { type KeySource, RowSealer } from '../sealing.ts';
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
import { SqliteBeheerState } from './beheer-state.ts';
import { GroupCommit } from './group-commit.ts';
import { leaseBatch, startDelivery } from './leases.ts';
import { migrate } from './migrations.ts';
import { resealAnswers, resealMessages } from './reseal.ts';
import { andScope } from './scope.ts';
import * as sql from './statements.ts';
import { WalCheckpointer } from './wal-checkpointer.ts';
import { WalSync } from './wal-sync.ts';

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
  /**
   * The keys bodies, findings and kept answers are sealed with. Default: a key file `body.key` generated once
   * next to the database file (an in-memory database: a random key of this process).
   */
  cipher?: BodyCipher;
  /** The secret the BSN index key is derived from; default the store's own secret (`historySecret`). */
  bsnIndexSecret?: Buffer;
}

/**
 * The store of the embedded deployment: one SQLite file in WAL mode. Every write runs through `GroupCommit`
 * (`this.write`), so a resolved write is committed and its WAL fsynced; reads run directly on the connection.
 */
export class SqliteStore implements MessageStore {
  readonly db: Database.Database;
  readonly schemaVersion: number;
  readonly walSync: WalSync | null;
  readonly checkpointer: WalCheckpointer | null;
  readonly beheerState: SqliteBeheerState;
  private readonly now: () => number;
  private readonly listPageMax: number;
  private readonly answerExcerptChars: number;
  private readonly s: sql.Statements;
  private readonly commits: GroupCommit;
  private readonly attempts = new AttemptListeners();
  private readonly cipher: BodyCipher;
  private readonly bsnIndexSecret: Buffer | undefined;
  private sealerP: Promise<RowSealer> | undefined;
  /** Where the body key came from (`configured`: `store.encryption`). */
  readonly keySource: KeySource;
  /** True when this open generated the key file (a new store without configured keys). */
  readonly keyFileCreated: boolean;

  constructor(options: SqliteStoreOptions) {
    this.now = options.clock ?? Date.now;
    this.listPageMax = options.listPageMax ?? DEFAULT_LIST_PAGE_MAX;
    this.answerExcerptChars = options.answerExcerptChars ?? DEFAULT_ANSWER_EXCERPT_CHARS;
    if (options.file !== ':memory:') mkdirSync(dirname(options.file), { recursive: true, mode: 0o700 });
    if (options.cipher) {
      [this.cipher, this.keySource, this.keyFileCreated] = [options.cipher, 'configured', false];
    } else if (options.file === ':memory:') {
      [this.cipher, this.keySource, this.keyFileCreated] = [BodyCipher.ephemeral(), 'ephemeral', false];
    } else {
      const local = localKeyFile(join(dirname(options.file), 'body.key'));
      [this.cipher, this.keySource, this.keyFileCreated] = [local.cipher, 'key-file', local.created];
    }
    this.bsnIndexSecret = options.bsnIndexSecret;
    this.db = new Database(options.file);
    if (options.file !== ':memory:') ownerOnly(options.file);
    const journal = this.db.pragma('journal_mode = WAL', { simple: true });
    // The commit itself does not wait for the disk; `WalSync` fsyncs the WAL off the event loop before any write
    // resolves. A file database that could not switch to WAL keeps synchronous=FULL.
    this.walSync = options.file !== ':memory:' && journal === 'wal' ? new WalSync(`${options.file}-wal`) : null;
    this.db.pragma(this.walSync ? 'synchronous = NORMAL' : 'synchronous = FULL');
    if (options.file !== ':memory:')
      for (const f of [`${options.file}-wal`, `${options.file}-shm`]) if (existsSync(f)) ownerOnly(f);
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    // 64 MB of page cache (SQLite's default is 2 MB): the indexes a write touches stay in memory as the log grows.
    this.db.pragma(`cache_size = ${-64 * 1024}`);
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
    this.s = sql.prepareStatements(this.db);
    this.commits = new GroupCommit(this.db, this.walSync, options.groupCommitMs ?? 2);
    this.beheerState = new SqliteBeheerState(this.db, (fn) => this.commits.run(fn));
    // Made now, outside any group transaction: the store's secret is created here when missing.
    void this.sealer();
  }

  /** The cipher and the BSN index key (derived from the store's secret unless one was given). */
  private sealer(): Promise<RowSealer> {
    this.sealerP ??= Promise.resolve(new RowSealer(this.cipher, bsnIndexKey(this.bsnIndexSecret ?? this.ownSecret())));
    return this.sealerP;
  }

  /** The store's secret, created at once (outside the group commit) when missing. */
  private ownSecret(): Buffer {
    this.s.secretInsert.run(HISTORY_SECRET, randomBytes(32));
    return this.s.secretGet.get(HISTORY_SECRET)!.value;
  }

  /** The one write path: `fn` runs in the next group transaction; resolves once it is committed and fsynced. */
  private write<T>(fn: (now: number) => T): Promise<T> {
    return this.commits.run(() => fn(this.now()));
  }

  // ---- message log ----

  async insertMessage(message: NewMessage, actor: string): Promise<InsertResult> {
    const prepared = prepareBody(message);
    const sealer = await this.sealer();
    const id = message.id ?? newMessageId();
    return this.write((now): InsertResult => {
      // TR507: decided here, in the one writer's transaction, so two TKBs on a key never both go out.
      // Computed afresh on every run of this write (group-commit.ts may run it twice).
      const pending = isSerialised(message)
        ? message
            .history!.budgets.map((b) => this.s.historyBudgetPending.get(b.afzender, b.budget, b.bsnHash))
            .find((p) => p !== undefined)
        : undefined;
      const m = { ...message, ...serialisedStatus(message, pending) };
      if (m.status !== 'rejected' && m.dedup) {
        const existing =
          m.dedup.scope === 'istd'
            ? this.s.findIstd.get(m.dedup.sender, m.messageName, m.dedup.identificatie)
            : this.s.findStuf.get(m.dedup.zender, m.dedup.referentienummer);
        if (existing) {
          const kind = duplicateKind(existing.content_hash, prepared.contentHash);
          this.appendAudit(now, actor, `message.${kind}`, existing.id, { messageName: m.messageName });
          return { kind, id: existing.id };
        }
      }
      const plain = messageValues(m, id, now, prepared);
      const v = sealer.seal(plain);
      // The row's values as they are: the statement binds the names it has and reads no others (a rest copy
      // of the 37 fields would be a dictionary object, ~8 KB per insert; issue #17).
      this.s.insertMessage.run(v);
      const body = v.body;
      if (body !== null && body !== undefined) this.s.insertBody.run(v.id, body);
      for (const h of v.bsnHashes) this.s.bsnIndexInsert.run(h, v.id);
      this.s.history.run(v.id, now, null, v.status, actor, v.statusReason);
      if (v.status === 'queued') this.s.outboxInsert.run(v.id, v.destination!, now, now);
      if (v.answersHeen && this.s.answerHeen.run(v.id, v.answerSummary, now, v.correlatedTo!).changes === 1) {
        this.releaseHeld(v.correlatedTo!, now);
      }
      const facts = historyToWrite(m);
      for (const p of facts.periods)
        this.s.historyPeriodInsert.run(v.id, p.messageName, p.afzender, p.bsnHash, p.nummer, p.status);
      for (const b of facts.budgets) this.s.historyBudgetInsert.run(v.id, b.afzender, b.bsnHash, b.budget);
      return { kind: 'inserted', id: v.id, message: toStored(insertedRow(plain, body !== null && body !== undefined)) };
    });
  }

  async getMessage(id: string, scope?: MessageScope): Promise<StoredMessage | null> {
    const row = scope ? sql.scopedRead(this.db, sql.GET_META, id, scope) : this.s.getMeta.get(id);
    return row ? (await this.sealer()).openStored(toStored(row)) : null;
  }

  async getBody(id: string, scope?: MessageScope): Promise<Buffer | null> {
    const row = scope
      ? sql.scopedRead<{ body: Buffer | null; body_key: string | null }>(this.db, sql.GET_BODY, id, scope)
      : this.s.getBody.get(id);
    return row ? (await this.sealer()).openBody(id, row.body_key, row.body) : null;
  }

  async listMessages(filter: MessageFilter = {}): Promise<MessagePage> {
    const bsnHash = filter.bsn === undefined ? undefined : (await this.sealer()).bsnHash(filter.bsn);
    const { where, params } = sql.whereOf(messageConditions(filter, bsnHash));
    const { limit, offset } = pageOf(filter, this.listPageMax);
    const rows = sql.listMessages(this.db, where).all(...params, limit, offset);
    const total = sql.countMessages(this.db, where).get(...params)?.n ?? 0;
    return { items: rows.map(toSummary), total };
  }

  async statusHistory(id: string): Promise<StatusChange[]> {
    return this.s.listHistory.all(id).map(toStatusChange);
  }

  async deliveryAttempts(id: string): Promise<DeliveryAttempt[]> {
    const sealer = await this.sealer();
    return this.s.listAttempts.all(id).map((r) => sealer.openAttempt(toAttempt(r)));
  }

  async gemeenteCounts(scope?: MessageScope): Promise<GemeenteCount[]> {
    const { where, params } = sql.whereOf(messageConditions(scope ? { scope } : {}));
    return sql
      .gemeenteCounts(this.db, where)
      .all(...params, ...params)
      .map(toGemeenteCount);
  }

  async statusCounts(filter: StatusCountFilter = {}): Promise<StatusCounts> {
    const { where, params } = sql.whereOf(messageConditions(filter));
    const counts = Object.fromEntries(MESSAGE_STATUSES.map((s) => [s, 0])) as StatusCounts;
    for (const r of sql.statusCounts(this.db, where).all(...params, ...params)) counts[r.status] = r.n;
    return counts;
  }

  // ---- correlation ----

  async findCorrelationTarget(key: CorrelationKey): Promise<StoredMessage | null> {
    const row =
      key.scope === 'istd'
        ? this.s.correlationIstd.get(key.messageName, key.afzender, key.identificatie, key.dagtekening)
        : key.scope === 'stuf'
          ? this.s.correlationStuf.get(key.zender, key.referentienummer)
          : this.s.correlationCase.get(key.zender, key.messageName, key.caseRef);
    return row ? (await this.sealer()).openStored(toStored(row)) : null;
  }

  async linkRetour(
    retourId: string,
    heenId: string,
    actor: string,
    answerSummary?: string | null,
  ): Promise<{ ok: boolean; firstAnswer: boolean }> {
    return this.write((now) => {
      if (!this.s.exists.get(heenId)) return { ok: false, firstAnswer: false };
      const linked = this.s.linkRetour.run(heenId, now, retourId).changes === 1;
      if (!linked) return { ok: false, firstAnswer: false };
      const firstAnswer = this.s.answerHeen.run(retourId, clean(answerSummary), now, heenId).changes === 1;
      if (firstAnswer) this.releaseHeld(heenId, now);
      this.appendAudit(now, actor, 'message.correlated', retourId, { heen: heenId, firstAnswer });
      return { ok: true, firstAnswer };
    });
  }

  async listUnanswered(filter: UnansweredFilter): Promise<UnansweredHeen[]> {
    const args = [filter.receivedBefore.getTime(), Math.max(1, filter.limit)] as const;
    if (!filter.scope) return this.s.unanswered.all(...args).map(toUnanswered);
    const scoped = andScope(filter.scope);
    return sql
      .unanswered(this.db, scoped.sql)
      .all(args[0], ...scoped.params, args[1])
      .map(toUnanswered);
  }

  // ---- history ----

  async readHistory(query: HistoryQuery): Promise<HistorySnapshot> {
    return {
      periods: query.periods.map((key) => ({
        key,
        deliveries: this.s.historyDeliveries
          .all(key.messageName, key.afzender, key.bsnHash, key.nummer)
          .map((r) => ({ ...historyRef(r), status: r.status })),
      })),
      budgets: query.budgets.map((key) => {
        const pending = this.s.historyBudgetPending.get(key.afzender, key.budget, key.bsnHash);
        return {
          key,
          heldByAnotherClient: this.s.historyBudgetOther.get(key.afzender, key.budget, key.bsnHash) !== undefined,
          pending: pending ? historyRef(pending) : null,
        };
      }),
    };
  }

  async listHeldTkbs(limit: number, scope?: MessageScope): Promise<HeldTkb[]> {
    const scoped = andScope(scope, 'm.');
    const rows = scope
      ? sql.heldTkbs(this.db, scoped.sql).all(TR507_HOLD_PREFIX, ...scoped.params, Math.max(1, limit))
      : this.s.heldTkbs.all(TR507_HOLD_PREFIX, Math.max(1, limit));
    return rows.map((r) => toHeldTkb(r, TR507_HOLD_PREFIX));
  }

  async historySecret(): Promise<Buffer> {
    const existing = this.s.secretGet.get(HISTORY_SECRET);
    if (existing) return existing.value;
    return this.write(() => {
      this.s.secretInsert.run(HISTORY_SECRET, randomBytes(32));
      return this.s.secretGet.get(HISTORY_SECRET)!.value;
    });
  }

  // ---- delivery outbox ----

  async leaseDue(owner: string, limit: number, leaseMs: number): Promise<Lease[]> {
    if (limit <= 0) return [];
    const sealer = await this.sealer();
    return this.write((now) => leaseBatch(this.s, sealer, { owner, limit, until: now + leaseMs }, now));
  }

  async releaseLease(lease: Pick<Lease, 'outboxId' | 'token' | 'messageId' | 'owner'>): Promise<boolean> {
    // The row is due again at once; without its lease the message reads queued (no status write, issue #17).
    return this.write((now) => this.s.outboxUnlease.run(now, lease.outboxId, lease.token).changes === 1);
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
    const sealer = await this.sealer();
    const result = await this.write((now): CompleteResult => {
      const current = this.s.completionState.get({ id: lease.messageId, outboxId: lease.outboxId, token: lease.token });
      if (!current) return { kind: 'lease-lost' };
      const plan = planAttempt(lease, attempt, next, now, this.answerExcerptChars);
      const attemptNo = current.attempts + 1;
      const answer = sealer.sealAnswer(lease.messageId, plan.attempt.answerExcerpt);
      const a = plan.attempt;
      // Every field named: a spread followed by new fields makes a dictionary object (issue #17).
      const record = (resultStatus: MessageStatus, nextAttemptAt: number | null) =>
        this.s.insertAttempt.run({
          messageId: a.messageId,
          destination: a.destination,
          startedAt: a.startedAt,
          finishedAt: a.finishedAt,
          durationMs: a.durationMs,
          outcome: a.outcome,
          httpStatus: a.httpStatus,
          reason: a.reason,
          answerExcerpt: answer.excerpt,
          answerKey: answer.key,
          attemptNo,
          resultStatus,
          nextAttemptAt,
        });
      if (current.outbox_id === null) {
        record(this.s.readStatusOf.get(lease.messageId)!.status, null);
        this.s.bumpAttempts.run(attemptNo, now, lease.messageId);
        return { kind: 'lease-lost' };
      }
      const to = plan.update.status;
      if (to === 'queued') this.s.outboxReschedule.run(plan.update.nextAttemptAt!, current.outbox_id);
      else this.s.outboxDelete.run(current.outbox_id);
      this.s.setStatusAttempts.run({ id: lease.messageId, ...plan.update, attempts: attemptNo, now });
      record(to, plan.update.nextAttemptAt);
      // From the status as stored (queued: delivering is not written since issue #17), the previous row's `to`.
      if (current.status !== to) {
        this.s.history.run(lease.messageId, now, current.status, to, plan.historyActor, plan.historyReason);
      }
      return { kind: 'recorded', status: to };
    });
    this.attempts.report(lease, attempt, next);
    return result;
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
    return this.write((now): PublishLease[] => {
      const horizon = now + Math.max(0, options.horizonMs ?? 0);
      // A published row is taken again only when it is still waiting long after it fell due.
      const stale = options.republishAfterMs === undefined ? -1 : now - options.republishAfterMs;
      return this.s.publishCandidates.all({ horizon, now, stale, limit }).map((row) => {
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
    return this.write(() => refs.reduce((n, r) => n + this.s.markPublished.run(r.outboxId, r.token).changes, 0));
  }

  async abandonPublish(refs: readonly PublishRef[]): Promise<number> {
    return this.write(() => refs.reduce((n, r) => n + this.s.abandonPublish.run(r.outboxId, r.token).changes, 0));
  }

  async claimPublished(ref: PublishRef, owner: string, leaseMs: number): Promise<ClaimResult> {
    const sealer = await this.sealer();
    return this.write((now): ClaimResult => {
      const leaseUntil = now + leaseMs;
      if (this.s.claim.run(owner, leaseUntil, ref.outboxId, ref.token, now).changes !== 1) {
        const row = this.s.outboxByLease.get(ref.outboxId, ref.token);
        return row && row.phase === 'claimed' && row.lease_until !== null
          ? { kind: 'busy', leaseUntil: new Date(row.lease_until) }
          : { kind: 'stale' };
      }
      const row = this.s.outboxByLease.get(ref.outboxId, ref.token)!;
      return {
        kind: 'claimed',
        lease: startDelivery(this.s, sealer, row, { token: ref.token, owner, until: leaseUntil }),
      };
    });
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
    return this.write(() => resealMessages(this.db, sealer, limit, after));
  }

  async resealAnswers(limit: number, after: string | null): Promise<ResealBatch> {
    const sealer = await this.sealer();
    return this.write(() => resealAnswers(this.db, sealer, limit, after));
  }

  async currentBodyKey(): Promise<string> {
    return this.cipher.current;
  }

  // ---- audit ----

  async audit(entry: AuditInput): Promise<void> {
    return this.write((now) => {
      this.appendAudit(now, entry.actor, entry.action, entry.targetId ?? null, entry.details ?? {});
    });
  }

  async listAudit(filter: AuditFilter = {}): Promise<AuditEntry[]> {
    const { where, params } = sql.whereOf(auditConditions(filter));
    const { limit, offset } = pageOf(filter, this.listPageMax);
    return sql
      .listAudit(this.db, where)
      .all(...params, limit, offset)
      .map(toAuditEntry);
  }

  async close(): Promise<void> {
    if (this.commits.pending) this.commits.flush();
    await this.walSync?.close();
    await this.checkpointer?.stop();
    if (this.db.open) this.db.close();
  }

  // ---- inside a write ----

  private appendAudit(
    now: number,
    actor: string,
    action: string,
    targetId: string | null,
    details: Record<string, unknown>,
  ): void {
    this.s.audit.run(now, actor, action, targetId, auditDetails(details));
  }

  private setStatus(id: string, u: StatusUpdate, now: number): void {
    this.s.setStatus.run({ id, ...u, now });
  }

  /** TR507: the retour on `heenId` arrived; the oldest TKB held on each of its budget keys goes out. */
  private releaseHeld(heenId: string, now: number): void {
    for (const k of this.s.budgetKeysOf.all(heenId)) {
      const next = this.s.heldNext.get(k.afzender, k.bsn_hash, k.budget, TR507_HOLD_PREFIX);
      if (!next?.destination) continue;
      this.s.outboxInsert.run(next.id, next.destination, now, now);
      this.setStatus(next.id, { status: 'queued', reason: null, settledAt: null, nextAttemptAt: now }, now);
      this.s.history.run(next.id, now, 'on_hold', 'queued', TR507_ACTOR, `retour op ${heenId} ontvangen`);
      this.appendAudit(now, TR507_ACTOR, 'message.release', next.id, { from: 'on_hold', to: 'queued', after: heenId });
    }
  }

  /** A beheer action (rules: `planAction`) in one write, audited when it changed something. */
  private act(id: string, req: ActionRequest): Promise<ActionResult> {
    return this.write((now): ActionResult => {
      const m = this.s.actionState.get(id);
      if (!m) return { ok: false, reason: 'not-found' };
      const decision = planAction(req, m, this.s.outboxByMessage.get(id), now);
      if (!decision.ok) return decision.result;
      const { plan } = decision;
      if (plan.dropOutboxId !== null) this.s.outboxDelete.run(plan.dropOutboxId);
      if (plan.enqueue !== null) {
        this.s.outboxInsert.run(id, plan.enqueue, now, now);
        this.s.setDestination.run(plan.enqueue, id);
      }
      this.setStatus(id, plan.update, now);
      this.s.history.run(id, now, plan.history.from, plan.history.to, req.actor, plan.history.reason);
      this.appendAudit(now, req.actor, plan.audit.action, id, plan.audit.details);
      return { ok: true, status: plan.update.status };
    });
  }

  private purge(kind: PurgeKind, ages: RetentionAges): Promise<PurgeResult> {
    return this.write((now): PurgeResult => {
      const result: PurgeResult = { total: 0, perStandard: {} };
      for (const step of purgePlan(ages, now)) {
        tally(result, kind === 'bodies' ? sql.purgeBodies(this.db, step, now) : sql.purgeMetadata(this.db, step));
      }
      if (result.total > 0) this.appendAudit(now, RETENTION_ACTOR, PURGE_ACTION[kind], null, { ...result });
      return result;
    });
  }
}

/** Bodies hold personal data: the database and its -wal/-shm files are for the gateway's user only (0600). */
function ownerOnly(file: string): void {
  chmodSync(file, 0o600);
}
