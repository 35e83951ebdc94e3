import type { Rule } from '../types.ts';
import { forMessages } from './messages.ts';
import { overlappingProducts } from './product-overlap.ts';

/**
 * TR410 (317): a NieuwProduct with the same Product (Categorie + Code) as another one in the Verzoek may only
 * be repeated with a non-overlapping period (GewensteIngangsdatum–Einddatum).
 */
export const TR410: Rule = {
  code: 'TR410',
  retourcode: '0001',
  level: 2,
  title: 'Herhaald nieuw product alleen met niet-overlappende perioden',
  appliesTo: forMessages('317'),
  check: ({ root }) =>
    overlappingProducts(root, { owner: 'NieuwProduct', start: 'GewensteIngangsdatum', end: 'Einddatum' }),
};
