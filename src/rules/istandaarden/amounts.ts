import { child, type XNode } from '../../xml/tree.ts';

/**
 * An amount with its DebetCredit indication (CDT_BedragMetDC: Bedrag, CDT_TotaalBedragMetDC: TotaalBedrag) as a
 * signed number of cents: debit positive, credit negative. Undefined when either part is missing or malformed.
 */
export function signedAmount(node: XNode | undefined, amount: 'Bedrag' | 'TotaalBedrag'): number | undefined {
  const text = child(node, amount)?.text;
  const dc = child(node, 'DebetCredit')?.text;
  if (!text || !/^[0-9]+$/.test(text) || (dc !== 'D' && dc !== 'C')) return undefined;
  return dc === 'C' ? -Number(text) : Number(text);
}
