import { descendants } from '../../xml/tree.ts';
import { label } from '../istandaarden/messages.ts';
import type { Rule } from '../types.ts';
import { isIeb } from './messages.ts';

const ALLOWED = new Set(['1', '2', '3']);

/**
 * CS125: in iEb, StatusAanlevering is 1 (first delivery), 2 (changed) or 3 (delete). LDT_StatusAanlevering also
 * has 9 (not applicable, unchanged), which iEb does not allow (standards.md §6.3). A content rule (level 2), so
 * the answer is a retour with Header only and RetourCode 0001 (§6.1); EB001 lists no S-code for it.
 */
export const CS125: Rule = {
  code: 'CS125',
  retourcode: '0001',
  level: 2,
  title: 'StatusAanlevering is 1, 2 of 3',
  appliesTo: isIeb,
  check({ root }) {
    return descendants(root, 'StatusAanlevering')
      .filter((node) => !ALLOWED.has(node.text))
      .map((node) => ({
        node,
        text: `StatusAanlevering ${node.text} of ${node.parent ? label(node.parent) : 'the bericht'} is not allowed in iEb (only 1, 2 or 3)`,
      }));
  },
};
