import { at, child } from '../../xml/tree.ts';
import type { Rule } from '../types.ts';
import { forMessages, label, select } from './messages.ts';

/**
 * TR416 (323), read as: a credit Prestatie (IngediendBedrag/DebetCredit C) withdraws an earlier debit one, so
 * it names that Prestatie in ProductReferentie/VorigReferentieNummer.
 */
export const TR416: Rule = {
  code: 'TR416',
  retourcode: '0001',
  level: 2,
  title: 'Creditprestatie verwijst met VorigReferentieNummer naar de debetprestatie',
  appliesTo: forMessages('323'),
  check({ root }) {
    return select(root, 'Prestatie')
      .filter(
        (p) =>
          child(child(p, 'IngediendBedrag'), 'DebetCredit')?.text === 'C' &&
          !at(p, 'ProductReferentie/VorigReferentieNummer')?.text,
      )
      .map((node) => ({ node, text: `${label(node)} is a credit without VorigReferentieNummer` }));
  },
};
