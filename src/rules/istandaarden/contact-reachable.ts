import { child } from '../../xml/tree.ts';
import type { Rule } from '../types.ts';
import { forMessages, label, select } from './messages.ts';

/**
 * TR006 (301), read as: every Contact (the client's and a Relatie's) makes the person reachable, so it holds
 * at least one of Adres, Telefoon or Emailadres; a Contact with only its Soort cannot be used.
 */
export const TR006: Rule = {
  code: 'TR006',
  retourcode: '0001',
  level: 2,
  title: 'Contact bevat een adres, telefoonnummer of e-mailadres',
  appliesTo: forMessages('301'),
  check({ root }) {
    return select(root, 'Contact')
      .filter((c) => !child(c, 'Adres') && !child(c, 'Telefoon') && !child(c, 'Emailadres'))
      .map((node) => {
        // Client/Contactgegevens/Contact or Relatie/Contact.
        const owner = node.parent?.name === 'Contactgegevens' ? node.parent.parent : node.parent;
        return {
          node,
          text: `${label(node)} of ${owner ? label(owner) : 'the client'} has no Adres, Telefoon or Emailadres`,
        };
      });
  },
};
