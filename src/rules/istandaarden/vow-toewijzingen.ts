import { child, type XNode } from '../../xml/tree.ts';
import type { Rule, RuleViolation } from '../types.ts';
import { forMessages, label, select } from './messages.ts';

/**
 * TR353 (317), read as: the product set of a Verzoek om wijziging names each existing toewijzing once, so a
 * ToewijzingNummer occurs in only one OngewijzigdProduct or TeWijzigenProduct of the Verzoek.
 */
export const TR353: Rule = {
  code: 'TR353',
  retourcode: '0001',
  level: 2,
  title: 'Toewijzing komt één keer voor in de productset van het verzoek',
  appliesTo: forMessages('317'),
  check({ root }) {
    const out: RuleViolation[] = [];
    for (const verzoek of select(root, 'Verzoek')) {
      const seen = new Map<string, XNode>();
      for (const node of [...select(verzoek, 'OngewijzigdProduct'), ...select(verzoek, 'TeWijzigenProduct')]) {
        const nr = child(node, 'ToewijzingNummer')?.text;
        if (!nr) continue;
        const earlier = seen.get(nr);
        if (earlier)
          out.push({ node, text: `${label(node)} names ToewijzingNummer ${nr} that ${label(earlier)} already names` });
        else seen.set(nr, node);
      }
    }
    return out;
  },
};
