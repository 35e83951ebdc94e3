import type { CatalogueEntry } from '../../catalogue/types.ts';
import { child, children, textAt, type XNode } from '../../xml/tree.ts';
import type { PeriodKey } from '../history.ts';

/**
 * The period class of each iEb 4.0 message and the prefix of its elements (standards.md §4.4, MODELLED):
 * WMO405 holds PeriodeEigenBijdrageAbo with Eb… elements, WMO407 the same pattern with Bw… elements; a retour
 * copies its heen's classes.
 */
export const IEB_PERIOD: Record<string, { heen: string; cls: string; prefix: 'Eb' | 'Bw' }> = {
  WMO405: { heen: 'WMO405', cls: 'PeriodeEigenBijdrageAbo', prefix: 'Eb' },
  WMO406: { heen: 'WMO405', cls: 'PeriodeEigenBijdrageAbo', prefix: 'Eb' },
  WMO407: { heen: 'WMO407', cls: 'PeriodeBeschermdWonen', prefix: 'Bw' },
  WMO408: { heen: 'WMO407', cls: 'PeriodeBeschermdWonen', prefix: 'Bw' },
};

/** Every iEb message, heen and retour. */
export function isIeb(entry: CatalogueEntry): boolean {
  return entry.standard === 'ieb';
}

/** The iEb heenberichten (WMO405, WMO407): what the gemeente delivers to the CAK. */
export function isIebHeen(entry: CatalogueEntry): boolean {
  return isIeb(entry) && entry.direction === 'heen';
}

/** One period class of a client, with the elements the rules read. */
export interface Period {
  node: XNode;
  /** The Bsn of the client the period belongs to. */
  bsn: string | undefined;
  nummer: XNode | undefined;
  startdatum: XNode | undefined;
  status: XNode | undefined;
  /** Name of the start date element: EbStartdatum or BwStartdatum. */
  startElement: string;
}

/** The period classes of an iEb bericht, in document order. */
export function periodsOf(entry: CatalogueEntry, root: XNode): Period[] {
  const spec = IEB_PERIOD[entry.name];
  if (!spec) return [];
  return children(root, 'Client').flatMap((client) =>
    children(client, spec.cls).map((node) => ({
      node,
      bsn: textAt(client, 'Bsn'),
      nummer: child(node, `${spec.prefix}StartNummer`),
      startdatum: child(node, `${spec.prefix}Startdatum`),
      status: child(node, 'StatusAanlevering'),
      startElement: `${spec.prefix}Startdatum`,
    })),
  );
}

/** The cross-message key of a period: heen message, Afzender (gemeente), Bsn and StartNummer. */
export function periodKey(entry: CatalogueEntry, root: XNode, period: Period): PeriodKey | undefined {
  const spec = IEB_PERIOD[entry.name];
  const afzender = textAt(root, 'Header/Afzender');
  const nummer = period.nummer?.text;
  if (!spec || !afzender || !period.bsn || !nummer) return undefined;
  return { message: spec.heen, afzender, bsn: period.bsn, nummer };
}
