import { isUuidV4 } from '../../stuf/stuurgegevens.ts';
import { at } from '../../xml/tree.ts';
import type { Rule } from '../types.ts';

/**
 * IB009 (GGK chain rule, standards.md §4.6, §6.5): the referentienummer of a GGK envelope (Di01 and Du01) is a
 * UUID v4 the sender generated. StUF allows any string up to 40 characters; the chain does not. The GGK answers
 * a violation with an Fo01 carrying code IB009 (VECOZO: CC04), which is what the rule's retourcode names.
 */
export const IB009: Rule = {
  code: 'IB009',
  retourcode: 'IB009',
  level: 2,
  title: 'referentienummer is een UUID v4',
  appliesTo: (entry) =>
    entry.standard === 'ggk' && (entry.stufBerichtcode === 'Di01' || entry.stufBerichtcode === 'Du01'),
  check({ root }) {
    const node = at(root, 'stuurgegevens/referentienummer');
    if (!node || isUuidV4(node.text)) return [];
    return [
      { node, text: `referentienummer "${node.text}" is not a UUID v4 in lower case, which the GGK chain requires` },
    ];
  },
};
