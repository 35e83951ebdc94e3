import { descendants } from '../../xml/tree.ts';
import type { Rule } from '../types.ts';
import { isIebOrIpgb, isIstandaard, label } from './messages.ts';

/** CS002 elfproef: (9·d1 + 8·d2 + … + 2·d8 − 1·d9) mod 11 = 0 over the nine digits of a Bsn. */
export function passesElfproef(bsn: string): boolean {
  if (!/^[0-9]{9}$/.test(bsn)) return false;
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += (9 - i) * Number(bsn[i]);
  sum -= Number(bsn[8]);
  return sum % 11 === 0;
}

/**
 * CS002: every Bsn in the bericht, wherever it sits (Client, and any nested class that carries one), satisfies
 * the elfproef. The Zorginstituut XSLT matches every element with local name Bsn, in every message. The check
 * is the same in iEb and iPgb (Client/Bsn, Relatie/Bsn), so the rule covers those standards too.
 */
export const CS002: Rule = {
  code: 'CS002',
  retourcode: '0001',
  level: 2,
  title: 'Bsn voldoet aan de elfproef',
  appliesTo: (entry) => isIstandaard(entry) || isIebOrIpgb(entry),
  check({ root }) {
    return descendants(root, 'Bsn')
      .filter((n) => !passesElfproef(n.text))
      .map((node) => ({ node, text: `Bsn in ${label(node.parent ?? node)} fails the elfproef` }));
  },
};
