import type { CatalogueEntry } from '../../catalogue/types.ts';
import { label, select } from '../istandaarden/messages.ts';
import type { Rule } from '../types.ts';

/** The amount elements (euro cents) of iPgb and iEb (standards.md §4.4). FunctieBudgetBesteed is also a class name. */
const AMOUNTS = [
  'FunctieBudget/FunctieBudgetBedrag',
  'FunctieBudget/VerantwoordingsvrijBedrag',
  'FunctieBudgetBesteed/FunctieBudgetBesteed',
  'FunctieBudgetBesteed/VerantwoordingsvrijBedragBesteed',
  'FunctieBudgetBesteed/ZiekengeldBesteed',
  'EbKostprijs/KostprijsBedrag',
  'BwKostprijs/KostprijsBedrag',
];

/**
 * BDR001 (the gateway's own code; level 2, retourcode 0001): amounts are euro cents and never negative. The
 * project's modelled packs type them as LDT_Bedrag (0 … 99999999), so there the XSD rejects a negative amount
 * first; the rule keeps the fact when an official pack types amounts differently (e.g. signed).
 */
export const BDR001: Rule = {
  code: 'BDR001',
  retourcode: '0001',
  level: 2,
  title: 'Bedragen (eurocenten) zijn niet negatief',
  appliesTo: (entry: CatalogueEntry) => entry.standard === 'ipgb' || entry.standard === 'ieb',
  check({ root }) {
    return AMOUNTS.flatMap((tail) => select(root, tail))
      .filter((node) => /^-\d+$/.test(node.text) && Number(node.text) < 0)
      .map((node) => ({
        node,
        text: `${node.name} of ${node.parent ? label(node.parent) : 'the bericht'} is negative (${node.text} cents)`,
      }));
  },
};
