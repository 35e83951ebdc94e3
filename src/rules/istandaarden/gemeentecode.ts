import { child, descendants, type XNode } from '../../xml/tree.ts';
import type { Rule, RuleViolation } from '../types.ts';
import { calendarDay, dagtekeningOf, dayToDate, isoDay } from './dates.ts';
import { bodyOf, forMessages, headerParties, LDT_GEMEENTE } from './messages.ts';

/**
 * TR378 "Vullen met een bestaande gemeentecode uit het overzicht van CBS dat actueel is op Ingangsdatum of
 * ToewijzingIngangsdatum", retourcode S300. Checked are the elements of type LDT_Gemeente: Header/Afzender or
 * Header/Ontvanger on the gemeente's side, and in the body Woonplaatsbeginsel/Gemeente (JW319, the only body
 * element of that type in 3.2).
 *
 * The code must be in the CBS list on the Dagtekening. The rule's toelichting allows, after a herindeling, an
 * older list that was current on the Ingangsdatum of a ToegewezenProduct or the ToewijzingIngangsdatum of an
 * AangevraagdProduct, so a code valid on any such date of the bericht also passes.
 */
export const TR378: Rule = {
  code: 'TR378',
  retourcode: 'S300',
  level: 4,
  title: 'Gemeentecode komt voor in de CBS-lijst die geldig is op de relevante datum',
  appliesTo: forMessages('301', '305', '307', '315', '317', '319', '323', '325'),
  check({ entry, root, today, gemeenten }) {
    const header = child(root, 'Header');
    const parties = headerParties(entry);
    const body = bodyOf(root);
    const nodes = [
      parties.afzender === 'gemeente' ? child(header, 'Afzender') : undefined,
      parties.ontvanger === 'gemeente' ? child(header, 'Ontvanger') : undefined,
      ...body.flatMap((cls) => descendants(cls, 'Gemeente')),
    ].filter((n): n is XNode => n !== undefined);

    const reference = dagtekeningOf(root)?.day ?? calendarDay(today);
    // The other days only for a code the reference day's list lacks: almost every code is found on that day.
    let days: string[] | undefined;
    const out: RuleViolation[] = [];
    for (const node of nodes) {
      // A code of the wrong shape is the header rule's (and the XSD's) finding, not a CBS lookup.
      if (!LDT_GEMEENTE.test(node.text)) continue;
      if (gemeenten.isValid(node.text, dayToDate(reference))) continue;
      days ??= otherDays(body, reference);
      if (days.some((d) => gemeenten.isValid(node.text, dayToDate(d)))) continue;
      out.push({
        node,
        text: `gemeentecode ${node.text} in ${node.name} is not in the CBS gemeente list (${gemeenten.edition}) valid on ${reference}`,
      });
    }
    return out;
  },
};

/** The Ingangsdatum and ToewijzingIngangsdatum days of the body other than `reference`, each once, in order. */
function otherDays(body: XNode[], reference: string): string[] {
  const alternatives = body
    .flatMap((cls) => [...descendants(cls, 'Ingangsdatum'), ...descendants(cls, 'ToewijzingIngangsdatum')])
    .map((n) => isoDay(n.text))
    .filter((d): d is string => d !== undefined && d !== reference);
  return [...new Set(alternatives)];
}
