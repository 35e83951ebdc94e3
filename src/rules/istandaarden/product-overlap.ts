import { at, child, type XNode } from '../../xml/tree.ts';
import type { RuleViolation } from '../types.ts';
import { isoDay } from './dates.ts';
import { label, select } from './messages.ts';

/** A product class with a period: where its product and its start and end dates are (paths relative to it). */
export interface ProductPeriod {
  owner: string;
  start: string;
  end: string;
}

/**
 * The shared check of TR302, TR386 and TR410 ("een product mag niet in overlappende perioden herhaald
 * worden"): two classes of the same client with the same Product (Categorie + Code) may not have overlapping
 * periods. An absent end date is an open period (until forever). A class without Product (a budget for an
 * aspecific toewijzing) has no product to repeat and is not compared.
 */
export function overlappingProducts(root: XNode, p: ProductPeriod): RuleViolation[] {
  const out: RuleViolation[] = [];
  const byClient = new Map<XNode | null, { node: XNode; key: string; start: string; end: string }[]>();
  for (const node of select(root, p.owner)) {
    const product = child(node, 'Product');
    const start = isoDay(child(node, p.start)?.text);
    if (!product || !start) continue;
    const key = `${at(product, 'Categorie')?.text ?? ''}/${at(product, 'Code')?.text ?? ''}`;
    const end = isoDay(child(node, p.end)?.text) ?? '9999-12-31';
    const client = clientOf(node);
    const earlier = byClient.get(client) ?? [];
    const clash = earlier.find((e) => e.key === key && e.start <= end && start <= e.end);
    if (clash) {
      out.push({
        node,
        text: `${label(node)} repeats the product ${key} of ${label(clash.node)} in an overlapping period`,
      });
    }
    earlier.push({ node, key, start, end });
    byClient.set(client, earlier);
  }
  return out;
}

/** The Client element a class belongs to (null when it has none). */
export function clientOf(node: XNode): XNode | null {
  for (let n: XNode | null = node.parent; n; n = n.parent) if (n.name === 'Client') return n;
  return null;
}
