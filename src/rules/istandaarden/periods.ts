import type { CatalogueEntry } from '../../catalogue/types.ts';
import { child, type XNode } from '../../xml/tree.ts';
import type { Rule, RuleViolation } from '../types.ts';
import { dagtekeningOf, isoDay } from './dates.ts';
import { label, messageNumber, select } from './messages.ts';

/** A class with a start and an end date: the end may not lie before the start. */
interface Pair {
  /** The class that holds both dates, as a tail of local names. */
  owner: string;
  start: string;
  end: string;
}

/**
 * "Einddatum ≥ begin" is not one rule in the standard: the same check carries a different code per class
 * (Zorginstituut XSLT iWmo 3.2; the iJw messages use the same element names and codes):
 * - TR018 "Einddatum moet groter dan of gelijk zijn aan Begindatum": StopProduct in 307.
 * - CS003 "…groter is dan, of gelijk is aan de Begindatum (of Ingangsdatum) van de aangeduide periode":
 *   ToegewezenProduct and Contact/Periode in 301, AangevraagdProduct (ToewijzingIngangsdatum/ToewijzingEinddatum)
 *   in 315, TeWijzigenProduct and NieuwProduct (GewensteIngangsdatum/Einddatum) in 317.
 * - TR137 "…groter is dan, of gelijk is aan de Begindatum van de aangeduide periode én niet groter dan de
 *   Dagtekening": DeclaratiePeriode and ProductPeriode in 323, ProductPeriode in 325.
 * The 305/307 ToewijzingIngangsdatum has no end date beside it, so no pair there. A pair with one of its dates
 * absent (an open Periode) is not checked.
 */
const TR018_PAIRS: Record<string, Pair[]> = {
  '307': [{ owner: 'StopProduct', start: 'Begindatum', end: 'Einddatum' }],
};

const CS003_PAIRS: Record<string, Pair[]> = {
  '301': [
    { owner: 'ToegewezenProduct', start: 'Ingangsdatum', end: 'Einddatum' },
    { owner: 'Contact/Periode', start: 'Begindatum', end: 'Einddatum' },
  ],
  '315': [{ owner: 'AangevraagdProduct', start: 'ToewijzingIngangsdatum', end: 'ToewijzingEinddatum' }],
  '317': [
    { owner: 'TeWijzigenProduct', start: 'GewensteIngangsdatum', end: 'Einddatum' },
    { owner: 'NieuwProduct', start: 'GewensteIngangsdatum', end: 'Einddatum' },
  ],
};

const TR137_PAIRS: Record<string, Pair[]> = {
  '323': [
    { owner: 'DeclaratiePeriode', start: 'Begindatum', end: 'Einddatum' },
    { owner: 'ProductPeriode', start: 'Begindatum', end: 'Einddatum' },
  ],
  '325': [{ owner: 'ProductPeriode', start: 'Begindatum', end: 'Einddatum' }],
};

function pairsFor(table: Record<string, Pair[]>, entry: CatalogueEntry): Pair[] {
  return table[messageNumber(entry) ?? ''] ?? [];
}

function ownerLabel(owner: XNode): string {
  return owner.name.endsWith('Periode')
    ? `${owner.name} of ${owner.parent ? label(owner.parent) : 'the bericht'}`
    : label(owner);
}

function endBeforeStart(root: XNode, pairs: Pair[]): RuleViolation[] {
  return pairs.flatMap((p) =>
    select(root, p.owner).flatMap((owner) => {
      const endNode = child(owner, p.end);
      const start = isoDay(child(owner, p.start)?.text);
      const end = isoDay(endNode?.text);
      if (!endNode || !start || !end || end >= start) return [];
      return [{ node: endNode, text: `${p.end} ${end} of ${ownerLabel(owner)} is before its ${p.start} ${start}` }];
    }),
  );
}

export const TR018: Rule = {
  code: 'TR018',
  retourcode: '0001',
  level: 2,
  title: 'Einddatum groter dan of gelijk aan Begindatum',
  appliesTo: (entry) => pairsFor(TR018_PAIRS, entry).length > 0,
  check: ({ entry, root }) => endBeforeStart(root, pairsFor(TR018_PAIRS, entry)),
};

export const CS003: Rule = {
  code: 'CS003',
  retourcode: '0001',
  level: 2,
  title: 'Einddatum groter dan of gelijk aan de begindatum (ingangsdatum) van de periode',
  appliesTo: (entry) => pairsFor(CS003_PAIRS, entry).length > 0,
  check: ({ entry, root }) => endBeforeStart(root, pairsFor(CS003_PAIRS, entry)),
};

export const TR137: Rule = {
  code: 'TR137',
  retourcode: '0001',
  level: 2,
  title: 'Einddatum van de periode niet voor de Begindatum en niet na de Dagtekening',
  appliesTo: (entry) => pairsFor(TR137_PAIRS, entry).length > 0,
  check({ entry, root }) {
    const pairs = pairsFor(TR137_PAIRS, entry);
    const out = endBeforeStart(root, pairs);
    const dagtekening = dagtekeningOf(root);
    if (!dagtekening) return out;
    for (const p of pairs) {
      for (const owner of select(root, p.owner)) {
        const endNode = child(owner, p.end);
        const end = isoDay(endNode?.text);
        if (endNode && end && end > dagtekening.day) {
          out.push({
            node: endNode,
            text: `${p.end} ${end} of ${ownerLabel(owner)} is after the Dagtekening ${dagtekening.day}`,
          });
        }
      }
    }
    return out;
  },
};
