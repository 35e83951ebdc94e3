import type pg from 'pg';
import type { Standard } from '../../catalogue/types.ts';
import type { ActionStateRow, OutboxRow } from '../rows.ts';
import {
  type ActionRequest,
  type AttemptPlan,
  auditDetails,
  type MessageValues,
  PURGE_ACTION,
  type PurgeKind,
  planAction,
  purgePlan,
  RETENTION_ACTOR,
  type StatusUpdate,
  TR507_ACTOR,
  TR507_HOLD_PREFIX,
  tally,
} from '../rules.ts';
import type { SealedValues } from '../sealing.ts';
import type {
  ActionResult,
  HistoryBudgetKey,
  HistoryFacts,
  Lease,
  PublishRef,
  PurgeResult,
  RetentionAges,
} from '../types.ts';
import * as sql from './statements.ts';

type Client = pg.PoolClient;

/** The message's own columns, id … settled_at: the head of every insert's parameters (single and batched). */
export function columnParams(v: MessageValues): unknown[] {
  return [
    v.id,
    v.receivedAt,
    v.standard,
    v.release,
    v.messageName,
    v.direction,
    v.afzender,
    v.ontvanger,
    v.berichtIdentificatie,
    v.dagtekening,
    v.berichtcode,
    v.referentienummer,
    v.crossRef,
    v.dedupScope,
    v.dedupSender,
    v.dedupId,
    v.contentHash,
    v.body,
    v.bodySize,
    v.sourceKind,
    v.sourceId,
    v.status,
    v.statusReason,
    v.destination,
    v.correlatedTo,
    v.findings,
    v.findingCount,
    v.nextAttemptAt,
    v.settledAt,
  ];
}

/** The parameters of `INSERT_MESSAGE`, in its numbering. */
export function insertParams(v: MessageValues, actor: string): unknown[] {
  return [...columnParams(v), actor, v.answerSummary, v.caseRef, v.answersHeen];
}

/** Every parameter of `INSERT_MESSAGE`: the message ($1 … $33), its history rows ($34 … $41), gemeente and flow. */
export function messageParams(v: MessageValues, actor: string, h: HistoryFacts): unknown[] {
  return [...insertParams(v, actor), ...historyParams(h), v.gemeente, v.flow];
}

/** The parameters of `FIND_DUPLICATE` for the message whose insert conflicted. */
export function duplicateParams(v: MessageValues, actor: string): unknown[] {
  const details = auditDetails({ messageName: v.messageName });
  return [v.dedupScope, v.dedupSender, v.dedupId, v.messageName, v.now, actor, v.contentHash, details];
}

/** The parameters $44, $45 of `INSERT_MESSAGE`: the body's key id and the BSN index entries. */
export function sealParams(v: SealedValues): unknown[] {
  return [v.bodyKey, v.bsnHashes];
}

/** The parameters of `COMPLETE_DELIVERY`; the answer excerpt already sealed (`answer`). */
export function completeParams(
  lease: Pick<Lease, 'outboxId' | 'token' | 'messageId'>,
  plan: AttemptPlan,
  now: number,
  answer: { excerpt: string | null; key: string | null },
): unknown[] {
  const a = plan.attempt;
  const u = plan.update;
  return [
    lease.outboxId,
    lease.token,
    lease.messageId,
    u.status,
    u.nextAttemptAt,
    now,
    u.reason,
    u.settledAt,
    a.destination,
    a.startedAt,
    a.finishedAt,
    a.durationMs,
    a.outcome,
    a.httpStatus,
    a.reason,
    answer.excerpt,
    answer.key,
  ];
}

/** The parameters $34 … $41 of `INSERT_MESSAGE`: the history rows as column arrays. */
export function historyParams(h: HistoryFacts): unknown[] {
  const p = h.periods;
  const b = h.budgets;
  return [
    p.map((x) => x.messageName),
    p.map((x) => x.afzender),
    p.map((x) => x.bsnHash),
    p.map((x) => x.nummer),
    p.map((x) => x.status),
    b.map((x) => x.afzender),
    b.map((x) => x.bsnHash),
    b.map((x) => x.budget),
  ];
}

export interface BudgetKeyRow {
  afzender: string;
  bsn_hash: string;
  budget: string;
}

export function keyOfRow(r: BudgetKeyRow): HistoryBudgetKey {
  return { afzender: r.afzender, bsnHash: r.bsn_hash, budget: r.budget };
}

/** TR507: takes the transaction's advisory lock of each budget key, in one order for every transaction. */
export async function lockBudgets(c: Client, keys: readonly HistoryBudgetKey[]): Promise<void> {
  const texts = [...new Set(keys.map((k) => JSON.stringify([k.afzender, k.bsnHash, k.budget])))].sort();
  for (const t of texts) await c.query(sql.LOCK_BUDGET, [t]);
}

/** TR507: the retour on `heenId` arrived; the oldest TKB held on each of its budget keys goes out. */
export async function releaseHeld(c: Client, heenId: string, now: number): Promise<void> {
  const { rows: keys } = await c.query<BudgetKeyRow>(sql.BUDGET_KEYS_OF, [heenId]);
  for (const k of keys) {
    const { rows } = await c.query<{ id: string; destination: string | null }>(sql.HELD_NEXT, [
      k.afzender,
      k.bsn_hash,
      k.budget,
      TR507_HOLD_PREFIX,
    ]);
    const next = rows[0];
    if (!next?.destination) continue;
    await c.query(sql.INSERT_OUTBOX, [next.id, next.destination, now]);
    await setStatus(c, next.id, { status: 'queued', reason: null, settledAt: null, nextAttemptAt: now }, now);
    await c.query(sql.INSERT_HISTORY, [
      next.id,
      now,
      'on_hold',
      'queued',
      TR507_ACTOR,
      `retour op ${heenId} ontvangen`,
    ]);
    await appendAudit(c, now, TR507_ACTOR, 'message.release', next.id, {
      from: 'on_hold',
      to: 'queued',
      after: heenId,
    });
  }
}

export function refColumns(refs: readonly PublishRef[]): unknown[] {
  return [refs.map((r) => r.outboxId), refs.map((r) => r.token)];
}

export async function appendAudit(
  c: pg.ClientBase | pg.Pool,
  now: number,
  actor: string,
  action: string,
  targetId: string | null,
  details: Record<string, unknown>,
): Promise<void> {
  await c.query(sql.INSERT_AUDIT, [now, actor, action, targetId, auditDetails(details)]);
}

export async function setStatus(c: Client, id: string, u: StatusUpdate, now: number): Promise<void> {
  await c.query(sql.SET_STATUS, [u.status, u.reason, u.settledAt, u.nextAttemptAt, now, id]);
}

/** A beheer action (rules: `planAction`), outbox row locked before the message; in the caller's transaction. */
export async function actIn(c: Client, id: string, req: ActionRequest, now: number): Promise<ActionResult> {
  const { rows: outbox } = await c.query<OutboxRow>(sql.LOCK_OUTBOX_OF_MESSAGE, [id]);
  const { rows } = await c.query<ActionStateRow>(sql.LOCK_ACTION_STATE, [id]);
  const m = rows[0];
  if (!m) return { ok: false, reason: 'not-found' };
  const decision = planAction(req, m, outbox[0], now);
  if (!decision.ok) return decision.result;
  const { plan } = decision;
  if (plan.dropOutboxId !== null) await c.query(sql.DELETE_OUTBOX, [plan.dropOutboxId]);
  if (plan.enqueue !== null) {
    await c.query(sql.INSERT_OUTBOX, [id, plan.enqueue, now]);
    await c.query(sql.SET_DESTINATION, [plan.enqueue, id]);
  }
  await setStatus(c, id, plan.update, now);
  await c.query(sql.INSERT_HISTORY, [id, now, plan.history.from, plan.history.to, req.actor, plan.history.reason]);
  await appendAudit(c, now, req.actor, plan.audit.action, id, plan.audit.details);
  return { ok: true, status: plan.update.status };
}

/** The retention purge of `kind`, audited when it dropped anything; in the caller's transaction. */
export async function purgeIn(c: Client, kind: PurgeKind, ages: RetentionAges, now: number): Promise<PurgeResult> {
  const result: PurgeResult = { total: 0, perStandard: {} };
  for (const step of purgePlan(ages, now)) {
    const { rows } =
      kind === 'bodies'
        ? await c.query<{ standard: Standard }>(sql.purgeBodies(step), [
            step.cutoff,
            step.standards,
            now,
            step.undeliveredCutoff,
          ])
        : await c.query<{ standard: Standard }>(sql.purgeMetadata(step), [step.cutoff, step.standards]);
    tally(result, rows);
  }
  if (result.total > 0) await appendAudit(c, now, RETENTION_ACTOR, PURGE_ACTION[kind], null, { ...result });
  return result;
}
