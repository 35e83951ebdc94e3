import type { CatalogueEntry, Role } from '../../catalogue/types.ts';
import { at, descendants, stepsOf, type XNode } from '../../xml/tree.ts';
import type { MessageRef } from '../history.ts';

const NUMBERS = new WeakMap<CatalogueEntry, string>();

/** The number of an iWmo/iJw message (WMO301 → 301), or undefined for other standards. */
export function messageNumber(entry: CatalogueEntry): string | undefined {
  if (entry.standard !== 'iwmo' && entry.standard !== 'ijw') return undefined;
  // Asked by several rules for every bericht: read from the name once per catalogue entry.
  let nr = NUMBERS.get(entry);
  if (nr === undefined) {
    nr = /(\d{3})$/.exec(entry.name)?.[1] ?? '';
    NUMBERS.set(entry, nr);
  }
  return nr === '' ? undefined : nr;
}

/** appliesTo for a rule that the standard sets on these message numbers, in both iWmo and iJw. */
export function forMessages(...numbers: string[]): (entry: CatalogueEntry) => boolean {
  return (entry) => {
    const nr = messageNumber(entry);
    return nr !== undefined && numbers.includes(nr);
  };
}

/** Every iWmo/iJw message, heen and retour. */
export function isIstandaard(entry: CatalogueEntry): boolean {
  return messageNumber(entry) !== undefined;
}

/**
 * iEb (gemeente ⇄ CAK) and iPgb (gemeente ⇄ SVB): iStandaarden with the same header mechanism (standards.md §3
 * item 6, §4.4), to which the generic rules (CS002, TR135) apply as well.
 */
export function isIebOrIpgb(entry: CatalogueEntry): boolean {
  return entry.standard === 'ieb' || entry.standard === 'ipgb';
}

/**
 * The three header shapes (standards.md §4.1–4.3): a heenbericht; a retour that copies the heen's elements 2–7
 * and adds IdentificatieRetour…; and the 325 declaratie-antwoord, which has its own header values and refers to
 * its 323 through DeclaratieIdentificatie.
 */
export type HeaderShape = 'heen' | 'retour' | 'antwoord';

export function headerShape(entry: CatalogueEntry): HeaderShape {
  if (entry.direction === 'heen') return 'heen';
  return messageNumber(entry) === '325' ? 'antwoord' : 'retour';
}

/**
 * Who Header/Afzender and Header/Ontvanger identify. A retour copies them from its heen, so they name the heen's
 * sender and receiver (in WMO302 Afzender is the gemeente although the aanbieder sends it).
 */
export function headerParties(entry: CatalogueEntry): { afzender: Role | undefined; ontvanger: Role | undefined } {
  const [from, to] =
    headerShape(entry) === 'retour' ? [entry.receiver[0], entry.sender[0]] : [entry.sender[0], entry.receiver[0]];
  return { afzender: from, ontvanger: to };
}

/** LDT_Gemeente and LDT_AgbCode (basisschema.xsd). */
export const LDT_GEMEENTE = /^[0-9]{4}$/;
export const LDT_AGBCODE = /^[0-9]{8}$/;

export const PARTY_PATTERN: Partial<Record<Role, RegExp>> = { gemeente: LDT_GEMEENTE, aanbieder: LDT_AGBCODE };

export const PARTY_KIND: Partial<Record<Role, string>> = {
  gemeente: 'a CBS gemeentecode (4 digits)',
  aanbieder: 'an AGB code (8 digits)',
};

/** The body classes of a bericht: every child of the root except the Header. */
export function bodyOf(root: XNode): XNode[] {
  return root.children.filter((c) => c.name !== 'Header');
}

/**
 * Every element below `root` whose own name and ancestors' names end with `tail` (local names), e.g.
 * `StartProduct/Begindatum` or `Geboortedatum/Datum`. Document order.
 */
export function select(root: XNode, tail: string): XNode[] {
  const steps = stepsOf(tail);
  const candidates = descendants(root, steps[steps.length - 1]!);
  if (steps.length === 1) return candidates;
  return candidates.filter((c) => endsWith(c, steps));
}

function endsWith(node: XNode, steps: readonly string[]): boolean {
  let cur: XNode | null = node;
  for (let i = steps.length - 1; i >= 0; i--) {
    if (!cur || cur.name !== steps[i]) return false;
    cur = cur.parent;
  }
  return true;
}

/** `Name` or `Name n` when siblings of the same name repeat: a position a reader can find without values. */
export function label(node: XNode): string {
  const same = node.parent ? node.parent.children.filter((c) => c.name === node.name) : [node];
  return same.length > 1 ? `${node.name} ${same.indexOf(node) + 1}` : node.name;
}

/**
 * Header/BerichtIdentificatie (Identificatie + Dagtekening) of any iStandaarden bericht; a retour carries its
 * heen's. Undefined when either part is missing.
 */
export function berichtRef(root: XNode): MessageRef | undefined {
  const identificatie = at(root, 'Header/BerichtIdentificatie/Identificatie')?.text;
  const dagtekening = at(root, 'Header/BerichtIdentificatie/Dagtekening')?.text;
  return identificatie && dagtekening ? { identificatie, dagtekening } : undefined;
}
