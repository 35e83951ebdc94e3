import { child } from '../../xml/tree.ts';
import type { Rule } from '../types.ts';
import { signedAmount } from './amounts.ts';
import { forMessages, select } from './messages.ts';

/**
 * TR315 (323), read as: TotaalIngediendBedrag/TotaalBedrag is the sum of the IngediendBedragen of all
 * Prestaties, debit minus credit, as an absolute amount (its sign is TR316's).
 */
export const TR315: Rule = {
  code: 'TR315',
  retourcode: '0001',
  level: 2,
  title: 'TotaalIngediendBedrag is de som van de ingediende bedragen',
  appliesTo: forMessages('323'),
  check({ root }) {
    return select(root, 'Declaratie').flatMap((declaratie) => {
      const totaal = child(declaratie, 'TotaalIngediendBedrag');
      const bedrag = child(totaal, 'TotaalBedrag');
      if (!totaal || !bedrag || !/^[0-9]+$/.test(bedrag.text)) return [];
      const sum = sumOfPrestaties(declaratie);
      if (sum === undefined || Math.abs(sum) === Number(bedrag.text)) return [];
      return [
        {
          node: bedrag,
          text: `TotaalBedrag ${bedrag.text} is not the sum of the IngediendBedragen (${Math.abs(sum)})`,
        },
      ];
    });
  },
};

/** Debit minus credit over the Prestaties of a Declaratie; undefined when an amount cannot be read. */
export function sumOfPrestaties(declaratie: Parameters<typeof select>[0]): number | undefined {
  let sum = 0;
  for (const p of select(declaratie, 'Prestatie')) {
    const a = signedAmount(child(p, 'IngediendBedrag'), 'Bedrag');
    if (a === undefined) return undefined;
    sum += a;
  }
  return sum;
}
