import { child } from '../../xml/tree.ts';
import type { Rule } from '../types.ts';
import { forMessages, label, select } from './messages.ts';

/** Codes that do not reject: no remark, not assessed. */
const NOT_REJECTING = new Set(['0200', '0233']);

/**
 * TR342 (325): a 325 lists only rejected Prestaties (standards.md §6.1), so every Prestatie carries a
 * RetourCode that rejects it (anything but 0200 and 0233).
 */
export const TR342: Rule = {
  code: 'TR342',
  retourcode: '0001',
  level: 2,
  title: 'Declaratieantwoord bevat alleen afgewezen prestaties',
  appliesTo: forMessages('325'),
  check({ root }) {
    return select(root, 'Prestatie')
      .filter(
        (p) =>
          !(child(p, 'RetourCodes')?.children ?? []).some((c) => c.name === 'RetourCode' && !NOT_REJECTING.has(c.text)),
      )
      .map((node) => ({
        node,
        text: `${label(node)} of ${node.parent?.parent ? label(node.parent.parent) : 'the answer'} is listed without a rejecting RetourCode`,
      }));
  },
};
