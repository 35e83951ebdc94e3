import type { Rule } from '../types.ts';
import { dagtekeningOf, isoDay } from './dates.ts';
import { label, messageNumber, select } from './messages.ts';

/**
 * TR134 "Vullen met een bestaande datum die niet groter is dan de Dagtekening van het bericht" is set on
 * specific elements, not on every date: dates that record something that has already happened when the
 * bericht is made (a birth, the moment a toewijzing was fixed, a delivery that started or stopped, a declared
 * period that began). Planned dates (Ingangsdatum, ToewijzingEinddatum, GewensteIngangsdatum …) may lie in the
 * future. The element list is the one of the Zorginstituut XSLT for iWmo 3.2 (the iJw messages have the same
 * element names); Beschikking/Afgiftedatum in that XSLT belongs to an older release and has no 3.2 element.
 */
export const TR134_ELEMENTS: Record<string, string[]> = {
  '301': ['Client/Geboortedatum/Datum', 'Relatie/Geboortedatum/Datum', 'ToegewezenProduct/Toewijzingsdatum'],
  '305': ['Client/Geboortedatum/Datum', 'StartProduct/Begindatum'],
  '307': ['Client/Geboortedatum/Datum', 'StopProduct/Einddatum'],
  '315': ['Client/Geboortedatum/Datum'],
  '323': ['DeclaratiePeriode/Begindatum', 'ProductPeriode/Begindatum'],
  '325': ['ProductPeriode/Begindatum'],
};

export const TR134: Rule = {
  code: 'TR134',
  retourcode: '0001',
  level: 2,
  title: 'Datum niet groter dan de Dagtekening van het bericht',
  appliesTo: (entry) => TR134_ELEMENTS[messageNumber(entry) ?? ''] !== undefined,
  check({ entry, root }) {
    const dagtekening = dagtekeningOf(root);
    const tails = TR134_ELEMENTS[messageNumber(entry) ?? ''];
    if (!dagtekening || !tails) return [];
    return tails.flatMap((tail) =>
      select(root, tail).flatMap((node) => {
        const day = isoDay(node.text);
        if (!day || day <= dagtekening.day) return [];
        const steps = tail.split('/');
        const owner = node.name === 'Datum' ? node.parent?.parent : node.parent;
        const what = node.name === 'Datum' ? steps[steps.length - 2]! : node.name;
        // A Geboortedatum is personal data: name the element, not the value.
        const value = what === 'Geboortedatum' ? '' : ` ${day}`;
        return [
          {
            node,
            text: `${what}${value} of ${owner ? label(owner) : tail} is after the Dagtekening ${dagtekening.day}`,
          },
        ];
      }),
    );
  },
};
