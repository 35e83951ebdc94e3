import { at, type XNode } from '../../xml/tree.ts';
import type { Rule, RuleViolation } from '../types.ts';
import { forMessages, label, select } from './messages.ts';

/**
 * TR358 (323), read as: ProductReferentie/ReferentieNummer identifies one Prestatie, so it is unique over all
 * Prestaties of the declaratie (TR101 compares ReferentieNummer with VorigReferentieNummer per client).
 */
export const TR358: Rule = {
  code: 'TR358',
  retourcode: '0001',
  level: 2,
  title: 'ReferentieNummer van een prestatie is uniek binnen de declaratie',
  appliesTo: forMessages('323'),
  check({ root }) {
    const out: RuleViolation[] = [];
    const seen = new Map<string, XNode>();
    for (const node of select(root, 'Prestatie')) {
      const ref = at(node, 'ProductReferentie/ReferentieNummer')?.text;
      if (!ref) continue;
      const earlier = seen.get(ref);
      if (earlier)
        out.push({
          node,
          text: `${label(node)} repeats ReferentieNummer ${ref} of ${label(earlier)}${earlier.parent === node.parent ? '' : ' (other client)'}`,
        });
      else seen.set(ref, node);
    }
    return out;
  },
};
