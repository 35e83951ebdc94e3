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
  const facts: HeaderFacts = {
    afzender: textAt(h, 'Afzender'),
    ontvanger: textAt(h, 'Ontvanger'),
    berichtCode: textAt(h, 'BerichtCode'),
    identificatie: textAt(h, 'BerichtIdentificatie/Identificatie'),
    dagtekening: textAt(h, 'BerichtIdentificatie/Dagtekening'),
    identificatieRetour: textAt(h, 'IdentificatieRetour'),
    dagtekeningRetour: textAt(h, 'DagtekeningRetour'),
    declaratieIdentificatie: textAt(h, 'DeclaratieIdentificatie/Identificatie'),
    declaratieDagtekening: textAt(h, 'DeclaratieIdentificatie/Dagtekening'),
  };
  return dropUndefined(facts);
}

function stufHeader(root: XNode): HeaderFacts {
  const s = child(root, 'stuurgegevens');
  const facts: HeaderFacts = {
    stufBerichtcode: textAt(s, 'berichtcode'),
    afzender: textAt(s, 'zender/organisatie'),
    zenderApplicatie: textAt(s, 'zender/applicatie'),
    ontvanger: textAt(s, 'ontvanger/organisatie'),
    ontvangerApplicatie: textAt(s, 'ontvanger/applicatie'),
    referentienummer: textAt(s, 'referentienummer'),
    crossRefnummer: textAt(s, 'crossRefnummer'),
    functie: textAt(s, 'functie'),
  };
  return dropUndefined(facts);
}

function dropUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

/** The Header element of an iStandaarden bericht (used by rules and the retour builder). */
export function headerNode(root: XNode): XNode | undefined {
  return at(root, 'Header');
}
