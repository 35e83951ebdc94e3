/**
 * Every SQL statement of the PostgreSQL store, one constant (or, where a filter shapes it, one function) each.
 * Several are one statement for what SQLite does in a few, so that a change is one round trip and one commit;
 * row locks are always taken outbox row before message row.
 */

import { isDelivering, isDeliveringAmong, isQueuedAmong, readStatus } from '../delivering.ts';
import { type Condition, type PurgeStep, storedStatusFilter } from '../rules.ts';
import type { MessageStatus } from '../types.ts';
import { scopeClause } from './scope.ts';

/** A message being delivered shows no reason and no next attempt, as when delivering was written (and cleared them). */
export const META_COLUMNS = `id, received_at, standard, release, message_name, direction, afzender, ontvanger,
  bericht_identificatie, dagtekening, berichtcode, referentienummer, cross_ref, gemeente, flow, dedup_scope,
  dedup_sender, dedup_id, content_hash, body_size, body IS NOT NULL AS has_body, body_purged_at, source_kind, source_id,
  ${readStatus('messages')} AS status,
  CASE WHEN ${isDelivering('messages')} THEN NULL ELSE status_reason END AS status_reason, destination, correlated_to,
  answered_by, answer_summary, finding_count, attempts,
  CASE WHEN ${isDelivering('messages')} THEN NULL ELSE next_attempt_at END AS next_attempt_at,
  settled_at, created_at, updated_at`;

export const OUTBOX_MESSAGE_COLUMNS = `m.id, m.standard, m.release, m.message_name, m.direction, m.afzender, m.ontvanger,
  m.bericht_identificatie, m.referentienummer, m.cross_ref, m.correlated_to, m.body, m.body_key`;

/**
 * One statement, so one atomic write: the message, its first history row, its outbox row when queued, and the
 * heenbericht's answer when the retour's heen is known. A unique conflict inserts nothing at all.
 * Returns the id only (no row when nothing was inserted): the caller builds the row from the values it wrote.
 * Parameters: see `insertParams` in writes.ts ($1 … $33), `historyParams` ($34 … $41), gemeente and flow ($42, $43), `sealParams` (the body's key id $44, the BSN index entries $45).
 */
export const INSERT_MESSAGE = `WITH ins AS (
   INSERT INTO messages (id, received_at, standard, release, message_name, direction, afzender, ontvanger,
     bericht_identificatie, dagtekening, berichtcode, referentienummer, cross_ref, dedup_scope, dedup_sender,
     dedup_id, content_hash, body, body_size, source_kind, source_id, status, status_reason, destination,
     correlated_to, findings, finding_count, next_attempt_at, settled_at, created_at, updated_at, case_ref, gemeente,
     flow, body_key)
   VALUES ($1, $2::bigint, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
     $21, $22::text, $23::text, $24::text, $25::text, $26, $27, $28::bigint, $29::bigint, $2::bigint, $2::bigint, $32,
     $42::text, $43::text, $44::text)
   ON CONFLICT DO NOTHING
   RETURNING id
 ), history AS (
   INSERT INTO status_history (message_id, at, from_status, to_status, actor, reason)
   SELECT id, $2::bigint, NULL, $22::text, $30, $23::text FROM ins
 ), outbox_row AS (
   INSERT INTO outbox (message_id, destination, due_at, created_at)
   SELECT id, $24::text, $2::bigint, $2::bigint FROM ins WHERE $22::text = 'queued'
 ), answer AS (
   UPDATE messages SET answered_by = ins.id, answer_summary = $31, updated_at = $2::bigint
   FROM ins WHERE messages.id = $25::text AND messages.answered_by IS NULL AND $33::boolean
 ), history_period_rows AS (
   INSERT INTO history_periods (message_id, message_name, afzender, bsn_hash, nummer, status)
   SELECT ins.id, p.n, p.a, p.h, p.k, p.s
   FROM ins, unnest($34::text[], $35::text[], $36::text[], $37::text[], $38::text[]) WITH ORDINALITY AS p(n, a, h, k, s, o)
   ORDER BY p.o
 ), history_budget_rows AS (
   INSERT INTO history_budgets (message_id, afzender, bsn_hash, budget)
   SELECT ins.id, b.a, b.h, b.g FROM ins, unnest($39::text[], $40::text[], $41::text[]) WITH ORDINALITY AS b(a, h, g, o)
   ORDER BY b.o
 ), bsn_rows AS (
   INSERT INTO bsn_index (bsn_hash, message_id) SELECT DISTINCT h, ins.id FROM ins, unnest($45::text[]) AS h
 )
 SELECT id FROM ins`;

/**
 * The message an insert conflicted with (ON CONFLICT waited for a concurrent insert of it to commit, so it is
 * visible now), and the audit row of the repeat, in one statement.
 * $1 scope, $2 sender, $3 id, $4 message name, $5 now, $6 actor, $7 content hash, $8 details.
 */
export const FIND_DUPLICATE = `WITH existing AS (
   SELECT id, content_hash FROM messages
   WHERE dedup_scope = $1 AND dedup_sender = $2 AND dedup_id = $3 AND status <> 'rejected'
     AND ($1 = 'stuf' OR message_name = $4)
   LIMIT 1
 ), audit AS (
   INSERT INTO audit_log (at, actor, action, target_id, details)
   SELECT $5, $6, CASE WHEN content_hash = $7 THEN 'message.duplicate-same' ELSE 'message.duplicate-different' END,
     id, $8 FROM existing
 )
 SELECT id, content_hash FROM existing`;

/** $1 message name, $2 afzender, $3 bsn hash, $4 nummer. */
export const HISTORY_DELIVERIES = `SELECT m.id, m.bericht_identificatie AS identificatie, m.dagtekening, h.status
 FROM history_periods h JOIN messages m ON m.id = h.message_id
 WHERE h.message_name = $1 AND h.afzender = $2 AND h.bsn_hash = $3 AND h.nummer = $4
   AND m.status NOT IN ('rejected', 'cancelled')
 ORDER BY h.id`;

/** $1 afzender, $2 budget, $3 bsn hash: whether another client of this Afzender used the budget. */
export const HISTORY_BUDGET_OTHER = `SELECT 1 AS one FROM history_budgets h JOIN messages m ON m.id = h.message_id
 WHERE h.afzender = $1 AND h.budget = $2 AND h.bsn_hash <> $3 AND m.status NOT IN ('rejected', 'cancelled')
 LIMIT 1`;

/** $1 afzender, $2 budget, $3 bsn hash: the oldest TKB on the key still waiting for its retour. */
export const HISTORY_BUDGET_PENDING = `SELECT m.id, m.bericht_identificatie AS identificatie, m.dagtekening
 FROM history_budgets h JOIN messages m ON m.id = h.message_id
 WHERE h.afzender = $1 AND h.budget = $2 AND h.bsn_hash = $3 AND m.answered_by IS NULL
   AND m.status NOT IN ('rejected', 'cancelled', 'on_hold')
 ORDER BY m.received_at, h.id LIMIT 1`;

/** $1 received before, $2 limit; `scope`: an `AND …` clause of a reader's scope (./scope.ts) or nothing. */
export const unanswered = (
  scope = '',
) => `SELECT id, standard, message_name, afzender, ontvanger, ${readStatus('messages')} AS status, received_at,
   settled_at FROM messages
 WHERE status IN ('queued', 'delivering', 'delivered') AND received_at < $1 AND direction = 'heen'
   AND answered_by IS NULL AND standard IN ('iwmo', 'ijw', 'ieb', 'ipgb')${scope}
 ORDER BY received_at, id LIMIT $2`;

/** TR507: the budget keys of a TKB. */
export const BUDGET_KEYS_OF =
  'SELECT afzender, bsn_hash, budget FROM history_budgets WHERE message_id = $1 ORDER BY id';

/** TR507: one budget key's lock for this transaction ($1: the key as text); taken in sorted order. */
export const LOCK_BUDGET = 'SELECT pg_advisory_xact_lock(hashtext($1))';

/** TR507: the oldest TKB held on a key ($1 afzender, $2 bsn hash, $3 budget, $4 the hold reason's prefix), locked. */
export const HELD_NEXT = `SELECT m.id, m.destination FROM history_budgets h JOIN messages m ON m.id = h.message_id
 WHERE h.afzender = $1 AND h.bsn_hash = $2 AND h.budget = $3 AND m.status = 'on_hold' AND m.status_reason LIKE $4 || '%'
 ORDER BY m.received_at, h.id LIMIT 1 FOR UPDATE OF m`;

export const ANSWERED_BY = 'SELECT answered_by FROM messages WHERE id = $1';

/** TR507: held TKBs per key; $1 the hold reason's prefix, $2 limit; `scope` as for `unanswered` (alias m.). */
export const heldTkbs = (
  scope = '',
) => `SELECT h.afzender, h.budget, h.bsn_hash, m.id, m.bericht_identificatie, m.received_at, m.status_reason
       FROM history_budgets h JOIN messages m ON m.id = h.message_id
       WHERE m.status = 'on_hold' AND m.status_reason LIKE $1 || '%'${scope}
       ORDER BY h.afzender, h.budget, h.bsn_hash, m.received_at, h.id LIMIT $2`;

export const SECRET_INSERT = 'INSERT INTO store_secrets (name, value) VALUES ($1, $2) ON CONFLICT DO NOTHING';
export const SECRET_GET = 'SELECT value FROM store_secrets WHERE name = $1';

export const GET_MESSAGE = `SELECT ${META_COLUMNS}, findings FROM messages WHERE id = $1`;
export const GET_BODY = 'SELECT body, body_key FROM messages WHERE id = $1';
export const LIST_HISTORY =
  'SELECT at, from_status, to_status, actor, reason FROM status_history WHERE message_id = $1 ORDER BY id';
export const LIST_ATTEMPTS = 'SELECT * FROM delivery_attempts WHERE message_id = $1 ORDER BY attempt_no, id';

export const CORRELATION_ISTD = `SELECT ${META_COLUMNS}, findings FROM messages
 WHERE message_name = $1 AND afzender = $2 AND bericht_identificatie = $3 AND dagtekening = $4
   AND status <> 'rejected' ORDER BY received_at, id LIMIT 1`;
export const CORRELATION_STUF = `SELECT ${META_COLUMNS}, findings FROM messages
 WHERE afzender = $1 AND referentienummer = $2 AND status <> 'rejected' ORDER BY received_at, id LIMIT 1`;
export const CORRELATION_CASE = `SELECT ${META_COLUMNS}, findings FROM messages
 WHERE afzender = $1 AND message_name = $2 AND case_ref = $3 AND status <> 'rejected'
 ORDER BY received_at DESC, id DESC LIMIT 1`;

export const LOCK_MESSAGE = 'SELECT 1 FROM messages WHERE id = $1 FOR UPDATE';
/** A beheer action's message (`ActionStateRow`): its status as read and as stored, locked. */
export const LOCK_ACTION_STATE = `SELECT ${readStatus('messages')} AS status, status AS stored_status,
   body IS NOT NULL AS has_body, destination
 FROM messages WHERE id = $1 FOR UPDATE`;
export const LOCK_OUTBOX_OF_MESSAGE = 'SELECT * FROM outbox WHERE message_id = $1 FOR UPDATE';
export const LINK_RETOUR = 'UPDATE messages SET correlated_to = $1, updated_at = $2 WHERE id = $3';
export const ANSWER_HEEN =
  'UPDATE messages SET answered_by = $1, answer_summary = $2, updated_at = $3 WHERE id = $4 AND answered_by IS NULL';
export const SET_STATUS = `UPDATE messages SET status = $1, status_reason = $2, settled_at = $3, next_attempt_at = $4,
 updated_at = $5 WHERE id = $6`;
export const SET_DESTINATION = 'UPDATE messages SET destination = $1 WHERE id = $2';
export const INSERT_HISTORY =
  'INSERT INTO status_history (message_id, at, from_status, to_status, actor, reason) VALUES ($1, $2, $3, $4, $5, $6)';
export const INSERT_AUDIT = 'INSERT INTO audit_log (at, actor, action, target_id, details) VALUES ($1, $2, $3, $4, $5)';
export const INSERT_OUTBOX = 'INSERT INTO outbox (message_id, destination, due_at, created_at) VALUES ($1, $2, $3, $3)';
export const DELETE_OUTBOX = 'DELETE FROM outbox WHERE id = $1';

/** $1 now, $2 limit, $3 owner, $4 lease until. */
export const LEASE_DUE = `WITH due AS (
   SELECT id FROM outbox
   WHERE phase = 'due' AND due_at <= $1 AND (lease_until IS NULL OR lease_until <= $1)
   ORDER BY due_at, id LIMIT $2 FOR UPDATE SKIP LOCKED
 )
 UPDATE outbox o SET lease_owner = $3, lease_token = gen_random_uuid()::text, lease_until = $4
 FROM due WHERE o.id = due.id
 RETURNING o.*`;

/** The messages of reserved rows, for the adapters (their lease makes them read as delivering). $1 ids. */
export const LEASED_MESSAGES = `SELECT ${OUTBOX_MESSAGE_COLUMNS} FROM messages m WHERE m.id = ANY($1::text[])`;

/** $1 now, $2 outbox id, $3 token. */
export const RELEASE_LEASE = `UPDATE outbox SET phase = 'due', lease_owner = NULL, lease_token = NULL, lease_until = NULL,
 due_at = $1 WHERE id = $2 AND lease_token = $3 RETURNING id`;

/** The first unleased row (ix_outbox_due) and the leased ones (ix_outbox_leased): no scan of the backlog. */
export const NEXT_DUE = `SELECT MIN(t) AS t FROM (
   (SELECT due_at AS t FROM outbox WHERE phase = 'due' AND lease_until IS NULL ORDER BY due_at, id LIMIT 1)
   UNION ALL
   SELECT GREATEST(due_at, lease_until) FROM outbox WHERE phase = 'due' AND lease_until IS NOT NULL
 ) due`;

/**
 * The relay's lease: up to $4 rows in due order, not leased (or their lease ran out), that are due by $2 (not yet
 * published) or were published but still wait at $3 (stale). $1 now, $2 horizon, $3 stale, $4 limit, $5 owner,
 * $6 lease until. The rows come from three index ranges, each locked and at most $4 long, so that a backlog of
 * rows waiting in the broker (published, due long ago) is not read past on every round: fresh rows from
 * `ix_outbox_unleased` (migration 9), expired leases from `ix_outbox_leased`, stale publications from
 * `ix_outbox_due` up to $3. Each range skips the rows another relay holds and goes on to the next, so relays
 * leasing at the same time each get rows while there are any; the first $4 of the three in due order are leased.
 */
export const LEASE_FOR_PUBLISH = `WITH fresh AS (
   SELECT id, due_at FROM outbox WHERE lease_until IS NULL AND phase <> 'published' AND due_at <= $2
   ORDER BY due_at, id LIMIT $4 FOR UPDATE SKIP LOCKED
 ), expired AS (
   SELECT id, due_at FROM outbox WHERE lease_until IS NOT NULL AND lease_until <= $1
     AND ((phase <> 'published' AND due_at <= $2) OR (phase = 'published' AND due_at <= $3))
   ORDER BY due_at, id LIMIT $4 FOR UPDATE SKIP LOCKED
 ), stale AS (
   SELECT id, due_at FROM outbox WHERE lease_until IS NULL AND phase = 'published' AND due_at <= $3
   ORDER BY due_at, id LIMIT $4 FOR UPDATE SKIP LOCKED
 ), c AS (
   SELECT id FROM (SELECT * FROM fresh UNION ALL SELECT * FROM expired UNION ALL SELECT * FROM stale) k
   ORDER BY due_at, id LIMIT $4
 )
 UPDATE outbox o SET phase = 'publishing', lease_owner = $5, lease_token = gen_random_uuid()::text,
   lease_until = $6
 FROM c WHERE o.id = c.id
 RETURNING o.*`;

/**
 * The rows of `refs` ($1 outbox ids, $2 tokens) still in publishing under their token, locked in id order: the
 * order every batched statement locks outbox rows in, so two of them (a relay marking, a consumer claiming or
 * completing) never wait on each other in a circle.
 */
const LOCK_PUBLISHING = `SELECT o.id FROM outbox o JOIN unnest($1::bigint[], $2::text[]) AS r(id, token)
   ON o.id = r.id AND o.lease_token = r.token
   WHERE o.phase = 'publishing' ORDER BY o.id FOR UPDATE OF o`;

/** $1 outbox ids, $2 tokens. */
export const MARK_PUBLISHED = `WITH r AS (${LOCK_PUBLISHING})
 UPDATE outbox o SET phase = 'published', lease_owner = NULL, lease_until = NULL
 FROM r WHERE o.id = r.id
 RETURNING o.id`;

/** $1 outbox ids, $2 tokens. */
export const ABANDON_PUBLISH = `WITH r AS (${LOCK_PUBLISHING})
 UPDATE outbox o SET phase = 'due', lease_owner = NULL, lease_token = NULL, lease_until = NULL
 FROM r WHERE o.id = r.id
 RETURNING o.id`;

/**
 * One statement: lock the outbox row (still ours only while the token matches) and the message; delete or
 * reschedule the row; record the attempt always, and move the message on (with history) only while the lease
 * was ours. The history row moves from the status as stored (queued: delivering is not written, issue #17); an
 * attempt whose lease was lost is recorded with the status as read. Parameters: see `completeParams` in store.ts.
 */
export const COMPLETE_DELIVERY = `WITH lease AS (
   SELECT id FROM outbox WHERE id = $1 AND lease_token = $2 FOR UPDATE
 ), cur AS (
   SELECT id, attempts, status, EXISTS (SELECT 1 FROM lease) AS owned,
     CASE WHEN EXISTS (SELECT 1 FROM lease) THEN status ELSE ${readStatus('messages')} END AS read_status
   FROM messages WHERE id = $3 FOR UPDATE
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
   RETURNING m.id, cur.owned, cur.status AS from_status,
     CASE WHEN cur.owned THEN m.status ELSE cur.read_status END AS to_status, m.attempts AS attempt_no
 ), attempt AS (
   INSERT INTO delivery_attempts (message_id, attempt_no, destination, started_at, finished_at, duration_ms,
     outcome, result_status, http_status, reason, answer_excerpt, next_attempt_at, answer_key)
   SELECT id, attempt_no, $9, $10, $11, $12, $13, to_status, $14, $15, $16,
     CASE WHEN owned THEN $5::bigint END, $17::text
   FROM moved
 ), history AS (
   INSERT INTO status_history (message_id, at, from_status, to_status, actor, reason)
   SELECT id, $6, from_status, to_status, 'transport', $7::text FROM moved WHERE owned AND from_status <> to_status
 )
 SELECT owned, to_status AS status FROM moved`;

/** A WHERE clause of numbered placeholders ($1 …). */
export function whereOf(conditions: readonly Condition[]): { where: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  const next = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  for (const c of conditions) {
    if (c.op === 'scope') clauses.push(scopeClause(c.scope, next));
    else if (c.op === 'bsn') clauses.push(`id IN (SELECT message_id FROM bsn_index WHERE bsn_hash = ${next(c.value)})`);
    else if (c.op === 'in') clauses.push(anyOf(c.column, c.values, next));
    else if (c.op === 'status') clauses.push(statusClause(c.values, next));
    else clauses.push(`${c.column} ${c.op} ${next(c.value)}`);
  }
  return { where: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
}

/** `column = ANY(…)` with `values` as one parameter; none: a clause that matches nothing. */
function anyOf(column: string, values: readonly string[], next: (v: unknown) => string): string {
  return values.length ? `${column} = ANY(${next(values)}::text[])` : 'FALSE';
}

/** A filter on the status as read (`storedStatusFilter`): the stored column, or a pending status by its lease. */
function statusClause(values: readonly MessageStatus[], next: (v: unknown) => string): string {
  const { stored, lease } = storedStatusFilter(values);
  const parts = stored.length ? [anyOf('messages.status', stored, next)] : [];
  if (lease === 'leased') parts.push(isDeliveringAmong('messages'));
  if (lease === 'unleased') parts.push(isQueuedAmong('messages'));
  return parts.length ? `(${parts.join(' OR ')})` : 'FALSE';
}

/** Limit and offset are the two parameters after the filter's `n`. */
export const listMessages = (where: string, n: number) =>
  `SELECT ${META_COLUMNS} FROM messages ${where}
   ORDER BY received_at DESC, id DESC LIMIT $${n + 1} OFFSET $${n + 2}`;
export const countMessages = (where: string) => `SELECT COUNT(*)::int AS n FROM messages ${where}`;
export const listAudit = (where: string, n: number) =>
  `SELECT * FROM audit_log ${where} ORDER BY id DESC LIMIT $${n + 1} OFFSET $${n + 2}`;

/** The standards of a purge step: $2 is their list. */
const purgeStandards = (step: PurgeStep) =>
  step.except ? 'NOT (standard = ANY($2::text[]))' : 'standard = ANY($2::text[])';

/** $1 cutoff, $2 standards, $3 now, $4 the cutoff of failed and dead messages. */
export const purgeBodies = (step: PurgeStep) => `UPDATE messages SET body = NULL, body_purged_at = $3, updated_at = $3
 WHERE body IS NOT NULL AND settled_at IS NOT NULL AND settled_at <= $1 AND ${purgeStandards(step)}
   AND (status NOT IN ('failed', 'dead') OR settled_at <= $4)
 RETURNING standard`;

/** $1 cutoff, $2 standards. */
export const purgeMetadata = (step: PurgeStep) =>
  `DELETE FROM messages WHERE settled_at IS NOT NULL AND settled_at <= $1 AND ${purgeStandards(step)} RETURNING standard`;
