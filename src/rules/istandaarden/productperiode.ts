import { at, child } from '../../xml/tree.ts';
import type { Rule, RuleViolation } from '../types.ts';
import { isoDay } from './dates.ts';
import { forMessages, label, select } from './messages.ts';

/** TR335 (323), read as: the ProductPeriode of every Prestatie lies within the DeclaratiePeriode. */
export const TR335: Rule = {
  code: 'TR335',
  retourcode: '0001',
  level: 2,
  title: 'ProductPeriode ligt binnen de DeclaratiePeriode',
  appliesTo: forMessages('323'),
  check({ root }) {
    const out: RuleViolation[] = [];
    for (const declaratie of select(root, 'Declaratie')) {
      const from = isoDay(at(declaratie, 'DeclaratiePeriode/Begindatum')?.text);
      const until = isoDay(at(declaratie, 'DeclaratiePeriode/Einddatum')?.text);
      // An inverted DeclaratiePeriode is TR137's finding; no Prestatie can lie within it.
      if (!from || !until || until < from) continue;
      for (const prestatie of select(declaratie, 'Prestatie')) {
        const periode = child(prestatie, 'ProductPeriode');
        const begin = isoDay(child(periode, 'Begindatum')?.text);
        const end = isoDay(child(periode, 'Einddatum')?.text);
        if (!periode || (begin && begin < from) || (end && end > until)) {
          out.push({
            node: periode ?? prestatie,
            text: `ProductPeriode of ${label(prestatie)} is not within the DeclaratiePeriode ${from}–${until}`,
          });
        }
      }
    }
    return out;
  },
};
