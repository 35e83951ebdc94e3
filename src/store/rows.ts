import type { Direction, Standard } from '../catalogue/types.ts';
import { redactBsn } from '../security/redact.ts';
import type { Finding } from '../validation/finding.ts';
import type {
  AuditEntry,
  DedupKey,
  DeliveryAttempt,
  Flow,
  GemeenteCount,
  HeldTkb,
  Lease,
  MessageStatus,
  MessageSummary,
  OutboxMessage,
  StatusChange,
  StoredMessage,
  UnansweredHeen,
} from './types.ts';

/**
 * A messages row as both SQL stores read it (times as epoch milliseconds). SQLite gives `has_body` as 0/1,
 * PostgreSQL as a boolean.
 */
export interface MessageRow {
  id: string;
  received_at: number;
  standard: string;
  release: string;
  message_name: string;
  direction: string;
  afzender: string | null;
  ontvanger: string | null;
  bericht_identificatie: string | null;
  dagtekening: string | null;
  berichtcode: string | null;
  referentienummer: string | null;
  cross_ref: string | null;
  gemeente: string | null;
  flow: string | null;
  dedup_scope: string | null;
  dedup_sender: string | null;
  dedup_id: string | null;
  content_hash: string;
  body_size: number;
  has_body: boolean | number;
  body_purged_at: number | null;
  source_kind: string;
  source_id: string;
  status: MessageStatus;
  status_reason: string | null;
  destination: string | null;
  correlated_to: string | null;
  answered_by: string | null;
  answer_summary: string | null;
  findings?: string;
  finding_count?: number;
  attempts: number;
  next_attempt_at: number | null;
  settled_at: number | null;
  created_at: number;
  updated_at: number;
}

/**
 * The message as a beheer action reads it: its status as read (`status`: delivering while a delivery lease is held,
 * issue #17) and as stored (`stored_status`: what its history row moves from).
 */
export interface ActionStateRow extends Pick<MessageRow, 'status' | 'has_body' | 'destination'> {
  stored_status: MessageStatus;
}

/** The dedup key as the three columns that carry the uniqueness constraint. */
export function flattenDedup(d: DedupKey | null): { scope: string | null; sender: string | null; id: string | null } {
  if (!d) return { scope: null, sender: null, id: null };
  return d.scope === 'istd'
    ? { scope: 'istd', sender: d.sender, id: d.identificatie }
    : { scope: 'stuf', sender: d.zender, id: d.referentienummer };
}

/** A text about to be stored, with BSN-shaped numbers masked. */
export function clean(text: string | null | undefined): string | null {
  return text === null || text === undefined ? null : redactBsn(text);
}

export function redactFinding(f: Finding): Finding {
  return { ...f, text: redactBsn(f.text), path: f.path === null ? null : redactBsn(f.path) };
}

export function date(ms: number | null): Date | null {
  return ms === null ? null : new Date(ms);
}

export function toSummary(r: MessageRow): MessageSummary {
  return messageOf(r, { findingCount: r.finding_count ?? 0 });
}

export function toStored(r: MessageRow): StoredMessage {
  const dedup: DedupKey | null =
    r.dedup_scope === 'istd'
      ? { scope: 'istd', sender: r.dedup_sender!, identificatie: r.dedup_id! }
      : r.dedup_scope === 'stuf'
        ? { scope: 'stuf', zender: r.dedup_sender!, referentienummer: r.dedup_id! }
        : null;
  return messageOf(r, { dedup, findings: JSON.parse(r.findings ?? '[]') as Finding[] });
}

/**
 * The fields of a message every read gives, and then those of `rest`. One literal with `rest` spread at its end:
 * a copy of a summary without its findingCount (`{ findingCount, ...summary }`) made V8 build the 30 fields one by
 * one into a dictionary object, ~5 KB per message read or inserted (issue #17).
 */
function messageOf<T extends object>(r: MessageRow, rest: T): Omit<MessageSummary, 'findingCount'> & T {
  return {
    id: r.id,
    receivedAt: new Date(r.received_at),
    standard: r.standard as Standard,
    release: r.release,
    messageName: r.message_name,
    direction: r.direction as Direction,
    afzender: r.afzender,
    ontvanger: r.ontvanger,
    berichtIdentificatie: r.bericht_identificatie,
    dagtekening: r.dagtekening,
    berichtcode: r.berichtcode,
    referentienummer: r.referentienummer,
    crossRef: r.cross_ref,
    gemeente: r.gemeente,
    flow: r.flow as Flow | null,
    contentHash: r.content_hash,
    bodySize: r.body_size,
    hasBody: Boolean(r.has_body),
    bodyPurgedAt: date(r.body_purged_at),
    source: { kind: r.source_kind as 'caller' | 'inbound', id: r.source_id },
    status: r.status,
    statusReason: r.status_reason,
    destination: r.destination,
    correlatedTo: r.correlated_to,
    answeredBy: r.answered_by,
    answerSummary: r.answer_summary,
    attempts: r.attempts,
    nextAttemptAt: date(r.next_attempt_at),
    settledAt: date(r.settled_at),
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
    ...rest,
  };
}

/** One group of the overview per gemeente. */
export interface GemeenteCountRow {
  gemeente: string | null;
  flow: string | null;
  status: MessageStatus;
  n: number;
}

export function toGemeenteCount(r: GemeenteCountRow): GemeenteCount {
  return { gemeente: r.gemeente, flow: r.flow as Flow | null, status: r.status, n: Number(r.n) };
}

/** A delivery_attempts row, as both SQL stores read it. */
export interface AttemptRow {
  message_id: string;
  attempt_no: number;
  destination: string;
  started_at: number;
  finished_at: number;
  duration_ms: number;
  outcome: DeliveryAttempt['outcome'];
  result_status: MessageStatus;
  http_status: number | null;
  reason: string | null;
  answer_excerpt: string | null;
  next_attempt_at: number | null;
}

export function toAttempt(r: AttemptRow): DeliveryAttempt {
  return {
    messageId: r.message_id,
    attemptNo: r.attempt_no,
    destination: r.destination,
    startedAt: new Date(r.started_at),
    finishedAt: new Date(r.finished_at),
    durationMs: r.duration_ms,
    outcome: r.outcome,
    resultStatus: r.result_status,
    httpStatus: r.http_status,
    reason: r.reason,
    answerExcerpt: r.answer_excerpt,
    nextAttemptAt: date(r.next_attempt_at),
  };
}

/** The columns of a messages row an adapter needs (with the body). */
export interface OutboxMessageRow {
  id: string;
  standard: string;
  release: string;
  message_name: string;
  direction: string;
  afzender: string | null;
  ontvanger: string | null;
  bericht_identificatie: string | null;
  referentienummer: string | null;
  cross_ref: string | null;
  correlated_to: string | null;
  body: Buffer | null;
  /** The key the body is sealed under; null: stored in plain before encryption. */
  body_key: string | null;
}

export function toOutboxMessage(m: OutboxMessageRow): OutboxMessage {
  return {
    id: m.id,
    standard: m.standard as Standard,
    release: m.release,
    messageName: m.message_name,
    direction: m.direction as Direction,
    afzender: m.afzender,
    ontvanger: m.ontvanger,
    berichtIdentificatie: m.bericht_identificatie,
    referentienummer: m.referentienummer,
    crossRef: m.cross_ref,
    correlatedTo: m.correlated_to,
    body: m.body,
  };
}

/** An outbox row, as both SQL stores read it. */
export interface OutboxRow {
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

/** The lease of a reserved outbox row and its message. */
export function toLease(
  row: Pick<OutboxRow, 'id' | 'destination' | 'attempts'>,
  token: string,
  m: OutboxMessageRow,
  owner: string,
  leaseUntil: number,
): Lease {
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

/** A status_history row. */
export interface HistoryRow {
  at: number;
  from_status: MessageStatus | null;
  to_status: MessageStatus;
  actor: string;
  reason: string | null;
}

export function toStatusChange(r: HistoryRow): StatusChange {
  return { at: new Date(r.at), from: r.from_status, to: r.to_status, actor: r.actor, reason: r.reason };
}

/** An audit_log row (details as JSON). */
export interface AuditRow {
  id: number;
  at: number;
  actor: string;
  action: string;
  target_id: string | null;
  details: string;
}

export function toAuditEntry(r: AuditRow): AuditEntry {
  return {
    id: r.id,
    at: new Date(r.at),
    actor: r.actor,
    action: r.action,
    targetId: r.target_id,
    details: JSON.parse(r.details) as Record<string, unknown>,
  };
}

/** An earlier message in the history (../types.ts `HistoryMessageRef`). */
export interface HistoryRefRow {
  id: string;
  identificatie: string | null;
  dagtekening: string | null;
}

/** An earlier delivery of an iEb period. */
export interface HistoryDeliveryRow extends HistoryRefRow {
  status: string;
}

/** A TKB held back by TR507 (../types.ts `HeldTkb`). */
export interface HeldTkbRow {
  afzender: string;
  budget: string;
  bsn_hash: string;
  id: string;
  bericht_identificatie: string | null;
  received_at: number;
  status_reason: string | null;
}

export function toHeldTkb(r: HeldTkbRow, prefix: string): HeldTkb {
  const reason = r.status_reason ?? '';
  return {
    key: { afzender: r.afzender, bsnHash: r.bsn_hash, budget: r.budget },
    id: r.id,
    berichtIdentificatie: r.bericht_identificatie,
    receivedAt: new Date(r.received_at),
    waitingFor: reason.startsWith(prefix) ? reason.slice(prefix.length) : null,
  };
}

/** A heenbericht waiting for its answer (../types.ts `UnansweredHeen`). */
export interface UnansweredRow {
  id: string;
  standard: Standard;
  message_name: string;
  afzender: string | null;
  ontvanger: string | null;
  status: MessageStatus;
  received_at: number;
  settled_at: number | null;
}

export function toUnanswered(r: UnansweredRow): UnansweredHeen {
  return {
    id: r.id,
    standard: r.standard,
    messageName: r.message_name,
    afzender: r.afzender,
    ontvanger: r.ontvanger,
    status: r.status,
    receivedAt: new Date(r.received_at),
    deliveredAt: r.status === 'delivered' && r.settled_at !== null ? new Date(r.settled_at) : null,
  };
}
