/**
 * The completion of many deliveries in one statement (group commit of the delivery path; see `batcher.ts`): per
 * delivery the same effects as `COMPLETE_DELIVERY` in statements.ts, the single statement a batch of one takes.
 * Every outbox row whose token is current is locked (outbox rows before messages, each in id order, as the
 * claims lock them), then the messages; the outbox row is deleted or rescheduled, the attempt recorded always,
 * and the message moved on (with its history row, from the status as stored) only where the lease was still ours;
 * an attempt whose lease was lost is recorded with the message's status as read.
 */

import { readStatus } from '../delivering.ts';
import type { AttemptPlan } from '../rules.ts';
import type { Lease, MessageStatus } from '../types.ts';
import { completeParams } from './writes.ts';

/** One delivery's completion: its lease, the planned attempt and update, the sealed answer excerpt. */
export interface CompleteItem {
  lease: Pick<Lease, 'outboxId' | 'token' | 'messageId'>;
  plan: AttemptPlan;
  now: number;
  answer: { excerpt: string | null; key: string | null };
}

/** What the statement answers per completion: null when its message is gone. */
export type CompleteRow = { owned: boolean; status: MessageStatus } | null;

/**
 * $1 … $17: one array per parameter of `COMPLETE_DELIVERY` (`completeParams`: outbox id, token, message id, new
 * status, next attempt at, now, status reason, settled at, destination, started at, finished at, duration,
 * outcome, HTTP status, attempt reason, answer excerpt, answer key), in its order. Returns one row per request whose message exists (`n`: its
 * position, from 1).
 */
export const COMPLETE_MANY = `WITH req AS (
   SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::text[],
     $8::bigint[], $9::text[], $10::bigint[], $11::bigint[], $12::integer[], $13::text[], $14::integer[], $15::text[],
     $16::text[], $17::text[])
     WITH ORDINALITY AS r(outbox_id, token, message_id, to_status, next_at, at, reason, settled_at, destination,
       started_at, finished_at, duration_ms, outcome, http_status, attempt_reason, excerpt, answer_key, n)
 ), lease AS (
   SELECT o.id FROM outbox o JOIN req ON o.id = req.outbox_id AND o.lease_token = req.token
   ORDER BY o.id FOR UPDATE OF o
 ), owned AS (
   SELECT req.*, l.id IS NOT NULL AS owned FROM req LEFT JOIN lease l ON l.id = req.outbox_id
 ), cur AS (
   SELECT m.id, m.attempts, m.status, CASE WHEN w.owned THEN m.status ELSE ${readStatus('m')} END AS read_status, w.*
   FROM messages m JOIN owned w ON w.message_id = m.id
   ORDER BY m.id FOR UPDATE OF m
 ), removed AS (
   DELETE FROM outbox o USING cur WHERE o.id = cur.outbox_id AND cur.owned AND cur.to_status <> 'queued'
   RETURNING o.id
 ), rescheduled AS (
   UPDATE outbox o SET phase = 'due', due_at = cur.next_at, attempts = o.attempts + 1, lease_owner = NULL,
     lease_token = NULL, lease_until = NULL
   FROM cur WHERE o.id = cur.outbox_id AND cur.owned AND cur.to_status = 'queued'
   RETURNING o.id
 ), moved AS (
   UPDATE messages m SET attempts = cur.attempts + 1, updated_at = cur.at,
     status = CASE WHEN cur.owned THEN cur.to_status ELSE m.status END,
     status_reason = CASE WHEN cur.owned THEN cur.reason ELSE m.status_reason END,
     settled_at = CASE WHEN cur.owned THEN cur.settled_at ELSE m.settled_at END,
     next_attempt_at = CASE WHEN cur.owned THEN cur.next_at ELSE m.next_attempt_at END
   FROM cur WHERE m.id = cur.id
   RETURNING m.id, cur.n, cur.owned, cur.status AS from_status,
     CASE WHEN cur.owned THEN m.status ELSE cur.read_status END AS to_status, m.attempts AS attempt_no,
     cur.at, cur.reason, cur.next_at, cur.destination, cur.started_at, cur.finished_at, cur.duration_ms, cur.outcome,
     cur.http_status, cur.attempt_reason, cur.excerpt, cur.answer_key
 ), attempt AS (
   INSERT INTO delivery_attempts (message_id, attempt_no, destination, started_at, finished_at, duration_ms,
     outcome, result_status, http_status, reason, answer_excerpt, next_attempt_at, answer_key)
   SELECT id, attempt_no, destination, started_at, finished_at, duration_ms, outcome, to_status, http_status,
     attempt_reason, excerpt, CASE WHEN owned THEN next_at END, answer_key
   FROM moved ORDER BY n
 ), history AS (
   INSERT INTO status_history (message_id, at, from_status, to_status, actor, reason)
   SELECT id, at, from_status, to_status, 'transport', reason FROM moved
   WHERE owned AND from_status <> to_status ORDER BY n
 )
 SELECT n, owned, to_status AS status FROM moved`;

/** The parameters of `COMPLETE_MANY`: the columns of the items' `completeParams`, one array each. */
export function completeManyParams(items: readonly CompleteItem[]): unknown[] {
  const rows = items.map((i) => completeParams(i.lease, i.plan, i.now, i.answer));
  return rows[0]!.map((_, c) => rows.map((r) => r[c]));
}

/** One result per item, in their order. */
export function completeResults(
  items: readonly CompleteItem[],
  rows: readonly { n: number | string; owned: boolean; status: MessageStatus }[],
): CompleteRow[] {
  const byN = new Map(rows.map((r) => [Number(r.n), r]));
  return items.map((_, i) => {
    const r = byN.get(i + 1);
    return r ? { owned: r.owned, status: r.status } : null;
  });
}

/**
 * Splits `items` into rounds in which no outbox row and no message occurs twice (one statement cannot move one
 * row twice); almost always one round. The rounds run one after the other, in the items' order.
 */
export function completeRounds(items: readonly CompleteItem[]): number[][] {
  const rounds: { indexes: number[]; keys: Set<string> }[] = [];
  items.forEach((item, i) => {
    const keys = [`o${item.lease.outboxId}`, `m${item.lease.messageId}`];
    // After the last round that holds one of its rows, so completions of one row keep their order.
    let after = -1;
    rounds.forEach((r, k) => {
      if (keys.some((key) => r.keys.has(key))) after = k;
    });
    let round = rounds[after + 1];
    if (!round) {
      round = { indexes: [], keys: new Set() };
      rounds.push(round);
    }
    round.indexes.push(i);
    for (const key of keys) round.keys.add(key);
  });
  return rounds.map((r) => r.indexes);
}
