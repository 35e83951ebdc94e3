import type { CatalogueEntry } from '../../catalogue/types.ts';
import { addMonths, calendarDay, isoDay } from '../istandaarden/dates.ts';
import type { Rule, RuleViolation } from '../types.ts';
import { periodsOf } from './messages.ts';

/**
 * The date windows of iEb (standards.md §6.3), judged against the system date:
 * - every start date lies at most 36 months back (iEb 4.0, EB001 9393 for EbStartdatum, 9395 for BwStartdatum);
 * - a new period (StatusAanlevering 1) starts at most 12 months back and at most 1 month ahead (iEb 1.0.3).
 * Changes and deletes (2, 3) are corrections and may go back the full 36 months.
 */
function startWindow(code: 'TR393' | 'TR395', message: string): Rule {
  return {
    code,
    retourcode: `9${code.slice(2)}`,
    level: 4,
    title: `${message === 'WMO405' ? 'EbStartdatum' : 'BwStartdatum'} binnen de termijnen (36 maanden terug; nieuw: 12 maanden terug, 1 maand vooruit)`,
    appliesTo: (entry: CatalogueEntry) => entry.standard === 'ieb' && entry.name === message,
    check({ entry, root, today }) {
      const now = calendarDay(today);
      const out: RuleViolation[] = [];
      for (const period of periodsOf(entry, root)) {
        const node = period.startdatum;
        const day = isoDay(node?.text);
        if (!node || !day) continue;
        const what = `${period.startElement} ${day} of ${period.node.name}`;
        if (day < addMonths(now, -36)) {
          out.push({ node, text: `${what} is more than 36 months before the system date ${now}` });
        } else if (period.status?.text === '1' && day < addMonths(now, -12)) {
          out.push({ node, text: `${what} is a new period more than 12 months before the system date ${now}` });
        }
        if (period.status?.text === '1' && day > addMonths(now, 1)) {
          out.push({ node, text: `${what} is a new period more than 1 month after the system date ${now}` });
        }
      }
      return out;
    },
  };
}

export const TR393 = startWindow('TR393', 'WMO405');
export const TR395 = startWindow('TR395', 'WMO407');
