import { child } from '../../xml/tree.ts';
import { isoDay } from '../istandaarden/dates.ts';
import { label, select } from '../istandaarden/messages.ts';
import type { Rule, RuleViolation } from '../types.ts';
import { isTkb } from './messages.ts';

/**
 * TKB001 (the gateway's own code; level 2, retourcode 0001): a withdrawal of a FunctieBudget is written as
 * FunctieBudgetBedrag 0 together with a FunctieBudgetPeriode whose Einddatum equals its Ingangsdatum
 * (standards.md §6.4). Either half without the other is inconsistent: a zero amount over a real period, or a
 * period of no length with money in it.
 */
export const TKB001: Rule = {
  code: 'TKB001',
  retourcode: '0001',
  level: 2,
  title: 'Intrekking: FunctieBudgetBedrag 0 precies dan als Einddatum gelijk is aan Ingangsdatum',
  appliesTo: isTkb,
  check({ root }) {
    const out: RuleViolation[] = [];
    for (const fb of select(root, 'Budget/FunctieBudget')) {
      const bedrag = child(fb, 'FunctieBudgetBedrag');
      const periode = child(fb, 'FunctieBudgetPeriode');
      const ingang = isoDay(child(periode, 'Ingangsdatum')?.text);
      const eind = isoDay(child(periode, 'Einddatum')?.text);
      if (!bedrag || !/^[+-]?\d+$/.test(bedrag.text) || !ingang) continue;
      const zero = Number(bedrag.text) === 0;
      const closedOnStart = eind !== undefined && eind === ingang;
      if (zero && !closedOnStart) {
        out.push({
          node: bedrag,
          text: `FunctieBudgetBedrag 0 of ${label(fb)} is a withdrawal, but its FunctieBudgetPeriode does not end on its Ingangsdatum ${ingang}`,
        });
      } else if (!zero && closedOnStart) {
        out.push({
          node: child(periode, 'Einddatum')!,
          text: `FunctieBudgetPeriode of ${label(fb)} ends on its Ingangsdatum ${ingang} (a withdrawal), but FunctieBudgetBedrag is not 0`,
        });
      }
    }
    return out;
  },
};
