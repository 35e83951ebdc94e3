import type { MessageRow } from './rows.ts';
import type { MessageValues } from './rules.ts';

/**
 * The row an insert of `v` (the plain values, before sealing) just wrote, as a read of it would return it: what
 * the insert did not set has its column default (no attempts, no answer, not purged). Saves reading back the
 * row the same transaction wrote; its findings are the plain ones, so nothing needs opening either.
 */
export function insertedRow(v: MessageValues, hasBody: boolean): MessageRow {
  return {
    id: v.id,
    received_at: v.receivedAt,
    standard: v.standard,
    release: v.release,
    message_name: v.messageName,
    direction: v.direction,
    afzender: v.afzender,
    ontvanger: v.ontvanger,
    bericht_identificatie: v.berichtIdentificatie,
    dagtekening: v.dagtekening,
    berichtcode: v.berichtcode,
    referentienummer: v.referentienummer,
    cross_ref: v.crossRef,
    gemeente: v.gemeente,
    flow: v.flow,
    dedup_scope: v.dedupScope,
    dedup_sender: v.dedupSender,
    dedup_id: v.dedupId,
    content_hash: v.contentHash,
    body_size: v.bodySize,
    has_body: hasBody,
    body_purged_at: null,
    source_kind: v.sourceKind,
    source_id: v.sourceId,
    status: v.status,
    status_reason: v.statusReason,
    destination: v.destination,
    correlated_to: v.correlatedTo,
    answered_by: null,
    answer_summary: null,
    findings: v.findings,
    attempts: 0,
    next_attempt_at: v.nextAttemptAt,
    settled_at: v.settledAt,
    created_at: v.now,
    updated_at: v.now,
  };
}
