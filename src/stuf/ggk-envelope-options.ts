import { catalogue } from '../catalogue/catalogue.ts';
import { GGK_NS, STUF0301_NS } from '../catalogue/data/stuf.ts';
import { extractHeader, type HeaderFacts } from '../catalogue/header.ts';
import type { CatalogueEntry, Standard } from '../catalogue/types.ts';
import type { OutgoingMessage } from '../transport/adapter.ts';
import { parseToTree, XmlInputError } from '../xml/parse.ts';
import { textAt, type XNode } from '../xml/tree.ts';
import type { EnvelopeVersions, WrapOptions } from './ggk-envelope.ts';

/**
 * What the GGK envelope of an outgoing bericht says (standards.md §4.6, §5):
 *
 * - heenbericht (and a 325, which has a header of its own): zender = Afzender, ontvanger = Ontvanger;
 * - retourbericht whose header is a copy of the heen's (302 … 320, 406, 408, 502, 508): the real sender is the
 *   header's Ontvanger and the receiver its Afzender (a WMO302 travels with zender = AGB, ontvanger = gemeente);
 * - iEb and iPgb headers leave the chain party out: it is `CAK` or `SVB`;
 * - functie = the message name; functieVersie/functieSubversie = the header's BerichtVersie/BerichtSubversie;
 * - referentienummerBericht = the bericht's own identification; a Du01 adds crossRefnummer (the heen envelope's
 *   referentienummer) and crossRefnummerBericht (the heen's Identificatie, for a 325 its DeclaratieIdentificatie).
 */

const CHAIN_PARTY: Partial<Record<Standard, string>> = { ieb: 'CAK', ipgb: 'SVB' };
const GGK_STANDARDS: ReadonlySet<Standard> = new Set(['iwmo', 'ijw', 'ieb', 'ipgb']);

export type Prepared =
  /** Wrap the bericht with these options. */
  | { kind: 'wrap'; options: Omit<WrapOptions, 'referentienummer'>; du01: boolean }
  /**
   * The body already is a GGK envelope (an internal system sent one), or a StUF Fo01 (the gateway's asynchronous
   * error on a ggk_Di01 it took, §5): it goes as it is.
   */
  | { kind: 'envelope'; operation: 'ggk_Di01' | 'ggk_Du01' | 'Fo01'; referentienummer: string }
  | { kind: 'refused'; reason: string };

export interface EnvelopeSettings {
  /** Our zender/applicatie and zender/administratie (DAI: the wsa:From). */
  applicatie: string;
  administratie?: string | undefined;
  /** The ontvanger/applicatie (default GGk, the GGK's own). */
  ontvangerApplicatie?: string | undefined;
  applicatieVersie: string;
  applicatieSubversie: string;
  /** The crossRefnummer of a Du01: the referentienummer the heenbericht's envelope had, when known. */
  crossRefnummer?: string | undefined;
}

/** Reads the outgoing bericht and says how it goes into (or already is) a GGK envelope. */
export function prepareEnvelope(
  message: Pick<OutgoingMessage, 'body' | 'messageName'>,
  settings: EnvelopeSettings,
): Prepared {
  let root: XNode;
  try {
    root = parseToTree(message.body);
  } catch (e) {
    if (e instanceof XmlInputError)
      return { kind: 'refused', reason: `the stored bericht cannot be read: ${e.message}` };
    throw e;
  }
  if (root.ns === GGK_NS || (root.ns === STUF0301_NS && root.name === 'Fo01Bericht')) return passThrough(root);

  const entry = catalogue.byName(message.messageName);
  if (!entry || !GGK_STANDARDS.has(entry.standard)) {
    return {
      kind: 'refused',
      reason: `${message.messageName} does not travel through the GGK (iWmo, iJw, iEb and iPgb berichten do)`,
    };
  }
  const header = extractHeader(entry, root);
  const copiesHeen = entry.direction === 'retour' && header.identificatieRetour !== undefined;
  const chainParty = CHAIN_PARTY[entry.standard];
  const zender = (copiesHeen ? header.ontvanger : header.afzender) ?? chainParty;
  const ontvanger = (copiesHeen ? header.afzender : header.ontvanger) ?? chainParty;
  if (!zender || !ontvanger) {
    return {
      kind: 'refused',
      reason: `the ${message.messageName} header names no ${zender ? 'receiver' : 'sender'} for the GGK envelope`,
    };
  }

  const du01 = entry.direction === 'retour';
  const options: Omit<WrapOptions, 'referentienummer'> = {
    zender: {
      organisatie: zender,
      applicatie: settings.applicatie,
      ...optional('administratie', settings.administratie),
    },
    ontvanger: { organisatie: ontvanger, ...optional('applicatie', settings.ontvangerApplicatie) },
    functie: entry.name,
    versions: versions(entry, root, settings),
    ...optional('referentienummerBericht', copiesHeen ? header.identificatieRetour : header.identificatie),
  };
  if (!du01) return { kind: 'wrap', options, du01 };
  if (!settings.crossRefnummer) {
    return {
      kind: 'refused',
      reason: `${entry.name} is a retour and travels in a ggk_Du01, whose crossRefnummer must be the referentienummer of the heenbericht's GGK envelope; it is not known (the heenbericht did not arrive in a GGK envelope, or it is no longer stored)`,
    };
  }
  return {
    kind: 'wrap',
    du01,
    options: {
      ...options,
      crossRefnummer: settings.crossRefnummer,
      ...optional('crossRefnummerBericht', crossRefnummerBericht(entry, header)),
    },
  };
}

const PASS_THROUGH: ReadonlyMap<string, 'ggk_Di01' | 'ggk_Du01' | 'Fo01'> = new Map([
  ['envelopHeenbericht-ggk_Di01', 'ggk_Di01'],
  ['envelopRetourbericht-ggk_Du01', 'ggk_Du01'],
  ['Fo01Bericht', 'Fo01'],
]);

function passThrough(root: XNode): Prepared {
  const operation = PASS_THROUGH.get(root.name);
  const referentienummer = textAt(root, 'stuurgegevens/referentienummer');
  if (!operation || !referentienummer)
    return {
      kind: 'refused',
      reason: `the stored bericht is a {${root.ns}}${root.name}, not a GGK envelope the GGK takes`,
    };
  return { kind: 'envelope', operation, referentienummer };
}

function crossRefnummerBericht(entry: CatalogueEntry, header: HeaderFacts): string | undefined {
  return entry.name.endsWith('325') ? header.declaratieIdentificatie : header.identificatie;
}

/** applicatieVersie/-Subversie from the settings; functieVersie/-Subversie from the header (else the release). */
function versions(entry: CatalogueEntry, root: XNode, settings: EnvelopeSettings): EnvelopeVersions {
  const [major, minor] = entry.release.split('.');
  return {
    applicatieVersie: settings.applicatieVersie,
    applicatieSubversie: settings.applicatieSubversie,
    functieVersie: versienr(textAt(root, 'Header/BerichtVersie') ?? major),
    functieSubversie: versienr(textAt(root, 'Header/BerichtSubversie') ?? minor),
  };
}

function versienr(value: string | undefined): string {
  return /^[0-9]{1,4}$/.test(value ?? '') ? value!.padStart(4, '0') : '0000';
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}
