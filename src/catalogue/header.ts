import { at, child, textAt, type XNode } from '../xml/tree.ts';
import type { CatalogueEntry } from './types.ts';

/** The routing and correlation facts of a bericht's header, in one shape for every standard. */
export interface HeaderFacts {
  /** iStandaarden: Header/Afzender; StUF: zender/organisatie. */
  afzender?: string;
  /** iStandaarden: Header/Ontvanger; StUF: ontvanger/organisatie. */
  ontvanger?: string;
  berichtCode?: string;
  identificatie?: string;
  dagtekening?: string;
  /** A retour's own identity (IdentificatieRetour + DagtekeningRetour). */
  identificatieRetour?: string;
  dagtekeningRetour?: string;
  /** WMO325/JW325: the answered 323's BerichtIdentificatie. */
  declaratieIdentificatie?: string;
  declaratieDagtekening?: string;
  /** StUF stuurgegevens. */
  stufBerichtcode?: string;
  functie?: string;
  referentienummer?: string;
  crossRefnummer?: string;
  zenderApplicatie?: string;
  ontvangerApplicatie?: string;
}

/** Reads the header facts from a recognised message's tree. Missing elements stay undefined. */
export function extractHeader(entry: CatalogueEntry, root: XNode): HeaderFacts {
  return isStuf(entry) ? stufHeader(root) : istandaardHeader(root);
}

export function isStuf(entry: CatalogueEntry): boolean {
  return entry.standard === 'stuf-jz' || entry.standard === 'stuf' || entry.standard === 'ggk';
}

function istandaardHeader(root: XNode): HeaderFacts {
  const h = child(root, 'Header');
  const facts: HeaderFacts = {};
  put(facts, 'afzender', textAt(h, 'Afzender'));
  put(facts, 'ontvanger', textAt(h, 'Ontvanger'));
  put(facts, 'berichtCode', textAt(h, 'BerichtCode'));
  const id = child(h, 'BerichtIdentificatie');
  put(facts, 'identificatie', textAt(id, 'Identificatie'));
  put(facts, 'dagtekening', textAt(id, 'Dagtekening'));
  put(facts, 'identificatieRetour', textAt(h, 'IdentificatieRetour'));
  put(facts, 'dagtekeningRetour', textAt(h, 'DagtekeningRetour'));
  const declaratie = child(h, 'DeclaratieIdentificatie');
  put(facts, 'declaratieIdentificatie', textAt(declaratie, 'Identificatie'));
  put(facts, 'declaratieDagtekening', textAt(declaratie, 'Dagtekening'));
  return facts;
}

function stufHeader(root: XNode): HeaderFacts {
  const s = child(root, 'stuurgegevens');
  const facts: HeaderFacts = {};
  put(facts, 'stufBerichtcode', textAt(s, 'berichtcode'));
  put(facts, 'afzender', textAt(s, 'zender/organisatie'));
  put(facts, 'zenderApplicatie', textAt(s, 'zender/applicatie'));
  put(facts, 'ontvanger', textAt(s, 'ontvanger/organisatie'));
  put(facts, 'ontvangerApplicatie', textAt(s, 'ontvanger/applicatie'));
  put(facts, 'referentienummer', textAt(s, 'referentienummer'));
  put(facts, 'crossRefnummer', textAt(s, 'crossRefnummer'));
  put(facts, 'functie', textAt(s, 'functie'));
  return facts;
}

/**
 * Sets a fact that the header has; a missing one stays absent (not undefined). Added in a fixed order, so the
 * facts serialise the same for every bericht, without deleting keys (which would slow every later read).
 */
function put(facts: HeaderFacts, key: keyof HeaderFacts, value: string | undefined): void {
  if (value !== undefined) facts[key] = value;
}

/** The Header element of an iStandaarden bericht (used by rules and the retour builder). */
export function headerNode(root: XNode): XNode | undefined {
  return at(root, 'Header');
}
