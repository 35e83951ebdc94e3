import type { DeliveryAttempt, MessageStore, MessageSummary, StoredMessage } from '../store/types.ts';

/** Most linked messages shown with a heenbericht. */
const CONVERSATION_MAX = 200;

/**
 * A message's status as JSON: metadata, findings, status history, delivery attempts, the retours that answer
 * it and the conversation it belongs to. `beheer` adds what functioneel beheer needs (the receiver's answer per
 * attempt, source, body facts); never the body itself.
 */
export async function describeMessage(store: MessageStore, m: StoredMessage, view: 'caller' | 'beheer' = 'caller') {
  const [history, attempts, linked] = await Promise.all([
    store.statusHistory(m.id),
    store.deliveryAttempts(m.id),
    linkedTo(store, m.id),
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
    /** For a bericht the gateway refused or rejected: the answer it sent for it (a retourbericht, a Fo01), if any. */
    ...(m.status === 'rejected' ? { answerSent: await answerSent(store, m) } : {}),
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
      answerMessage: answerMessageOf(a.answerExcerpt),
      nextAttemptAt: a.nextAttemptAt?.toISOString() ?? null,
      ...(beheer ? { resultStatus: a.resultStatus, answerExcerpt: a.answerExcerpt } : {}),
    })),
    history: history.map((h) => ({ at: h.at.toISOString(), from: h.from, to: h.to, actor: h.actor, reason: h.reason })),
    /** The messages linked to this one (its retours, a VTO's Bv01/Fo01 and notificaties), oldest first. */
    conversation: linked.map((r) => linkedItem(r, m)),
    thread: await threadOf(store, m, attempts, linked),
  };
}

/** The gateway's own answer to a rejected bericht: which message, where it went, how far it got. */
async function answerSent(store: MessageStore, m: StoredMessage) {
  const a = m.answeredBy ? await store.getMessage(m.answeredBy) : null;
  if (a?.source.kind !== 'caller' || a.source.id !== 'schakel') return null;
  return { id: a.id, message: a.messageName, summary: m.answerSummary, destination: a.destination, status: a.status };
}

/**
 * One conversation in order: the heenbericht (this message, or the one it is linked to), its delivery attempts
 * with the kind of answer the receiver gave (a CORV Bv03 or Fo03), and every message linked to it. Ids, message
 * names, times and statuses only: no content, no personal data.
 */
async function threadOf(
  store: MessageStore,
  m: StoredMessage,
  ownAttempts: DeliveryAttempt[],
  ownLinked: MessageSummary[],
) {
  const heen = m.correlatedTo ? await store.getMessage(m.correlatedTo) : m;
  if (!heen) return null;
  const [attempts, linked] =
    heen === m
      ? [ownAttempts, ownLinked]
      : await Promise.all([store.deliveryAttempts(heen.id), linkedTo(store, heen.id)]);
  const events = [
    {
      at: heen.receivedAt,
      order: 0,
      event: { type: 'received', id: heen.id, message: heen.messageName, status: heen.status },
    },
    ...attempts.map((a) => ({
      at: a.startedAt,
      order: 1,
      event: {
        type: 'attempt',
        id: heen.id,
        attemptNo: a.attemptNo,
        destination: a.destination,
        outcome: a.outcome,
        httpStatus: a.httpStatus,
        answerMessage: answerMessageOf(a.answerExcerpt),
      },
    })),
    ...linked.map((r) => ({ at: r.receivedAt, order: 2, event: { type: 'linked', ...linkedItem(r, heen) } })),
  ];
  events.sort((a, b) => a.at.getTime() - b.at.getTime() || a.order - b.order);
  return {
    heen: { id: heen.id, message: heen.messageName, status: heen.status },
    events: events.map((e) => ({ at: e.at.toISOString(), ...e.event })),
  };
}

/** The messages linked to `id`, oldest first. */
async function linkedTo(store: MessageStore, id: string): Promise<MessageSummary[]> {
  const page = await store.listMessages({ correlatedTo: id, limit: CONVERSATION_MAX });
  return [...page.items].sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime() || a.id.localeCompare(b.id));
}

/** A message linked to `heen`; the summary (retourcodes, a Fo01's code) is known for the heen's answer. */
function linkedItem(r: MessageSummary, heen: StoredMessage) {
  return {
    id: r.id,
    message: r.messageName,
    direction: r.direction,
    status: r.status,
    receivedAt: r.receivedAt.toISOString(),
    summary: heen.answeredBy === r.id ? heen.answerSummary : null,
  };
}

/**
 * Which StUF answer a receiver gave, from the start of its reply: `Bv03`, `Fo03` (also inside a SOAP envelope),
 * `SOAP Fault`, or null. Only the name: the reply itself stays in beheer.
 */
export function answerMessageOf(excerpt: string | null): string | null {
  if (!excerpt) return null;
  const stuf = /<(?:[\w.-]+:)?((?:Bv|Fo)0[1-4])Bericht[\s/>]/.exec(excerpt) ?? /^\s*((?:Bv|Fo)0[1-4])\b/.exec(excerpt);
  if (stuf) return stuf[1]!;
  return /<(?:[\w.-]+:)?Fault[\s/>]/.test(excerpt) ? 'SOAP Fault' : null;
}
