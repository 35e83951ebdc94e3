import { child } from '../../xml/tree.ts';
import type { Rule } from '../types.ts';
import { forMessages, label, select } from './messages.ts';

/**
 * TR380 (317), read as: a TeWijzigenProduct changes the toewijzing from its GewensteIngangsdatum, so it states
 * what changes: an Einddatum, an Omvang or a Budget.
 */
export const TR380: Rule = {
  code: 'TR380',
  retourcode: '0001',
  level: 2,
  title: 'Te wijzigen product bevat een Einddatum, Omvang of Budget',
  appliesTo: forMessages('317'),
  check({ root }) {
    return select(root, 'TeWijzigenProduct')
      .filter((p) => !child(p, 'Einddatum') && !child(p, 'Omvang') && !child(p, 'Budget'))
      .map((node) => ({ node, text: `${label(node)} states no Einddatum, Omvang or Budget to change` }));
  },
};
