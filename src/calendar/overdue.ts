import { z } from 'zod';
import {
  type AnswerDeadline,
  answerDeadline,
  DEFAULT_DEADLINES,
  type DeadlineConfig,
  isOverdue,
  workingDaysBetween,
} from './working-days.ts';

/**
 * The pure part of "Wacht op antwoord" (standards.md §5 Expectations, OP090): which sent berichten have not
 * been answered in time, grouped per party and per gemeente. The store supplies the berichten still waiting;
 * beheer, the metric and the alert read the result.
 */
export interface AwaitingAnswer {
  /** The bericht's id in the store. */
  id: string;
  /** WMO301, JW323 … */
  messageName: string;
  /** When it was delivered (or accepted, for the gateway's own answers). */
  sentAt: Date;
  /** The party that owes the answer (AGB code, gemeentecode, CAK, SVB). */
  party: string;
  /** The gemeente the bericht concerns, when there is one. */
  gemeente?: string;
}

export interface OverdueAnswer extends AwaitingAnswer {
  deadline: AnswerDeadline;
  /** Working days past the deadline's last working day (0 on the first late day that is not a working day). */
  workingDaysLate: number;
}

/** The berichten whose answer is overdue at `now`, most overdue first. */
export function overdueAnswers(
  waiting: AwaitingAnswer[],
  now: Date,
  config: DeadlineConfig = DEFAULT_DEADLINES,
): OverdueAnswer[] {
  const out: OverdueAnswer[] = [];
  for (const w of waiting) {
    const deadline = answerDeadline(w.messageName, w.sentAt, config);
    if (!deadline || !isOverdue(deadline, now)) continue;
    // The deadline is the midnight that ends the last allowed day; one ms before it is still that day.
    out.push({
      ...w,
      deadline,
      workingDaysLate: workingDaysBetween(new Date(deadline.due.getTime() - 1), now, config),
    });
  }
  return out.sort((a, b) => a.deadline.due.getTime() - b.deadline.due.getTime());
}

/** Overdue answers per party or per gemeente (berichten without a gemeente under ""). */
export function groupOverdue(list: OverdueAnswer[], by: 'party' | 'gemeente'): Map<string, OverdueAnswer[]> {
  const out = new Map<string, OverdueAnswer[]>();
  for (const o of list) {
    const key = (by === 'party' ? o.party : o.gemeente) ?? '';
    out.set(key, [...(out.get(key) ?? []), o]);
  }
  return out;
}

const workingDays = z.number().int().min(1).max(60);

/**
 * The configuration section for answer deadlines, ready to be added to the gateway's config schema as
 * `deadlines`. Defaults: 3 working days for every heen of iWmo, iJw, iEb and iPgb, 10 for a 323; Bevrijdingsdag
 * every year.
 */
export const deadlinesConfigSchema = z
  .strictObject({
    liberationDay: z
      .enum(['every-year', 'lustrum'])
      .default('every-year')
      .describe('Bevrijdingsdag (5 May) as a holiday every year, or only in lustrum years'),
    retourWithin: z
      .strictObject({
        iwmo: workingDays.optional().describe('iWmo: working days within which a heenbericht expects its retour'),
        ijw: workingDays.optional().describe('iJw: working days within which a heenbericht expects its retour'),
        ieb: workingDays.optional().describe('iEb: working days within which a heenbericht expects its retour'),
        ipgb: workingDays.optional().describe('iPgb: working days within which a heenbericht expects its retour'),
      })
      .default({ iwmo: 3, ijw: 3, ieb: 3, ipgb: 3 })
      .describe('Working days per standard within which a heenbericht expects its retour (OP090: 3)'),
    byMessage: z
      .record(z.string().regex(/^[A-Z]+[0-9]{3}$/), workingDays)
      .default({ WMO323: 10, JW323: 10 })
      .describe('Working days per message name, over the standard (a 323 expects its 325 within 10)'),
  })
  .prefault({});

export type DeadlinesConfig = z.infer<typeof deadlinesConfigSchema>;

/** The calendar's DeadlineConfig from the config section. */
export function deadlineConfigOf(c: DeadlinesConfig): DeadlineConfig {
  const retourWithin = Object.fromEntries(
    Object.entries(c.retourWithin).filter(([, v]) => v !== undefined),
  ) as DeadlineConfig['retourWithin'];
  return { liberationDay: c.liberationDay, retourWithin, byMessage: c.byMessage };
}
