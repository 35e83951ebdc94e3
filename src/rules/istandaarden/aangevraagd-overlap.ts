import type { Rule } from '../types.ts';
import { forMessages } from './messages.ts';
import { overlappingProducts } from './product-overlap.ts';

/**
 * TR386 (315): an AangevraagdProduct with the same Product (Categorie + Code) as another one of the client
 * may only be repeated with a non-overlapping period (ToewijzingIngangsdatum–ToewijzingEinddatum).
 */
export const TR386: Rule = {
  code: 'TR386',
  retourcode: '0001',
  level: 2,
  title: 'Herhaald aangevraagd product alleen met niet-overlappende perioden',
  appliesTo: forMessages('315'),
  check: ({ root }) =>
    overlappingProducts(root, {
      owner: 'AangevraagdProduct',
      start: 'ToewijzingIngangsdatum',
      end: 'ToewijzingEinddatum',
    }),
};
