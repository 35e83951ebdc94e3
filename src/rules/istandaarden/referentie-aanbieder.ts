import { child, type XNode } from '../../xml/tree.ts';
import type { Rule, RuleViolation } from '../types.ts';
import { forMessages, label, select } from './messages.ts';

/**
 * TR383 (315), read as: ReferentieAanbieder identifies one aangevraagd product for the aanbieder, so it is
 * unique over the AangevraagdProducten of the bericht (across clients, unlike TR101's per-client key).
 */
export const TR383: Rule = {
  code: 'TR383',
  retourcode: '0001',
  level: 2,
  title: 'ReferentieAanbieder is uniek binnen het bericht',
  appliesTo: forMessages('315'),
  check({ root }) {
    const out: RuleViolation[] = [];
    const seen = new Map<string, XNode>();
    for (const node of select(root, 'AangevraagdProduct')) {
      const ref = child(node, 'ReferentieAanbieder')?.text;
      if (!ref) continue;
      const earlier = seen.get(ref);
      if (earlier) out.push({ node, text: `${label(node)} repeats the ReferentieAanbieder of ${label(earlier)}` });
      else seen.set(ref, node);
    }
    return out;
  },
};
