import type { MessageStore, StoredMessage } from '../store/types.ts';

/**
 * A message's status as JSON: metadata, findings, status history, delivery attempts and the retours that
 * answer it. `beheer` adds what functioneel beheer needs (the receiver's answer per attempt, source, body
 * facts); never the body itself.
 */
export async function describeMessage(store: MessageStore, m: StoredMessage, view: 'caller' | 'beheer' = 'caller') {
  const [history, attempts, answers] = await Promise.all([
    store.statusHistory(m.id),
    store.deliveryAttempts(m.id),
    store.listMessages({ correlatedTo: m.id, limit: 50 }),
  ]);
  const beheer = view === 'beheer';
  return {
    id: m.id,
    message: m.messageName,
    standard: m.standard,
    release: m.release,
    direction: m.direction,
    status: m.status,
    statusReason: m.statusReason,
    afzender: m.afzender,
    ontvanger: m.ontvanger,
    berichtIdentificatie: m.berichtIdentificatie,
    dagtekening: m.dagtekening,
    referentienummer: m.referentienummer,
    receivedAt: m.receivedAt.toISOString(),
    destination: m.destination,
    correlatedTo: m.correlatedTo,
    answer: m.answeredBy ? { id: m.answeredBy, summary: m.answerSummary } : null,
    findings: m.findings,
    ...(beheer
      ? {
          source: m.source,
          crossRef: m.crossRef,
          berichtcode: m.berichtcode,
          hasBody: m.hasBody,
          bodySize: m.bodySize,
          bodyPurgedAt: m.bodyPurgedAt?.toISOString() ?? null,
          settledAt: m.settledAt?.toISOString() ?? null,
          nextAttemptAt: m.nextAttemptAt?.toISOString() ?? null,
        }
      : {}),
    attempts: attempts.map((a) => ({
      attemptNo: a.attemptNo,
      destination: a.destination,
      startedAt: a.startedAt.toISOString(),
      durationMs: a.durationMs,
      outcome: a.outcome,
      httpStatus: a.httpStatus,
      reason: a.reason,
      nextAttemptAt: a.nextAttemptAt?.toISOString() ?? null,
      ...(beheer ? { resultStatus: a.resultStatus, answerExcerpt: a.answerExcerpt } : {}),
    })),
    history: history.map((h) => ({ at: h.at.toISOString(), from: h.from, to: h.to, actor: h.actor, reason: h.reason })),
    conversation: answers.items.map((r) => ({
      id: r.id,
      message: r.messageName,
      direction: r.direction,
      status: r.status,
      receivedAt: r.receivedAt.toISOString(),
      summary: r.answerSummary,
    })),
  };
}
