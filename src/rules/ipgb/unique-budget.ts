import { label } from '../istandaarden/messages.ts';
import type { Rule, RuleViolation } from '../types.ts';
import { budgetsOf, isTkb } from './messages.ts';

/**
 * TR574 (iPgb, level 3, retourcode 9574): Afzender + Bsn + BudgetIdentificatie identify one budget. A TKB repeats
 * its budget's key whenever the situation changes (it holds the complete current situation), so what must be
 * unique is the budget itself: a BudgetIdentificatie of an Afzender belongs to one client, in this bericht and
 * across messages (the latter needs a history), and a bericht names each budget once.
 */
export const TR574: Rule = {
  code: 'TR574',
  retourcode: '9574',
  level: 3,
  title: 'Afzender, Bsn en BudgetIdentificatie zijn uniek',
  appliesTo: isTkb,
  check({ root, history }) {
    const out: RuleViolation[] = [];
    const seen = new Map<string, { bsn: string; client: string }>();
    for (const { client, identificatie, key } of budgetsOf(root)) {
      const earlier = seen.get(key.budget);
      if (earlier) {
        const same = earlier.bsn === key.bsn ? 'the same client' : 'another client';
        out.push({
          node: identificatie,
          text: `BudgetIdentificatie ${key.budget} of ${label(client)} is also in ${earlier.client} (${same})`,
        });
        continue;
      }
      seen.set(key.budget, { bsn: key.bsn, client: label(client) });
      if (history?.budgetHeldByAnotherClient(key)) {
        out.push({
          node: identificatie,
          text: `BudgetIdentificatie ${key.budget} of ${label(client)} is already used by this Afzender for another client`,
        });
      }
    }
    return out;
  },
};
