import { child } from '../../xml/tree.ts';
import type { Rule } from '../types.ts';
import { sumOfPrestaties } from './declaratie-totaal.ts';
import { forMessages, select } from './messages.ts';

/**
 * TR316 (323), read as: the DebetCredit of TotaalIngediendBedrag follows the sum of the Prestaties: D when
 * debit minus credit is positive, C when negative (a zero total may carry either).
 */
export const TR316: Rule = {
  code: 'TR316',
  retourcode: '0001',
  level: 2,
  title: 'DebetCredit van het totaal volgt uit de som van de prestaties',
  appliesTo: forMessages('323'),
  check({ root }) {
    return select(root, 'Declaratie').flatMap((declaratie) => {
      const dc = child(child(declaratie, 'TotaalIngediendBedrag'), 'DebetCredit');
      const sum = sumOfPrestaties(declaratie);
      if (!dc || sum === undefined || sum === 0) return [];
      const wanted = sum > 0 ? 'D' : 'C';
      if (dc.text === wanted) return [];
      return [
        {
          node: dc,
          text: `TotaalIngediendBedrag is marked ${dc.text}, but the Prestaties add up to ${wanted === 'D' ? 'a debit' : 'a credit'}`,
        },
      ];
    });
  },
};
