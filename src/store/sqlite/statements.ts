/**
 * Every SQL statement of the SQLite store, one entry each: the fixed ones prepared once (`prepareStatements`),
 * the ones whose WHERE clause depends on a filter built by a function. Placeholders: `?` or `@name`.
 */
import type Database from 'better-sqlite3';
import type { Standard } from '../../catalogue/types.ts';
import {
  gemeenteCountsSql,
  isDelivering,
  isDeliveringAmong,
  isQueuedAmong,
  readStatus,
  statusCountsSql,
} from '../delivering.ts';
import type {
  ActionStateRow,
  AttemptRow,
  AuditRow,
  HeldTkbRow,
  HistoryDeliveryRow,
  HistoryRefRow,
  HistoryRow,
  MessageRow,
  OutboxMessageRow,
  OutboxRow,
  UnansweredRow,
} from '../rows.ts';
import { type Condition, type PurgeStep, storedStatusFilter } from '../rules.ts';
import type { MessageScope, MessageStatus } from '../types.ts';
import { andScope, scopeClause } from './scope.ts';

/** A message being delivered shows no reason and no next attempt, as when delivering was written (and cleared them). */
export const META_COLUMNS = `id, received_at, standard, release, message_name, direction, afzender, ontvanger,
  bericht_identificatie, dagtekening, berichtcode, referentienummer, cross_ref, gemeente, flow, dedup_scope,
  dedup_sender, dedup_id, content_hash, body_size,
  EXISTS (SELECT 1 FROM message_bodies b WHERE b.message_id = messages.id) AS has_body, body_purged_at, source_kind,
  source_id, ${readStatus('messages')} AS status,
  CASE WHEN ${isDelivering('messages')} THEN NULL ELSE status_reason END AS status_reason, destination,
  correlated_to, answered_by, answer_summary, attempts,
  CASE WHEN ${isDelivering('messages')} THEN NULL ELSE next_attempt_at END AS next_attempt_at, settled_at,
  created_at, updated_at`;

/** The columns of a message an adapter needs (`OutboxMessageRow`), from `messages m` and `message_bodies b`. */
const OUTBOX_MESSAGE_COLUMNS = `m.id, m.standard, m.release, m.message_name, m.direction, m.afzender, m.ontvanger,
  m.bericht_identificatie, m.referentienummer, m.cross_ref, m.correlated_to, b.body, m.body_key`;

export const GET_META = `SELECT ${META_COLUMNS}, findings FROM messages WHERE id = ?`;
// The body (null when purged) with its key; no row when there is no such message. Scoped reads append to `id = ?`.
export const GET_BODY = `SELECT b.body, body_key FROM messages LEFT JOIN message_bodies b ON b.message_id = messages.id
  WHERE id = ?`;

/** A read of one message by id (`text` ends in its WHERE clause) limited to a reader's scope. */
export function scopedRead<R = MessageRow>(
  db: Database.Database,
  text: string,
  id: string,
  scope: MessageScope,
): R | undefined {
  const scoped = andScope(scope);
  return db.prepare<unknown[], R>(text + scoped.sql).get(id, ...scoped.params);
}

/** Heenberichten without an answer; `scope`: an `AND …` clause (./scope.ts) whose parameters follow the first. */
export function unanswered(db: Database.Database, scope: string) {
  return db.prepare<unknown[], UnansweredRow>(
    `SELECT id, standard, message_name, afzender, ontvanger, ${readStatus('messages')} AS status, received_at,
       settled_at FROM messages
     WHERE status IN ('queued', 'delivering', 'delivered') AND received_at < ? AND direction = 'heen'
       AND answered_by IS NULL AND standard IN ('iwmo', 'ijw', 'ieb', 'ipgb')${scope}
     ORDER BY received_at, id LIMIT ?`,
  );
}

/** TR507: held TKBs per key; `scope` as for `unanswered` (alias m.). */
export function heldTkbs(db: Database.Database, scope: string) {
  return db.prepare<unknown[], HeldTkbRow>(
    `SELECT h.afzender, h.budget, h.bsn_hash, m.id, m.bericht_identificatie, m.received_at, m.status_reason
     FROM history_budgets h JOIN messages m ON m.id = h.message_id
     WHERE m.status = 'on_hold' AND m.status_reason LIKE ? || '%'${scope}
     ORDER BY h.afzender, h.budget, h.bsn_hash, m.received_at, h.id LIMIT ?`,
  );
}

/** The fixed statements, prepared on the store's connection. */
export function prepareStatements(db: Database.Database) {
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
         dedup_id, content_hash, body_size, source_kind, source_id, status, status_reason, destination,
         correlated_to, findings, next_attempt_at, settled_at, created_at, updated_at, case_ref, gemeente, flow, body_key)
       VALUES (@id, @receivedAt, @standard, @release, @messageName, @direction, @afzender, @ontvanger,
         @berichtIdentificatie, @dagtekening, @berichtcode, @referentienummer, @crossRef, @dedupScope, @dedupSender,
         @dedupId, @contentHash, @bodySize, @sourceKind, @sourceId, @status, @statusReason, @destination,
         @correlatedTo, @findings, @nextAttemptAt, @settledAt, @now, @now, @caseRef, @gemeente, @flow, @bodyKey)`,
    ),
    getMeta: db.prepare<[string], MessageRow>(GET_META),
    bsnIndexInsert: db.prepare<[string, string]>(
      'INSERT OR IGNORE INTO bsn_index (bsn_hash, message_id) VALUES (?, ?)',
    ),
    insertBody: db.prepare<[string, Buffer]>('INSERT INTO message_bodies (message_id, body) VALUES (?, ?)'),
    getBody: db.prepare<[string], { body: Buffer | null; body_key: string | null }>(GET_BODY),
    exists: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM messages WHERE id = ?'),
    setStatus: db.prepare<
      [
        {
          id: string;
          status: MessageStatus;
          reason: string | null;
          settledAt: number | null;
          nextAttemptAt: number | null;
          now: number;
        },
      ]
    >(
      `UPDATE messages SET status = @status, status_reason = @reason, settled_at = @settledAt,
         next_attempt_at = @nextAttemptAt, updated_at = @now WHERE id = @id`,
    ),
    history: db.prepare<[string, number, MessageStatus | null, MessageStatus, string, string | null]>(
      'INSERT INTO status_history (message_id, at, from_status, to_status, actor, reason) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    listHistory: db.prepare<[string], HistoryRow>(
      'SELECT at, from_status, to_status, actor, reason FROM status_history WHERE message_id = ? ORDER BY id',
    ),
    audit: db.prepare<[number, string, string, string | null, string]>(
      'INSERT INTO audit_log (at, actor, action, target_id, details) VALUES (?, ?, ?, ?, ?)',
    ),
    outboxInsert: db.prepare<[string, string, number, number]>(
      'INSERT INTO outbox (message_id, destination, due_at, created_at) VALUES (?, ?, ?, ?)',
    ),
    outboxByMessage: db.prepare<[string], OutboxRow>('SELECT * FROM outbox WHERE message_id = ?'),
    outboxByLease: db.prepare<[number, string], OutboxRow>('SELECT * FROM outbox WHERE id = ? AND lease_token = ?'),
    outboxDelete: db.prepare<[number]>('DELETE FROM outbox WHERE id = ?'),
    outboxUnlease: db.prepare<[number, number, string]>(
      `UPDATE outbox SET phase = 'due', lease_owner = NULL, lease_token = NULL, lease_until = NULL, due_at = ?
       WHERE id = ? AND lease_token = ?`,
    ),
    outboxReschedule: db.prepare<[number, number]>(
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
    // `LIMIT (SELECT @limit)`: see outboxLeaseBatch.
    publishCandidates: db.prepare<[{ horizon: number; now: number; stale: number; limit: number }], OutboxRow>(
      `SELECT * FROM outbox
       WHERE (lease_until IS NULL OR lease_until <= @now)
         AND ((phase IN ('due', 'publishing', 'claimed') AND due_at <= @horizon)
           OR (phase = 'published' AND due_at <= @stale))
       ORDER BY due_at, id LIMIT (SELECT @limit)`,
    ),
    publishLease: db.prepare<[string, string, number, number]>(
      `UPDATE outbox SET phase = 'publishing', lease_owner = ?, lease_token = ?, lease_until = ? WHERE id = ?`,
    ),
    markPublished: db.prepare<[number, string]>(
      `UPDATE outbox SET phase = 'published', lease_owner = NULL, lease_until = NULL
       WHERE id = ? AND lease_token = ? AND phase = 'publishing'`,
    ),
    abandonPublish: db.prepare<[number, string]>(
      `UPDATE outbox SET phase = 'due', lease_owner = NULL, lease_token = NULL, lease_until = NULL
       WHERE id = ? AND lease_token = ? AND phase = 'publishing'`,
    ),
    claim: db.prepare<[string, number, number, string, number]>(
      `UPDATE outbox SET phase = 'claimed', lease_owner = ?, lease_until = ?
       WHERE id = ? AND lease_token = ?
         AND (phase IN ('publishing', 'published') OR (phase = 'claimed' AND lease_until <= ?))`,
    ),
    // leaseDue, set-based: one statement reserves a batch of due rows under one token (the lease alone makes their
    // messages read as delivering), the next reads what the adapters need. `@ids` is a JSON array of ids.
    // `LIMIT (SELECT @limit)`, not `LIMIT @limit`: SQLite plans with a bound LIMIT's value and then prepares the
    // statement again whenever it is bound anew, on every lease (0.7 % of the gateway's CPU; issue #17).
    outboxLeaseBatch: db.prepare<
      [{ owner: string; token: string; until: number; now: number; limit: number }],
      Pick<OutboxRow, 'id' | 'message_id' | 'destination' | 'due_at' | 'attempts'>
    >(
      `UPDATE outbox SET lease_owner = @owner, lease_token = @token, lease_until = @until
       WHERE id IN (SELECT id FROM outbox WHERE phase = 'due' AND due_at <= @now
                      AND (lease_until IS NULL OR lease_until <= @now) ORDER BY due_at, id LIMIT (SELECT @limit))
       RETURNING id, message_id, destination, due_at, attempts`,
    ),
    outboxMessagesBatch: db.prepare<[string], OutboxMessageRow>(
      `SELECT ${OUTBOX_MESSAGE_COLUMNS}
       FROM messages m LEFT JOIN message_bodies b ON b.message_id = m.id
       WHERE m.id IN (SELECT value FROM json_each(?))`,
    ),
    // completeDelivery: the message's attempts and status, and its outbox row when the lease is still this one.
    completionState: db.prepare<
      [{ id: string; outboxId: number; token: string }],
      { attempts: number; status: MessageStatus; outbox_id: number | null }
    >(
      `SELECT m.attempts, m.status, o.id AS outbox_id FROM messages m
       LEFT JOIN outbox o ON o.id = @outboxId AND o.lease_token = @token
       WHERE m.id = @id`,
    ),
    setStatusAttempts: db.prepare<
      [
        {
          id: string;
          status: MessageStatus;
          reason: string | null;
          settledAt: number | null;
          nextAttemptAt: number | null;
          attempts: number;
          now: number;
        },
      ]
    >(
      `UPDATE messages SET status = @status, status_reason = @reason, settled_at = @settledAt,
         next_attempt_at = @nextAttemptAt, attempts = @attempts, updated_at = @now WHERE id = @id`,
    ),
    outboxMessage: db.prepare<[string], OutboxMessageRow>(
      `SELECT ${OUTBOX_MESSAGE_COLUMNS} FROM messages m LEFT JOIN message_bodies b ON b.message_id = m.id
       WHERE m.id = ?`,
    ),
    // completeDelivery whose lease was lost: the attempt is recorded with the message's status as read.
    readStatusOf: db.prepare<[string], { status: MessageStatus }>(
      `SELECT ${readStatus('messages')} AS status FROM messages WHERE id = ?`,
    ),
    // A beheer action: the message's status as read and as stored.
    actionState: db.prepare<[string], ActionStateRow>(
      `SELECT ${readStatus('messages')} AS status, status AS stored_status, destination,
         EXISTS (SELECT 1 FROM message_bodies b WHERE b.message_id = messages.id) AS has_body
       FROM messages WHERE id = ?`,
    ),
    bumpAttempts: db.prepare<[number, number, string]>('UPDATE messages SET attempts = ?, updated_at = ? WHERE id = ?'),
    insertAttempt: db.prepare(
      `INSERT INTO delivery_attempts (message_id, attempt_no, destination, started_at, finished_at, duration_ms,
         outcome, result_status, http_status, reason, answer_excerpt, next_attempt_at, answer_key)
       VALUES (@messageId, @attemptNo, @destination, @startedAt, @finishedAt, @durationMs, @outcome, @resultStatus,
         @httpStatus, @reason, @answerExcerpt, @nextAttemptAt, @answerKey)`,
    ),
    listAttempts: db.prepare<[string], AttemptRow>(
      'SELECT * FROM delivery_attempts WHERE message_id = ? ORDER BY attempt_no, id',
    ),
    setDestination: db.prepare<[string, string]>('UPDATE messages SET destination = ? WHERE id = ?'),
    linkRetour: db.prepare<[string, number, string]>(
      'UPDATE messages SET correlated_to = ?, updated_at = ? WHERE id = ?',
    ),
    answerHeen: db.prepare<[string, string | null, number, string]>(
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
    historyPeriodInsert: db.prepare<[string, string, string, string, string, string]>(
      `INSERT INTO history_periods (message_id, message_name, afzender, bsn_hash, nummer, status)
       VALUES (?, ?, ?, ?, ?, ?)`,
    ),
    historyBudgetInsert: db.prepare<[string, string, string, string]>(
      'INSERT INTO history_budgets (message_id, afzender, bsn_hash, budget) VALUES (?, ?, ?, ?)',
    ),
    historyDeliveries: db.prepare<[string, string, string, string], HistoryDeliveryRow>(
      `SELECT m.id, m.bericht_identificatie AS identificatie, m.dagtekening, h.status
       FROM history_periods h JOIN messages m ON m.id = h.message_id
       WHERE h.message_name = ? AND h.afzender = ? AND h.bsn_hash = ? AND h.nummer = ?
         AND m.status NOT IN ('rejected', 'cancelled')
       ORDER BY h.id`,
    ),
    historyBudgetOther: db.prepare<[string, string, string], { one: number }>(
      `SELECT 1 AS one FROM history_budgets h JOIN messages m ON m.id = h.message_id
       WHERE h.afzender = ? AND h.budget = ? AND h.bsn_hash <> ? AND m.status NOT IN ('rejected', 'cancelled')
       LIMIT 1`,
    ),
    historyBudgetPending: db.prepare<[string, string, string], HistoryRefRow>(
      `SELECT m.id, m.bericht_identificatie AS identificatie, m.dagtekening
       FROM history_budgets h JOIN messages m ON m.id = h.message_id
       WHERE h.afzender = ? AND h.budget = ? AND h.bsn_hash = ? AND m.answered_by IS NULL
         AND m.status NOT IN ('rejected', 'cancelled', 'on_hold')
       ORDER BY m.received_at, h.id LIMIT 1`,
    ),
    unanswered: unanswered(db, ''),
    budgetKeysOf: db.prepare<[string], { afzender: string; bsn_hash: string; budget: string }>(
      'SELECT afzender, bsn_hash, budget FROM history_budgets WHERE message_id = ? ORDER BY id',
    ),
    heldNext: db.prepare<[string, string, string, string], { id: string; destination: string | null }>(
      `SELECT m.id, m.destination FROM history_budgets h JOIN messages m ON m.id = h.message_id
       WHERE h.afzender = ? AND h.bsn_hash = ? AND h.budget = ? AND m.status = 'on_hold' AND m.status_reason LIKE ? || '%'
       ORDER BY m.received_at, h.id LIMIT 1`,
    ),
    heldTkbs: heldTkbs(db, ''),
    secretGet: db.prepare<[string], { value: Buffer }>('SELECT value FROM store_secrets WHERE name = ?'),
    secretInsert: db.prepare<[string, Buffer]>('INSERT OR IGNORE INTO store_secrets (name, value) VALUES (?, ?)'),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;

/** A WHERE clause of `?` placeholders. */
export function whereOf(conditions: readonly Condition[]): { where: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  for (const c of conditions) {
    if (c.op === 'scope') {
      const scoped = scopeClause(c.scope);
      clauses.push(scoped.clause);
      params.push(...scoped.params);
    } else if (c.op === 'in') {
      clauses.push(inList(c.column, c.values, params));
    } else if (c.op === 'status') {
      clauses.push(statusClause(c.values, params));
    } else if (c.op === 'bsn') {
      clauses.push('id IN (SELECT message_id FROM bsn_index WHERE bsn_hash = ?)');
      params.push(c.value);
    } else {
      clauses.push(`${c.column} ${c.op} ?`);
      params.push(c.value);
    }
  }
  return { where: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
}

/** `column IN (?, …)` with `values` appended to `params`; none: a clause that matches nothing. */
function inList(column: string, values: readonly string[], params: unknown[]): string {
  params.push(...values);
  return values.length ? `${column} IN (${values.map(() => '?').join(', ')})` : '0 = 1';
}

/** A filter on the status as read (`storedStatusFilter`): the stored column, or a pending status by its lease. */
function statusClause(values: readonly MessageStatus[], params: unknown[]): string {
  const { stored, lease } = storedStatusFilter(values);
  const parts = stored.length ? [inList('messages.status', stored, params)] : [];
  if (lease === 'leased') parts.push(isDeliveringAmong('messages'));
  if (lease === 'unleased') parts.push(isQueuedAmong('messages'));
  return parts.length ? `(${parts.join(' OR ')})` : '0 = 1';
}

export function listMessages(db: Database.Database, where: string) {
  return db.prepare<unknown[], MessageRow>(
    `SELECT ${META_COLUMNS}, json_array_length(findings) AS finding_count FROM messages ${where}
     ORDER BY received_at DESC, id DESC LIMIT ? OFFSET ?`,
  );
}

export function countMessages(db: Database.Database, where: string) {
  return db.prepare<unknown[], { n: number }>(`SELECT COUNT(*) AS n FROM messages ${where}`);
}

/** Messages per status as read (`statusCountsSql`); `where` appears twice: bind its parameters twice. */
export function statusCounts(db: Database.Database, where: string) {
  return db.prepare<unknown[], { status: MessageStatus; n: number }>(statusCountsSql(where));
}

/** Messages per gemeente, flow and status as read (`gemeenteCountsSql`); parameters twice, as `statusCounts`. */
export function gemeenteCounts(db: Database.Database, where: string) {
  return db.prepare<unknown[], { gemeente: string | null; flow: string | null; status: MessageStatus; n: number }>(
    gemeenteCountsSql(where),
  );
}

export function listAudit(db: Database.Database, where: string) {
  return db.prepare<unknown[], AuditRow>(`SELECT * FROM audit_log ${where} ORDER BY id DESC LIMIT ? OFFSET ?`);
}

/** The standards a purge step covers, as a clause of named parameters. */
function purgeStandards(step: PurgeStep): { clause: string; params: Record<string, string> } {
  const params = Object.fromEntries(step.standards.map((s, i) => [`s${i}`, s]));
  const list = step.standards.map((_, i) => `@s${i}`).join(', ');
  if (!step.except) return { clause: `standard IN (${list})`, params };
  return { clause: step.standards.length ? `standard NOT IN (${list})` : '1 = 1', params };
}

/** Drops the bodies one purge step covers; returns their standards. */
export function purgeBodies(db: Database.Database, step: PurgeStep, now: number): { standard: Standard }[] {
  const { clause, params } = purgeStandards(step);
  const purged = db
    .prepare<[object], { id: string; standard: Standard }>(
      `UPDATE messages SET body_purged_at = @now, updated_at = @now
       WHERE EXISTS (SELECT 1 FROM message_bodies b WHERE b.message_id = messages.id)
         AND settled_at IS NOT NULL AND settled_at <= @cutoff AND ${clause}
         AND (status NOT IN ('failed', 'dead') OR settled_at <= @undeliveredCutoff)
       RETURNING id, standard`,
    )
    .all({ now, cutoff: step.cutoff, undeliveredCutoff: step.undeliveredCutoff, ...params });
  if (purged.length > 0) {
    db.prepare<[string]>('DELETE FROM message_bodies WHERE message_id IN (SELECT value FROM json_each(?))').run(
      JSON.stringify(purged.map((p) => p.id)),
    );
  }
  return purged.map((p) => ({ standard: p.standard }));
}

/** Deletes the settled messages one purge step covers (history and attempts cascade); returns their standards. */
export function purgeMetadata(db: Database.Database, step: PurgeStep): { standard: Standard }[] {
  const { clause, params } = purgeStandards(step);
  return db
    .prepare<[object], { standard: Standard }>(
      `DELETE FROM messages WHERE settled_at IS NOT NULL AND settled_at <= @cutoff AND ${clause}
       RETURNING standard`,
    )
    .all({ cutoff: step.cutoff, ...params });
}
