import type { Rule } from '../types.ts';
import { forMessages } from './messages.ts';
import { overlappingProducts } from './product-overlap.ts';

/**
 * TR302 (301): a ToegewezenProduct with the same Product (Categorie + Code) as another one of the client may
 * only be repeated with a non-overlapping period (Ingangsdatum–Einddatum).
 */
export const TR302: Rule = {
  code: 'TR302',
  retourcode: '0001',
  level: 2,
  title: 'Herhaald toegewezen product alleen met niet-overlappende perioden',
  appliesTo: forMessages('301'),
  check: ({ root }) =>
    overlappingProducts(root, { owner: 'ToegewezenProduct', start: 'Ingangsdatum', end: 'Einddatum' }),
};
