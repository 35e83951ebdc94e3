import type { CatalogueEntry } from '../../catalogue/types.ts';
import { at, child, children, textAt, type XNode } from '../../xml/tree.ts';
import type { BudgetKey } from '../history.ts';

/** Every iPgb message (TKB 501/502, BAB 507/508, WMO and JW). */
export function isIpgb(entry: CatalogueEntry): boolean {
  return entry.standard === 'ipgb';
}

/** The toekenning pgb (TKB, WMO501/JW501): gemeente → SVB. */
export function isTkb(entry: CatalogueEntry): boolean {
  return isIpgb(entry) && /^(WMO|JW)501$/.test(entry.name);
}

/** The retour on a TKB (WMO502/JW502): it copies the TKB's header, so its BerichtIdentificatie names the TKB. */
export function isTkbRetour(entry: CatalogueEntry): boolean {
  return isIpgb(entry) && /^(WMO|JW)502$/.test(entry.name);
}

/** One client's budget in a TKB, with its cross-message key. */
export interface ClientBudget {
  client: XNode;
  budget: XNode;
  /** The BudgetIdentificatie element. */
  identificatie: XNode;
  key: BudgetKey;
}

/** The budgets of a TKB (or of its retour's copied classes) keyed by (Afzender, Bsn, BudgetIdentificatie). */
export function budgetsOf(root: XNode): ClientBudget[] {
  const afzender = textAt(root, 'Header/Afzender');
  if (!afzender) return [];
  return children(root, 'Client').flatMap((client) => {
    const bsn = textAt(client, 'Bsn');
    const budget = child(client, 'Budget');
    const identificatie = at(budget, 'BudgetIdentificatie');
    if (!bsn || !budget || !identificatie?.text) return [];
    return [{ client, budget, identificatie, key: { afzender, bsn, budget: identificatie.text } }];
  });
}
