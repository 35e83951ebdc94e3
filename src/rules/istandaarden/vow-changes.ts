import type { Rule } from '../types.ts';
import { forMessages, select } from './messages.ts';

/**
 * TR352 (317), read as: a Verzoek om wijziging asks for a change, so it holds at least one TeWijzigenProduct
 * or NieuwProduct (a Verzoek with only OngewijzigdeProducten changes nothing).
 */
export const TR352: Rule = {
  code: 'TR352',
  retourcode: '0001',
  level: 2,
  title: 'Verzoek om wijziging bevat een te wijzigen of nieuw product',
  appliesTo: forMessages('317'),
  check({ root }) {
    return select(root, 'Verzoek')
      .filter((v) => select(v, 'TeWijzigenProduct').length === 0 && select(v, 'NieuwProduct').length === 0)
      .map((node) => ({ node, text: 'the Verzoek has neither a TeWijzigenProduct nor a NieuwProduct' }));
  },
};
