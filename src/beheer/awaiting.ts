/**
 * "Wacht op antwoord" (standards.md §5 Expectations, OP090): heenberichten whose retour (or 325) has not come
 * within its working days, per party and per gemeente, for the beheer list, the metric and the alert. The store
 * gives the heenberichten still without an answer; the calendar (src/calendar) says which are overdue. This
 * covers both directions: a party that owes the gateway's gemeente a retour, and a gemeente that owes one to
 * a party (the gateway's own answers must leave within the same limits).
 */
import {
  type DeadlinesConfig,
  deadlineConfigOf,
  groupOverdue,
  type OverdueAnswer,
  overdueAnswers,
} from '../calendar/overdue.ts';
import type { CorrelationStore, UnansweredHeen } from '../store/types.ts';
import type { Alert } from './alerts.ts';

const DAY_MS = 86_400_000;

export interface AwaitingDeps {
  store: Pick<CorrelationStore, 'listUnanswered'>;
  deadlines: () => DeadlinesConfig;
  now: () => Date;
  /** At most this many waiting heenberichten are judged per call (the oldest first). */
  limit: () => number;
}

/** A list row: metadata only (no Bsn, no body). */
export interface OverdueRow {
  id: string;
  message: string;
  standard: string;
  answer: string;
  /** The party that owes the answer: the heen's Ontvanger (AGB, gemeentecode, CAK, SVB). */
  party: string;
  gemeente: string | null;
  sentAt: string;
  due: string;
  workingDays: number;
  workingDaysLate: number;
}

export interface AwaitingReport {
  now: string;
  total: number;
  perParty: { party: string; count: number }[];
  perGemeente: { gemeente: string; count: number }[];
  /** Overdue count per standard (the metric's values). */
  perStandard: Record<string, number>;
  items: OverdueRow[];
}

const GEMEENTECODE = /^\d{4}$/;

export class AwaitingAnswers {
  constructor(private readonly d: AwaitingDeps) {}

  /** The overdue answers now, most overdue first. */
  async overdue(): Promise<(OverdueAnswer & { standard: string })[]> {
    const config = deadlineConfigOf(this.d.deadlines());
    const now = this.d.now();
    // n working days are at least n calendar days: anything received more recently cannot be overdue yet.
    const shortest = Math.min(...Object.values(config.retourWithin), ...Object.values(config.byMessage ?? {}));
    const rows = await this.d.store.listUnanswered({
      receivedBefore: new Date(now.getTime() - shortest * DAY_MS),
      limit: this.d.limit(),
    });
    const standards = new Map(rows.map((r) => [r.id, r.standard]));
    return overdueAnswers(rows.map(waitingOf), now, config).map((o) => ({ ...o, standard: standards.get(o.id)! }));
  }

  async report(): Promise<AwaitingReport> {
    const list = await this.overdue();
    const counts = (by: 'party' | 'gemeente') =>
      [...groupOverdue(list, by)]
        .map(([key, items]) => ({ key, count: items.length }))
        .sort((a, b) => b.count - a.count || a.key.localeCompare(b.key));
    const perStandard: Record<string, number> = {};
    for (const o of list) perStandard[o.standard] = (perStandard[o.standard] ?? 0) + 1;
    return {
      now: this.d.now().toISOString(),
      total: list.length,
      perParty: counts('party').map(({ key, count }) => ({ party: key, count })),
      perGemeente: counts('gemeente').map(({ key, count }) => ({ gemeente: key, count })),
      perStandard,
      items: list.map((o) => ({
        id: o.id,
        message: o.messageName,
        standard: o.standard,
        answer: o.deadline.answer,
        party: o.party,
        gemeente: o.gemeente ?? null,
        sentAt: o.sentAt.toISOString(),
        due: o.deadline.due.toISOString(),
        workingDays: o.deadline.workingDays,
        workingDaysLate: o.workingDaysLate,
      })),
    };
  }
}

/** One alert per party that owes overdue answers. */
export function overdueAlerts(report: Pick<AwaitingReport, 'perParty'>): Alert[] {
  return report.perParty.map(({ party, count }) => ({
    alert: 'answers-overdue' as const,
    destination: party,
    severity: 'warning' as const,
    text:
      count === 1
        ? `1 bericht wacht te lang op antwoord van ${party}`
        : `${count} berichten wachten te lang op antwoord van ${party}`,
  }));
}

function waitingOf(r: UnansweredHeen) {
  const gemeente = [r.afzender, r.ontvanger].find((c): c is string => c !== null && GEMEENTECODE.test(c));
  return {
    id: r.id,
    messageName: r.messageName,
    // The answer's clock starts when the heen left; one still queued counts from its arrival (the delay is ours).
    sentAt: r.deliveredAt ?? r.receivedAt,
    party: r.ontvanger ?? '',
    ...(gemeente ? { gemeente } : {}),
  };
}
