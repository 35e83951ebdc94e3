import { child } from '../../xml/tree.ts';
import type { Rule } from '../types.ts';
import { addYears, dagtekeningOf, isoDay } from './dates.ts';
import { forMessages, label, select } from './messages.ts';

/** An unknown Geboortedatum is written as 1900-01-01 with DatumGebruik 3 (dag, maand en jaar onbekend). */
const UNKNOWN = '1900-01-01';

/**
 * TR002: "Geboortedatum mag niet meer dan 120 jaar voor de Dagtekening liggen, tenzij Geboortedatum onbekend
 * is" — every Geboortedatum/Datum (the client's and a Relatie's), as in the Zorginstituut XSLT. Exactly 120
 * years before the Dagtekening is still allowed.
 */
export const TR002: Rule = {
  code: 'TR002',
  retourcode: '0001',
  level: 2,
  title: 'Geboortedatum niet meer dan 120 jaar voor de Dagtekening',
  appliesTo: forMessages('301', '305', '307', '315'),
  check({ root }) {
    const dagtekening = dagtekeningOf(root);
    if (!dagtekening) return [];
    return select(root, 'Geboortedatum/Datum').flatMap((node) => {
      const day = isoDay(node.text);
      if (!day) return [];
      if (day === UNKNOWN && child(node.parent, 'DatumGebruik')?.text === '3') return [];
      if (addYears(day, 120) >= dagtekening.day) return [];
      const owner = node.parent?.parent;
      return [
        {
          node,
          text: `Geboortedatum ${owner ? `of ${label(owner)} ` : ''}is more than 120 years before the Dagtekening ${dagtekening.day}`,
        },
      ];
    });
  },
};
