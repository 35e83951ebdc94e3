import { sameMessage } from '../history.ts';
import { berichtRef } from '../istandaarden/messages.ts';
import type { Rule, RuleViolation } from '../types.ts';
import { budgetsOf, isTkb } from './messages.ts';

/**
 * TR507 (iPgb, level 3, retourcode 9507): no next TKB on the same budget of the same client, (Afzender, Bsn,
 * BudgetIdentificatie), before the retour on the previous one has arrived. The rule reports it when given a
 * history; the running gateway does not reject on it but holds the next TKB back and releases it when the
 * retour arrives (standards.md §6.4; store/rules.ts `serialisedStatus`, pipeline/history.ts `HISTORY_RULES`).
 */
export const TR507: Rule = {
  code: 'TR507',
  retourcode: '9507',
  level: 3,
  title: 'Geen volgend bericht over hetzelfde budget voordat de retour op het vorige binnen is',
  appliesTo: isTkb,
  check({ root, history }) {
    const self = berichtRef(root);
    if (!history || !self) return [];
    const out: RuleViolation[] = [];
    for (const { identificatie, key } of budgetsOf(root)) {
      const pending = history.pendingRetour(key);
      if (!pending || sameMessage(self, pending)) continue;
      out.push({
        node: identificatie,
        text: `BudgetIdentificatie ${key.budget}: the retour on the earlier TKB ${pending.identificatie} of ${pending.dagtekening} for this client and budget has not arrived yet`,
      });
    }
    return out;
  },
};
