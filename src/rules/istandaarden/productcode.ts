import { child, type XNode } from '../../xml/tree.ts';
import type { Rule } from '../types.ts';
import { forMessages, label, select } from './messages.ts';

/**
 * TR381 "ProductCode moet een code zijn die hoort bij de ProductCategorie" (level 4, S329): judged against the
 * operator's product list (validation.productList). Without a list, or for a standard the list does not
 * cover, the rule judges nothing: an unknown list must not reject every product. A Product without Code (an
 * aspecific toewijzing on the categorie only) has nothing to fit.
 */
export const TR381: Rule = {
  code: 'TR381',
  retourcode: 'S329',
  level: 4,
  title: 'ProductCode hoort bij de ProductCategorie (productcodelijst)',
  appliesTo: forMessages('301', '305', '307', '315', '317', '323'),
  check({ entry, root, products }) {
    const standard = entry.standard === 'iwmo' || entry.standard === 'ijw' ? entry.standard : undefined;
    if (!products || !standard || !products.covers(standard)) return [];
    const pairs: { owner: XNode; categorie: string; code: XNode }[] = [];
    for (const product of select(root, 'Product')) {
      const code = child(product, 'Code');
      if (code)
        pairs.push({ owner: product.parent ?? product, categorie: child(product, 'Categorie')?.text ?? '', code });
    }
    for (const prestatie of select(root, 'Prestatie')) {
      const code = child(prestatie, 'ProductCode');
      if (code) pairs.push({ owner: prestatie, categorie: child(prestatie, 'ProductCategorie')?.text ?? '', code });
    }
    return pairs
      .filter((p) => !products.fits(standard, p.categorie, p.code.text))
      .map((p) => ({
        node: p.code,
        text: `ProductCode ${p.code.text} of ${label(p.owner)} is not a code of ProductCategorie ${p.categorie} in the product list`,
      }));
  },
};
