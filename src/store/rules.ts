/**
 * The store's rules, shared by every engine: which status a beheer action may start from and where it leads, the
 * status after a delivery attempt, the values a new message is stored with, the purge plan, page limits and
 * filters. An engine (sqlite/, postgres/) only says how to run them: its statements and its transactions.
 */
import { createHash } from 'node:crypto';
import type { Standard } from '../catalogue/types.ts';
import { redactDeep } from '../log.ts';
import { type ActionStateRow, clean, flattenDedup, type HistoryRefRow, type OutboxRow, redactFinding } from './rows.ts';
import {
  type ActionResult,
  type AttemptReport,
  type AuditFilter,
  type Flow,
  type HistoryFacts,
  type HistoryMessageRef,
  type Lease,
  type MessageFilter,
  type MessageScope,
  type MessageStatus,
  type NewMessage,
  type NextStep,
  type PurgeResult,
  type RecordedAttempt,
  type RetentionAges,
  SETTLED_STATUSES,
} from './types.ts';

/** A list page when the caller names no limit. */
export const DEFAULT_PAGE = 50;
/** The defaults of the store options both engines take. */
export const DEFAULT_LIST_PAGE_MAX = 500;
export const DEFAULT_ANSWER_EXCERPT_CHARS = 500;

const SETTLED = new Set<MessageStatus>(SETTLED_STATUSES);

export function isSettled(status: MessageStatus): boolean {
  return SETTLED.has(status);
}

/** `limit` within 1 … `max` (default `DEFAULT_PAGE`), `offset` at least 0. */
export function pageOf(filter: { limit?: number; offset?: number }, max: number): { limit: number; offset: number } {
  return {
    limit: Math.max(1, Math.min(filter.limit ?? DEFAULT_PAGE, max)),
    offset: Math.max(0, filter.offset ?? 0),
  };
}

// ---- filters ---------------------------------------------------------------------------------------------

/** One condition of a WHERE clause; each engine writes it with its own placeholders (a scope: its scope.ts). */
export type Condition =
  | { column: string; op: '=' | '>=' | '<'; value: string | number }
  | { column: string; op: 'in'; values: string[] }
  /** The status as read (`storedStatusFilter`): delivering is not stored but read from the delivery lease. */
  | { op: 'status'; values: MessageStatus[] }
  | { op: 'scope'; scope: MessageScope }
  /** The message has this entry in the BSN index (`bsn_index.bsn_hash`). */
  | { column: 'id'; op: 'bsn'; value: string };

/** The flow of the standards that have one of their own (a StUF answer or GGK envelope has not). */
const STANDARD_FLOW: Partial<Record<Standard, Flow>> = {
  iwmo: 'wmo',
  ijw: 'jeugd',
  ipgb: 'pgb',
  ieb: 'eigen-bijdrage',
  'stuf-jz': 'jeugdbescherming',
};

export function standardFlow(standard: Standard): Flow | null {
  return STANDARD_FLOW[standard] ?? null;
}

/**
 * The list filter as conditions on the messages table (all must hold). A `bsn` filter needs its index entry,
 * `bsnHash` (the store's keyed hash of it).
 */
export function messageConditions(filter: MessageFilter, bsnHash?: string): Condition[] {
  const out: Condition[] = [];
  if (filter.bsn !== undefined) {
    if (bsnHash === undefined) throw new Error('a bsn filter needs its index entry');
    out.push({ column: 'id', op: 'bsn', value: bsnHash });
  }
  const eq = (column: string, value: string | undefined) => {
    if (value !== undefined) out.push({ column, op: '=', value });
  };
  if (filter.status !== undefined) {
    out.push({ op: 'status', values: Array.isArray(filter.status) ? filter.status : [filter.status] });
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
  if (filter.receivedFrom) out.push({ column: 'received_at', op: '>=', value: filter.receivedFrom.getTime() });
  if (filter.receivedTo) out.push({ column: 'received_at', op: '<', value: filter.receivedTo.getTime() });
  eq('gemeente', filter.gemeente);
  eq('flow', filter.flow);
  if (filter.scope) out.push({ op: 'scope', scope: filter.scope });
  return out;
}

/** The stored statuses of a message with a delivery round open: queued, or delivering as written before issue #17. */
const PENDING_STATUSES = ['queued', 'delivering'] as const satisfies readonly MessageStatus[];

/**
 * A status filter as the stores run it (issue #17): `delivering` is not written but read from the outbox, so
 * queued alone becomes a pending status (`PENDING_STATUSES`) without a delivery lease (`lease: 'unleased'`), and
 * delivering alone one with (`'leased'`); both together, and every other status, match the stored column (`stored`).
 * A message matches when its stored status is in `stored` or the lease condition holds.
 */
export function storedStatusFilter(values: readonly MessageStatus[]): {
  stored: MessageStatus[];
  lease: 'leased' | 'unleased' | null;
} {
  const queued = values.includes('queued');
  const delivering = values.includes('delivering');
  const other = values.filter((s) => s !== 'queued' && s !== 'delivering');
  if (queued && delivering) return { stored: [...other, ...PENDING_STATUSES], lease: null };
  return { stored: other, lease: queued ? 'unleased' : delivering ? 'leased' : null };
}

/** The audit filter as conditions on the audit_log table. */
export function auditConditions(filter: AuditFilter): Condition[] {
  const out: Condition[] = [];
  if (filter.targetId !== undefined) out.push({ column: 'target_id', op: '=', value: filter.targetId });
  if (filter.actor !== undefined) out.push({ column: 'actor', op: '=', value: filter.actor });
  if (filter.action !== undefined) out.push({ column: 'action', op: '=', value: filter.action });
  if (filter.from !== undefined) out.push({ column: 'at', op: '>=', value: filter.from.getTime() });
  return out;
}

// ---- insert ----------------------------------------------------------------------------------------------

/** Every column value of a new messages row (and what its history, outbox and answer rows need). */
export interface MessageValues {
  id: string;
  receivedAt: number;
  standard: string;
  release: string;
  messageName: string;
  direction: string;
  afzender: string | null;
  ontvanger: string | null;
  berichtIdentificatie: string | null;
  dagtekening: string | null;
  berichtcode: string | null;
  referentienummer: string | null;
  crossRef: string | null;
  gemeente: string | null;
  flow: string | null;
  dedupScope: string | null;
  dedupSender: string | null;
  dedupId: string | null;
  contentHash: string;
  body: Buffer;
  bodySize: number;
  sourceKind: string;
  sourceId: string;
  status: MessageStatus;
  statusReason: string | null;
  destination: string | null;
  correlatedTo: string | null;
  caseRef: string | null;
  /** JSON, BSN-shaped numbers masked. */
  findings: string;
  findingCount: number;
  nextAttemptAt: number | null;
  settledAt: number | null;
  /** The heen's answer summary, when this message answers one. */
  answerSummary: string | null;
  /** Whether the heen's `answeredBy` should point here. */
  answersHeen: boolean;
  now: number;
  /**
   * Null in the plain values; sealing.ts sets the body's key id and the BSN index entries. They are fields from the
   * start so that sealing only overrides fields: V8 keeps a copy of this object that gains fields as a dictionary
   * (~3 KB per insert; issue #17).
   */
  bodyKey: string | null;
  bsnHashes: string[] | null;
}

/** The body as bytes and what a repeat is compared on. Throws for a queued message without destination. */
export function prepareBody(m: NewMessage): { body: Buffer; contentHash: string } {
  if (m.status === 'queued' && !m.destination) throw new Error('a queued message needs a destination');
  // A Uint8Array is viewed, not copied: the store only reads it (seals, hashes, scans it for BSNs).
  const body =
    typeof m.body === 'string'
      ? Buffer.from(m.body, 'utf8')
      : Buffer.isBuffer(m.body)
        ? m.body
        : Buffer.from(m.body.buffer, m.body.byteOffset, m.body.byteLength);
  return { body, contentHash: m.contentHash ?? createHash('sha256').update(body).digest('hex') };
}

export function messageValues(
  m: NewMessage,
  id: string,
  now: number,
  prepared: { body: Buffer; contentHash: string },
): MessageValues {
  const dedup = flattenDedup(m.dedup);
  const findings = (m.findings ?? []).map(redactFinding);
  return {
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
    gemeente: m.gemeente ?? null,
    flow: m.flow ?? standardFlow(m.standard),
    dedupScope: dedup.scope,
    dedupSender: dedup.sender,
    dedupId: dedup.id,
    contentHash: prepared.contentHash,
    body: prepared.body,
    bodySize: prepared.body.byteLength,
    sourceKind: m.source.kind,
    sourceId: m.source.id,
    status: m.status,
    statusReason: clean(m.statusReason),
    destination: m.destination ?? null,
    correlatedTo: m.correlatedTo ?? null,
    caseRef: m.caseRef ?? null,
    findings: JSON.stringify(findings),
    findingCount: findings.length,
    nextAttemptAt: m.status === 'queued' ? now : null,
    settledAt: isSettled(m.status) ? now : null,
    answerSummary: m.correlatedTo ? clean(m.answerSummary) : null,
    answersHeen: Boolean(m.correlatedTo) && m.countsAsAnswer !== false,
    now,
    bodyKey: null,
    bsnHashes: null,
  };
}

/** The audit action of a repeat of a stored message. */
export function duplicateKind(existingHash: string, contentHash: string): 'duplicate-same' | 'duplicate-different' {
  return existingHash === contentHash ? 'duplicate-same' : 'duplicate-different';
}

// ---- status changes --------------------------------------------------------------------------------------

/** The messages columns a status change writes. */
export interface StatusUpdate {
  status: MessageStatus;
  reason: string | null;
  settledAt: number | null;
  nextAttemptAt: number | null;
}

// ---- beheer actions --------------------------------------------------------------------------------------

export type BeheerAction = 'resend' | 'hold' | 'release' | 'cancel';

/** The statuses each beheer action may start from. */
export const ACTION_FROM: Readonly<Record<BeheerAction, readonly MessageStatus[]>> = {
  resend: ['received', 'delivered', 'failed', 'dead', 'cancelled'],
  hold: ['queued', 'delivering'],
  release: ['on_hold'],
  cancel: ['received', 'queued', 'delivering', 'on_hold', 'failed', 'dead'],
};

const ACTION_TO: Readonly<Record<BeheerAction, MessageStatus>> = {
  resend: 'queued',
  hold: 'on_hold',
  release: 'queued',
  cancel: 'cancelled',
};

export interface ActionRequest {
  kind: BeheerAction;
  actor: string;
  /** hold and cancel: why (shown in the history); default the action's name. */
  reason?: string;
  /** resend: another destination than the message's own. */
  destination?: string;
}

/** What an allowed action writes, in this order: drop the outbox row, enqueue, move the message, audit. */
export interface ActionPlan {
  /** The pending outbox row to delete (hold, cancel). */
  dropOutboxId: number | null;
  /** A new outbox row to this destination, due now (resend, release); also the message's destination. */
  enqueue: string | null;
  update: StatusUpdate;
  /** The status history row. */
  history: { from: MessageStatus; to: MessageStatus; reason: string | null };
  audit: { action: string; details: { from: MessageStatus; to: MessageStatus } };
}

/**
 * Whether an action may run on this message, and what it writes. A message with a live delivery lease is
 * in flight and cannot be held or cancelled; a row being published is not being delivered (its broker copy's
 * consumer finds it stale). The action starts from the status as read (delivering while leased, also in the
 * audit row); the history row moves from the status as stored, the one the previous history row moved to.
 */
export function planAction(
  req: ActionRequest,
  m: ActionStateRow,
  outbox: Pick<OutboxRow, 'id' | 'phase' | 'lease_until'> | undefined,
  now: number,
): { ok: false; result: ActionResult } | { ok: true; plan: ActionPlan } {
  const refuse = (reason: Exclude<ActionResult, { ok: true }>['reason'], status: MessageStatus = m.status) => ({
    ok: false as const,
    result: { ok: false as const, reason, status },
  });
  if (!ACTION_FROM[req.kind].includes(m.status)) return refuse('invalid-state');
  const to = ACTION_TO[req.kind];
  let enqueue: string | null = null;
  let dropOutboxId: number | null = null;
  if (to === 'queued') {
    if (!m.has_body) return refuse('body-purged');
    enqueue = (req.kind === 'resend' ? req.destination : undefined) ?? m.destination;
    if (!enqueue) return refuse('no-destination');
  } else if (outbox) {
    if (outbox.phase !== 'publishing' && outbox.lease_until !== null && outbox.lease_until > now) {
      return refuse('in-flight', 'delivering');
    }
    dropOutboxId = outbox.id;
  }
  const reason = clean(req.reason ?? req.kind);
  return {
    ok: true,
    plan: {
      dropOutboxId,
      enqueue,
      update: {
        status: to,
        reason: to === 'queued' ? null : reason,
        settledAt: isSettled(to) ? now : null,
        nextAttemptAt: to === 'queued' ? now : null,
      },
      history: { from: m.stored_status, to, reason },
      audit: { action: `message.${req.kind}`, details: { from: m.status, to } },
    },
  };
}

// ---- delivery attempts -----------------------------------------------------------------------------------

/** The values of a delivery_attempts row, but for its number and result status. */
export interface AttemptValues {
  messageId: string;
  destination: string;
  startedAt: number;
  finishedAt: number;
  durationMs: number;
  outcome: AttemptReport['outcome'];
  httpStatus: number | null;
  reason: string | null;
  answerExcerpt: string | null;
}

/** What recording an attempt writes: the attempt row, and the message's next status when the lease is still ours. */
export interface AttemptPlan {
  attempt: AttemptValues;
  /** The message after the attempt; `nextAttemptAt` is also the attempt row's when the lease was ours. */
  update: StatusUpdate;
  /** Actor and reason of the history row (written only when the status changes). */
  historyActor: 'transport';
  historyReason: string | null;
}

export function planAttempt(
  lease: Pick<Lease, 'messageId' | 'destination'>,
  attempt: AttemptReport,
  next: NextStep,
  now: number,
  answerExcerptChars: number,
): AttemptPlan {
  const reason = clean(attempt.reason);
  const to: MessageStatus = next.kind === 'retry' ? 'queued' : next.kind;
  const startedAt = attempt.startedAt.getTime();
  const finishedAt = attempt.finishedAt.getTime();
  return {
    attempt: {
      messageId: lease.messageId,
      destination: lease.destination,
      startedAt,
      finishedAt,
      durationMs: Math.max(0, finishedAt - startedAt),
      outcome: attempt.outcome,
      httpStatus: attempt.httpStatus ?? null,
      reason,
      answerExcerpt: attempt.answer ? clean(attempt.answer.slice(0, answerExcerptChars)) : null,
    },
    update: {
      status: to,
      reason: to === 'delivered' ? null : reason,
      settledAt: isSettled(to) ? now : null,
      nextAttemptAt: next.kind === 'retry' ? next.at.getTime() : null,
    },
    historyActor: 'transport',
    historyReason: to === 'delivered' ? null : reason,
  };
}

/** The facts of a recorded attempt that metrics and health see. */
export function recordedAttempt(
  lease: Pick<Lease, 'destination'>,
  attempt: AttemptReport,
  next: NextStep,
): RecordedAttempt {
  return {
    destination: lease.destination,
    outcome: attempt.outcome,
    next: next.kind,
    seconds: Math.max(0, attempt.finishedAt.getTime() - attempt.startedAt.getTime()) / 1000,
  };
}

/** The listeners of `onAttemptRecorded`; a listener that throws never breaks a delivery. */
export class AttemptListeners {
  private readonly listeners = new Set<(e: RecordedAttempt) => void>();

  add(listener: (e: RecordedAttempt) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  report(lease: Pick<Lease, 'destination'>, attempt: AttemptReport, next: NextStep): void {
    if (this.listeners.size === 0) return;
    const event = recordedAttempt(lease, attempt, next);
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // Metrics never break a delivery.
      }
    }
  }
}

// ---- retention -------------------------------------------------------------------------------------------

export const RETENTION_ACTOR = 'system:retention';
export type PurgeKind = 'bodies' | 'metadata';
export const PURGE_ACTION: Readonly<Record<PurgeKind, string>> = {
  bodies: 'retention.purge-bodies',
  metadata: 'retention.purge-metadata',
};

/** One purge statement: the standards it covers (or all but these) and its cutoffs. */
export interface PurgeStep {
  standards: Standard[];
  /** True: every standard except `standards`. */
  except: boolean;
  /** Settled at or before this moment. */
  cutoff: number;
  /** Bodies of failed and dead messages (which may still be resent): at least the default age. */
  undeliveredCutoff: number;
}

/** One step per standard with its own age, then one for all others at the default age. */
export function purgePlan(ages: RetentionAges, now: number): PurgeStep[] {
  const overridden = Object.entries(ages.perStandard).filter((e): e is [Standard, number] => e[1] !== undefined);
  const step = (standards: Standard[], except: boolean, age: number): PurgeStep => ({
    standards,
    except,
    cutoff: now - age,
    undeliveredCutoff: now - Math.max(age, ages.default),
  });
  return [
    ...overridden.map(([standard, age]) => step([standard], false, age)),
    step(
      overridden.map(([s]) => s),
      true,
      ages.default,
    ),
  ];
}

/** Counts purged rows (each row names its standard) into `result`. */
export function tally(result: PurgeResult, rows: readonly { standard: Standard }[]): PurgeResult {
  for (const r of rows) {
    result.total++;
    result.perStandard[r.standard] = (result.perStandard[r.standard] ?? 0) + 1;
  }
  return result;
}

// ---- history ---------------------------------------------------------------------------------------------

/** The name of the store's own BSN hashing secret in store_secrets. */
export const HISTORY_SECRET = 'history-bsn-hmac';

/** A history row's message as the snapshot names it. */
export function historyRef(r: HistoryRefRow): HistoryMessageRef {
  return { id: r.id, identificatie: r.identificatie ?? '', dagtekening: r.dagtekening ?? '' };
}

/**
 * TR507 (standards.md §6.4): TKBs on one (Afzender, Bsn, BudgetIdentificatie) are delivered one at a time. A TKB
 * whose key has an earlier TKB without retour is stored on hold with this reason and the earlier one's id; the
 * retour that answers that one releases the oldest held TKB of each of its keys, in the same transaction.
 */
export const TR507_HOLD_PREFIX = 'wacht op retour van ';
export const TR507_ACTOR = 'schakel:tr507';

/** The status and reason a new message is stored with, given the TKB on its key still waiting for a retour. */
export function serialisedStatus(
  m: NewMessage,
  pending: { id: string } | undefined,
): Pick<NewMessage, 'status' | 'statusReason'> {
  if (!pending || m.status !== 'queued') return { status: m.status, statusReason: m.statusReason ?? null };
  return { status: 'on_hold', statusReason: `${TR507_HOLD_PREFIX}${pending.id}` };
}

/** Whether this message is serialised per budget key (a queued TKB with budgets). */
export function isSerialised(m: Pick<NewMessage, 'status' | 'history'>): boolean {
  return m.status === 'queued' && (m.history?.budgets.length ?? 0) > 0;
}

/** The history rows one message writes: none for a rejected message (it takes no part in the chain's memory). */
export function historyToWrite(m: Pick<NewMessage, 'status' | 'history'>): HistoryFacts {
  if (m.status === 'rejected' || !m.history) return { periods: [], budgets: [] };
  return m.history;
}

// ---- audit -----------------------------------------------------------------------------------------------

/** The details of an audit row as stored: JSON, with BSN-shaped numbers masked. */
export function auditDetails(details: Record<string, unknown>): string {
  return JSON.stringify(redactDeep(details));
}
