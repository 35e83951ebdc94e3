import { child } from '../../xml/tree.ts';
import type { Rule } from '../types.ts';
import { forMessages, select } from './messages.ts';

/** LDT_AdresSoort 01 BRP-adres, 02 correspondentie-adres, 03 verblijfadres (04 tijdelijk verblijf does not count). */
const ADDRESS_KINDS = new Set(['01', '02', '03']);

/**
 * TR061 (301), read as: the Client's Contactgegevens hold at least one Contact of Soort 01, 02 or 03 that has
 * an Adres, so that the client can be found and written to.
 */
export const TR061: Rule = {
  code: 'TR061',
  retourcode: '0001',
  level: 2,
  title: 'Client heeft een adres van soort 01, 02 of 03',
  appliesTo: forMessages('301'),
  check({ root }) {
    return select(root, 'Client').flatMap((client) => {
      const contacts = select(client, 'Contactgegevens/Contact');
      if (contacts.some((c) => ADDRESS_KINDS.has(child(c, 'Soort')?.text ?? '') && child(c, 'Adres'))) return [];
      return [
        {
          node: child(client, 'Contactgegevens') ?? client,
          text: 'the Client has no Contact of Soort 01, 02 or 03 with an Adres',
        },
      ];
    });
  },
};
