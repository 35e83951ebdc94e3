/**
 * Builders for minimal, schema-valid StUF-Jeugdzorg 1.0.9 berichten (the 13 jz0100 roots) and the StUF0301
 * service messages Bv01, Bv03, Fo01 and Fo03, for conformance, correlation and duplicate tests.
 *
 * Every message holds the elements its official (resolved 2025) schema requires, plus the few optional ones
 * that make it read like a real bericht (the child the case is about, the zaak identificatie). All data is
 * fictitious: BSNs are from the 99999xxxx test range, OINs carry the test prefix 00000099.
 *
 * Namespaces follow the schemas' elementFormDefault="qualified": an element is in the namespace of the schema
 * that declares it, so `JZ:object` holds `ZKN:identificatie`, a ZKN relation holds a `ZKN:natuurlijkPersoon`
 * whose children are `BG:…`, and `StUF:extraElementen` is always StUF.
 */
import { randomUUID } from 'node:crypto';

export const NS = {
  JZ: 'http://www.stufstandaarden.nl/koppelvlak/jz0100',
  StUF: 'http://www.egem.nl/StUF/StUF0301',
  ZKN: 'http://www.egem.nl/StUF/sector/zkn/0310',
  BG: 'http://www.egem.nl/StUF/sector/bg/0310',
} as const;

// ---------------------------------------------------------------------------------------------------------
// A very small XML DSL: prefixed names, attributes, children or text. Prefixes are those of NS.

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: (XmlElement | string)[];
}

type Child = XmlElement | string | undefined | false;

/** An element with content (text and/or child elements). */
export function x(name: string, ...children: Child[]): XmlElement {
  return xa(name, {}, ...children);
}

/** An element with attributes. */
export function xa(name: string, attrs: Record<string, string>, ...children: Child[]): XmlElement {
  return { name, attrs, children: children.filter((c): c is XmlElement | string => c !== undefined && c !== false) };
}

/** A StUF entity or relation element: `StUF:entiteittype` is required (and fixed) on nearly all of them. */
export function ent(name: string, entiteittype: string, ...children: Child[]): XmlElement {
  return xa(name, { 'StUF:entiteittype': entiteittype }, ...children);
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function render(el: XmlElement, indent: string, out: string[], rootAttrs = ''): void {
  const attrs =
    rootAttrs +
    Object.entries(el.attrs)
      .map(([k, v]) => ` ${k}="${escapeXml(v)}"`)
      .join('');
  if (el.children.length === 0) {
    out.push(`${indent}<${el.name}${attrs}/>`);
  } else if (el.children.every((c) => typeof c === 'string')) {
    out.push(`${indent}<${el.name}${attrs}>${el.children.map((c) => escapeXml(c as string)).join('')}</${el.name}>`);
  } else {
    out.push(`${indent}<${el.name}${attrs}>`);
    for (const c of el.children) {
      if (typeof c === 'string') out.push(`${indent}  ${escapeXml(c)}`);
      else render(c, `${indent}  `, out);
    }
    out.push(`${indent}</${el.name}>`);
  }
}

/** Serialises a document: XML declaration, every NS prefix declared on the root, two-space indentation. */
export function serialise(root: XmlElement): string {
  const decls = Object.entries(NS)
    .map(([p, uri]) => ` xmlns:${p}="${uri}"`)
    .join('');
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  render(root, '', out, decls);
  return `${out.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------------------
// Fictitious parties and persons.

/** A StUF `zender`/`ontvanger` (Systeem-corv): organisatie 1..1 (≤200), applicatie 1..1 (3–50). */
export interface Party {
  organisatie: string;
  applicatie: string;
  administratie?: string;
  gebruiker?: string;
}

/** Parties with fictitious OINs (test prefix 00000099) as `organisatie`. */
export const PARTIES = {
  gemeente: { organisatie: '00000099000000010001', applicatie: 'Schakel' },
  rvdk: { organisatie: '00000099000000020001', applicatie: 'RvdK-Testsysteem' },
  veiligThuis: { organisatie: '00000099000000030001', applicatie: 'VT-Registratie' },
  politie: { organisatie: '00000099000000040001', applicatie: 'Politie-Testsysteem' },
  gegevenshouder: { organisatie: '00000099000000050001', applicatie: 'Bron-Testsysteem' },
} as const satisfies Record<string, Party>;

const ORGANISATIES = {
  gemeente: 'Gemeente Proefdorp',
  rvdk: 'Raad voor de Kinderbescherming testregio',
  veiligThuis: 'Veilig Thuis Proefregio',
  politie: 'Politie-eenheid Proefregio',
  gegevenshouder: 'Testbron Verrijking',
} as const;

export interface Persoon {
  bsn: string;
  geslachtsnaam: string;
  voorletters: string;
  voornamen: string;
  geslachtsaanduiding: 'M' | 'V' | 'O';
  geboortedatum: string;
}

/** Test BSNs from the official 99999xxxx test range; both pass the elfproef (checked by the conformance test). */
export const TEST_BSNS = ['999990019', '999990020'] as const;

export const KIND: Persoon = {
  bsn: TEST_BSNS[0],
  geslachtsnaam: 'Proefkind',
  voorletters: 'S',
  voornamen: 'Sam',
  geslachtsaanduiding: 'M',
  geboortedatum: '20150312',
};

export const OUDER: Persoon = {
  bsn: TEST_BSNS[1],
  geslachtsnaam: 'Proefouder',
  voorletters: 'A',
  voornamen: 'Alex',
  geslachtsaanduiding: 'V',
  geboortedatum: '19850704',
};

type PersoonVeld = 'bsn' | 'geslachtsnaam' | 'voorletters' | 'voornamen' | 'geslachtsaanduiding' | 'geboortedatum';
const BG_PERSOON_ELEMENT: Record<PersoonVeld, string> = {
  bsn: 'BG:inp.bsn',
  geslachtsnaam: 'BG:geslachtsnaam',
  voorletters: 'BG:voorletters',
  voornamen: 'BG:voornamen',
  geslachtsaanduiding: 'BG:geslachtsaanduiding',
  geboortedatum: 'BG:geboortedatum',
};
const PERSOON_ORDER: PersoonVeld[] = [
  'bsn',
  'geslachtsnaam',
  'voorletters',
  'voornamen',
  'geslachtsaanduiding',
  'geboortedatum',
];

/** The BG children of an NPS, in schema order; each NPS restriction allows a different subset. */
function persoon(p: Persoon, fields: PersoonVeld[]): XmlElement[] {
  return PERSOON_ORDER.filter((f) => fields.includes(f)).map((f) => x(BG_PERSOON_ELEMENT[f], p[f]));
}

/** A ZKN `natuurlijkPersoon` (entiteittype NPS) with the given BG fields. */
function nps(p: Persoon, fields: PersoonVeld[], ...more: Child[]): XmlElement {
  return ent('ZKN:natuurlijkPersoon', 'NPS', ...persoon(p, fields), ...more);
}

/** A ZKN `organisatorischeEenheid` (vv/gm initiator and uitvoerende): identificatie (≤24) is the OIN. */
function oeh(party: keyof typeof ORGANISATIES): XmlElement {
  return ent(
    'ZKN:organisatorischeEenheid',
    'OEH',
    x('ZKN:identificatie', PARTIES[party].organisatie),
    x('ZKN:naam', ORGANISATIES[party]),
  );
}

/** `%PDF-1.4` and a comment line, base64: a stand-in attachment. */
const PDF_STUB = Buffer.from('%PDF-1.4\n% fictitious test attachment\n').toString('base64');

// ---------------------------------------------------------------------------------------------------------
// Stuurgegevens.

export type StuurgegevensElement =
  | 'berichtcode'
  | 'zender'
  | 'ontvanger'
  | 'referentienummer'
  | 'tijdstipBericht'
  | 'crossRefnummer'
  | 'functie';

export interface BuildOptions {
  /** Default: a fresh UUID v4. */
  referentienummer?: string;
  /** Only for messages that carry one (ucobDi01, uciDi01, Bv01/Bv03/Fo01/Fo03). Default: a fresh UUID v4. */
  crossRefnummer?: string;
  /** yyyyMMddHHmmss + milliseconds (17 digits). Default: TIJDSTIP. */
  tijdstipBericht?: string;
  /** Merged over the message's default party; a key set to undefined leaves that element out. */
  zender?: Partial<Party>;
  ontvanger?: Partial<Party>;
  /** Negative controls: a berichtcode other than the message's own. */
  berichtcode?: string;
  /** Negative controls: a functie other than the root name (Di01 messages only). */
  functie?: string;
  /** Negative controls: stuurgegevens elements to leave out. */
  omit?: StuurgegevensElement[];
}

/** Default tijdstipBericht: 15 October 2026, 09:30:00.123. */
export const TIJDSTIP = '20261015093000123';

/** yyyyMMddHHmmssSSS in Dutch local time: the project's own StUF Tijdstip. */
export { stufTijdstip } from '../stuf/stuurgegevens.ts';

const STUURGEGEVENS_ORDER: StuurgegevensElement[] = [
  'berichtcode',
  'zender',
  'ontvanger',
  'referentienummer',
  'tijdstipBericht',
  'crossRefnummer',
  'functie',
];

/**
 * The stuurgegevens of a message (§4.5): berichtcode, zender, ontvanger, referentienummer, tijdstipBericht,
 * crossRefnummer (answers only) and functie (Di01 only), in that order. The `stuurgegevens` element itself is
 * JZ in the jz0100 roots and StUF in the service messages; its children are always StUF.
 */
export function stuurgegevens(spec: MessageSpec, opts: BuildOptions = {}): XmlElement {
  if (opts.crossRefnummer !== undefined && !spec.crossRef) throw new TypeError(`${spec.name} has no crossRefnummer`);
  if (opts.functie !== undefined && !spec.functie) throw new TypeError(`${spec.name} has no functie`);
  // An override of `organisatie: undefined` leaves the element out (it is 0..1 in the service messages' Systeem).
  const party = (tag: string, p: Partial<Party>) =>
    x(
      tag,
      p.organisatie !== undefined && x('StUF:organisatie', p.organisatie),
      p.applicatie !== undefined && x('StUF:applicatie', p.applicatie),
      p.administratie !== undefined && x('StUF:administratie', p.administratie),
      p.gebruiker !== undefined && x('StUF:gebruiker', p.gebruiker),
    );
  const values: Record<StuurgegevensElement, XmlElement | undefined> = {
    berichtcode: x('StUF:berichtcode', opts.berichtcode ?? spec.berichtcode),
    zender: party('StUF:zender', { ...spec.from, ...opts.zender }),
    ontvanger: party('StUF:ontvanger', { ...spec.to, ...opts.ontvanger }),
    referentienummer: x('StUF:referentienummer', opts.referentienummer ?? randomUUID()),
    tijdstipBericht: x('StUF:tijdstipBericht', opts.tijdstipBericht ?? TIJDSTIP),
    crossRefnummer: spec.crossRef ? x('StUF:crossRefnummer', opts.crossRefnummer ?? randomUUID()) : undefined,
    functie: spec.functie ? x('StUF:functie', opts.functie ?? spec.functie) : undefined,
  };
  const omit = new Set(opts.omit ?? []);
  const prefix = spec.namespace === NS.JZ ? 'JZ' : 'StUF';
  return x(`${prefix}:stuurgegevens`, ...STUURGEGEVENS_ORDER.filter((k) => !omit.has(k)).map((k) => values[k]));
}

// ---------------------------------------------------------------------------------------------------------
// The messages.

export type StufJzRoot =
  | 'vtoDi01'
  | 'notificatieDi01'
  | 'notificatiejrDi01'
  | 'zorgmeldingDi01'
  | 'zorgmeldingTerugkoppelingDi01'
  | 'vtMeldingDi01'
  | 'vtTerugkoppelingDi01'
  | 'vcobDi01'
  | 'ucobDi01'
  | 'vciDi01'
  | 'uciDi01'
  | 'meldingGeneriekDi01'
  | 'uitkomstMeldingGeneriekDi01';

export type ServiceMessage = 'Bv01' | 'Bv03' | 'Fo01' | 'Fo03';
export type MessageName = StufJzRoot | ServiceMessage;

export interface MessageSpec {
  /** Catalogue name: the root for jz0100, the berichtcode for the service messages. */
  name: MessageName;
  rootElement: string;
  namespace: string;
  /** The StUF-JZ schema group whose pack declares the root (service messages: jz). */
  group: 'jz' | 'vt' | 'vv' | 'gm';
  berichtcode: string;
  /** Di01 only: the root name. */
  functie?: string;
  crossRef: boolean;
  from: Party;
  to: Party;
  /** Everything after the stuurgegevens. */
  body: () => XmlElement[];
}

const ZAAK_ID = 'ZAAK-2026-000123';
const VT_MELDING_ID = 'VTM-2026-000456';
const VERZOEK_ID = 'VVZ-2026-000789';
const ANTWOORD_ID = 'VVA-2026-000790';
const MELDING_ID = 'GM-2026-000321';

/** The Fo01/Fo03 body: code (≤7), plek (client|server), omschrijving (≤200). */
function foutBody(code: string, plek: 'client' | 'server', omschrijving: string): XmlElement {
  return x('StUF:body', x('StUF:code', code), x('StUF:plek', plek), x('StUF:omschrijving', omschrijving));
}

/** Di01 spec: the root is the functie, the body one `JZ:object`. */
function di01(
  name: StufJzRoot,
  group: MessageSpec['group'],
  from: Party,
  to: Party,
  object: () => XmlElement,
  crossRef = false,
): MessageSpec {
  return {
    name,
    rootElement: name,
    namespace: NS.JZ,
    group,
    berichtcode: 'Di01',
    functie: name,
    crossRef,
    from,
    to,
    body: () => [object()],
  };
}

function service(name: ServiceMessage, body: () => XmlElement[] = () => []): MessageSpec {
  return {
    name,
    rootElement: `${name}Bericht`,
    namespace: NS.StUF,
    group: 'jz',
    berichtcode: name,
    crossRef: true,
    from: PARTIES.rvdk,
    to: PARTIES.gemeente,
    body,
  };
}

const zaaktype = (tag: string, omschrijving: string) =>
  ent(tag, 'ZAKZKT', ent('ZKN:gerelateerde', 'ZKT', x('ZKN:omschrijvingGeneriek', omschrijving)));
/**
 * `StUF:extraElementen` is REQUIRED (1..1, at least one extraElement) in ZAK-vto, ZAK-zorgmelding and
 * ZAK-notificatiejr, but neither the schemas nor §2.4 name the extraElement(s) expected there: the names used
 * below are placeholders.
 */
const extra = (naam: string, value: string) => x('StUF:extraElementen', xa('StUF:extraElement', { naam }, value));

const SPECS: MessageSpec[] = [
  // ---- jz: CORV (gemeente ⇄ RvdK, politie ⇄ gemeente)
  di01('vtoDi01', 'jz', PARTIES.gemeente, PARTIES.rvdk, () =>
    ent(
      'JZ:object',
      'ZAK',
      x('ZKN:identificatie', ZAAK_ID),
      x('ZKN:startdatum', '20261014'),
      x('ZKN:registratiedatum', '20261015'),
      extra('toelichting', 'Zorgen over de veiligheid van het kind; vrijwillige hulp is niet van de grond gekomen.'),
      zaaktype('ZKN:isVan', 'Overwegen kinderbeschermingsmaatregel'),
      ent(
        'ZKN:heeftBetrekkingOp',
        'ZAKOBJ',
        ent('ZKN:gerelateerde', 'OBJ', nps(KIND, PERSOON_ORDER)),
        x('ZKN:omschrijving', 'Client (kind)'),
      ),
      ent(
        'ZKN:heeftAlsBelanghebbende',
        'ZAKBTRBLH',
        ent('ZKN:gerelateerde', 'BTR', nps(OUDER, ['bsn', 'geslachtsnaam', 'voorletters', 'geslachtsaanduiding'])),
        x('ZKN:omschrijving', 'ouder met gezag'),
      ),
      ent(
        'ZKN:heeftAlsUitvoerende',
        'ZAKBTRUTV',
        ent(
          'ZKN:gerelateerde',
          'BTR',
          ent('ZKN:medewerker', 'MDW', x('ZKN:achternaam', 'Testmedewerker'), x('ZKN:voorletters', 'J')),
          ent('ZKN:nietNatuurlijkPersoon', 'NNP', x('BG:statutaireNaam', ORGANISATIES.gemeente)),
        ),
      ),
      ent(
        'ZKN:heeftBetrekkingOpAndere',
        'ZAKZAKBTR',
        ent('ZKN:gerelateerde', 'ZAK', zaaktype('ZKN:isVan', 'Uitvoeren onderzoek kinderbeschermingsmaatregel')),
      ),
      ent(
        'ZKN:heeftRelevant',
        'ZAKEDC',
        ent(
          'ZKN:gerelateerde',
          'EDC',
          x('ZKN:identificatie', 'DOC-2026-000123-1'),
          x('ZKN:dct.omschrijving', 'Verzoek tot onderzoek RvdK'),
          x('ZKN:creatiedatum', '20261015'),
          xa('ZKN:inhoud', { 'StUF:bestandsnaam': 'verzoek-tot-onderzoek.pdf' }, PDF_STUB),
        ),
      ),
    ),
  ),
  di01('notificatieDi01', 'jz', PARTIES.rvdk, PARTIES.gemeente, () =>
    ent(
      'JZ:object',
      'ZAK',
      x('ZKN:identificatie', ZAAK_ID),
      zaaktype('ZKN:isVan', 'Uitvoeren onderzoek kinderbeschermingsmaatregel'),
      ent(
        'ZKN:heeftBetrekkingOp',
        'ZAKOBJ',
        ent('ZKN:gerelateerde', 'OBJ', nps(KIND, ['bsn', 'geslachtsnaam', 'voorletters', 'geboortedatum'])),
        x('ZKN:omschrijving', 'Client (kind)'),
      ),
      ent(
        'ZKN:heeft',
        'ZAKSTT',
        ent('ZKN:gerelateerde', 'STT', x('ZKN:omschrijving', 'Intake afgerond')),
        x('ZKN:datumStatusGezet', '20261020143000000'),
      ),
    ),
  ),
  di01('notificatiejrDi01', 'jz', PARTIES.rvdk, PARTIES.gemeente, () =>
    ent(
      'JZ:object',
      'ZAK',
      extra('soortNotificatie', 'Start jeugdreclassering'),
      zaaktype('ZKN:isVan', 'Signaal behandelen'),
      ent(
        'ZKN:heeftBetrekkingOp',
        'ZAKOBJ',
        ent('ZKN:gerelateerde', 'OBJ', nps(KIND, ['bsn', 'geslachtsnaam', 'voorletters', 'geboortedatum'])),
        x('ZKN:omschrijving', 'jeugdige'),
      ),
    ),
  ),
  di01('zorgmeldingDi01', 'jz', PARTIES.politie, PARTIES.gemeente, () =>
    ent(
      'JZ:object',
      'ZAK',
      x('ZKN:kenmerk', x('ZKN:kenmerk', 'PL-2026-0456789'), x('ZKN:bron', 'Zorgmelding')),
      extra('aanleiding', 'Huiselijke ruzie, kind aanwezig'),
      zaaktype('ZKN:isVan', 'Signaal behandelen'),
      ent(
        'ZKN:heeftAlsInitiator',
        'ZAKBTRINI',
        ent(
          'ZKN:heeftAlsAanspreekpunt',
          'ZAKBTRINICTP',
          ent('ZKN:gerelateerde', 'CTP', x('ZKN:naam', 'Wijkagent Test')),
        ),
      ),
      ent(
        'ZKN:heeftRelevant',
        'ZAKEDC',
        ent(
          'ZKN:gerelateerde',
          'EDC',
          x('ZKN:dct.omschrijving', 'Zorgmelding'),
          x('ZKN:creatiedatum', '20261015'),
          x('ZKN:inhoud', PDF_STUB),
        ),
      ),
    ),
  ),
  di01('zorgmeldingTerugkoppelingDi01', 'jz', PARTIES.gemeente, PARTIES.politie, () =>
    ent(
      'JZ:object',
      'ZAK',
      x('ZKN:identificatie', ZAAK_ID),
      x('ZKN:kenmerk', x('ZKN:kenmerk', 'PL-2026-0456789'), x('ZKN:bron', 'Zorgmelding')),
      x('ZKN:resultaat', x('ZKN:omschrijving', 'Vervolgactie nodig')),
      zaaktype('ZKN:isVan', 'Signaal behandelen'),
      ent(
        'ZKN:heeftAlsInitiator',
        'ZAKBTRINI',
        ent(
          'ZKN:heeftAlsAanspreekpunt',
          'ZAKBTRINICTP',
          ent('ZKN:gerelateerde', 'CTP', x('ZKN:naam', 'Wijkagent Test')),
        ),
      ),
    ),
  ),

  // ---- vt: VT-melding (politie → Veilig Thuis) and its terugkoppeling
  di01('vtMeldingDi01', 'vt', PARTIES.politie, PARTIES.veiligThuis, () =>
    ent(
      'JZ:object',
      'VTM',
      x('JZ:identificatieVtMelding', VT_MELDING_ID),
      x('JZ:datumMelding', '20261015'),
      x('JZ:datumIncident', '20261014'),
      x('JZ:locatieIncident', 'Proefstraat 1, Proefdorp'),
      x('JZ:omschrijvingIncident', 'Melding huiselijk geweld; een minderjarige was getuige.'),
      x('JZ:indicatieAgenderingAfstemmingsoverlegGewenst', 'Nee'),
      x(
        'JZ:contactgegevensVerdiepingOpInfo',
        x('JZ:naamContactpersoon', 'Wijkagent Test'),
        x('JZ:telefoonnummer', '0999123456'),
      ),
      x('JZ:indicatieSASHIngevuld', 'Nee'),
      ent(
        'JZ:betreft',
        'VTMZOS',
        ent(
          'JZ:gerelateerde',
          'ZOS',
          x('JZ:omschrijvingZorgelijkeSituatie', 'Zorgen over de thuissituatie van het kind.'),
          ent(
            'JZ:heeftBetrokken',
            'ZOSNPS',
            ent(
              'JZ:gerelateerde',
              'NPS',
              ...persoon(KIND, ['bsn', 'geslachtsnaam', 'voornamen', 'geslachtsaanduiding', 'geboortedatum']),
            ),
            x('JZ:jeugzorgrol', 'jeugdige'),
          ),
        ),
      ),
      ent('JZ:isIngediendDoor', 'VTMBTR', ent('JZ:gerelateerde', 'BTR', x('ZKN:naam', ORGANISATIES.politie))),
    ),
  ),
  di01('vtTerugkoppelingDi01', 'vt', PARTIES.veiligThuis, PARTIES.politie, () =>
    ent(
      'JZ:object',
      'ZAK',
      x('ZKN:identificatie', ZAAK_ID),
      x('ZKN:uitkomst', 'vervolgstappen belegd bij VT'),
      x('ZKN:status', 'uitkomst veiligheidsbeoordeling'),
      ent(
        'ZKN:naarAanleidingVan',
        'ZAKVTM',
        ent('ZKN:gerelateerde', 'VTM', x('JZ:identificatieVtMelding', VT_MELDING_ID)),
      ),
      ent(
        'ZKN:isUitgevoerdDoor',
        'ZAKBTR',
        ent(
          'ZKN:gerelateerde',
          'BTR',
          x('ZKN:naam', ORGANISATIES.veiligThuis),
          x('ZKN:oinNummer', PARTIES.veiligThuis.organisatie),
        ),
      ),
    ),
  ),
  // ---- vv: verrijkingsverzoeken (Veilig Thuis → gegevenshouder) and the answers (crossRefnummer = the verzoek's referentienummer)
  di01('vcobDi01', 'vv', PARTIES.veiligThuis, PARTIES.gegevenshouder, () =>
    ent(
      'JZ:object',
      'VVZ',
      x('JZ:identificatie', VERZOEK_ID),
      x('JZ:soortVerzoeker', '05'),
      x('JZ:redenVerzoek', x('JZ:code', '01')),
      ent(
        'JZ:heeftBetrekkingOp',
        'ZAKOBJ',
        ent('ZKN:gerelateerde', 'OBJ', nps(KIND, ['bsn', 'geslachtsnaam', 'voorletters', 'geboortedatum'])),
      ),
      ent('JZ:heeftAlsInitiator', 'ZAKBTRINI', ent('ZKN:gerelateerde', 'BTR', oeh('veiligThuis'))),
    ),
  ),
  di01(
    'ucobDi01',
    'vv',
    PARTIES.gegevenshouder,
    PARTIES.veiligThuis,
    () =>
      ent(
        'JZ:object',
        'VVZ',
        x('JZ:identificatie', ANTWOORD_ID),
        x('JZ:verzoekidentificatie', VERZOEK_ID),
        ent(
          'JZ:heeftBetrekkingOp',
          'ZAKOBJ',
          ent('ZKN:gerelateerde', 'OBJ', nps(KIND, ['bsn', 'geslachtsnaam', 'voorletters', 'geboortedatum'])),
          x('ZKN:indicatieBekend', 'J'),
        ),
        ent('JZ:heeftAlsInitiator', 'ZAKBTRINI', ent('ZKN:gerelateerde', 'BTR', oeh('veiligThuis'))),
        ent('JZ:heeftAlsUitvoerende', 'ZAKBTRUTV', ent('ZKN:gerelateerde', 'BTR', oeh('gegevenshouder'))),
      ),
    true,
  ),
  di01('vciDi01', 'vv', PARTIES.veiligThuis, PARTIES.gegevenshouder, () =>
    ent(
      'JZ:object',
      'VVZ',
      x('JZ:identificatie', VERZOEK_ID),
      x('JZ:soortVerzoeker', '05'),
      x('JZ:redenVerzoek', x('JZ:code', '01')),
      x('JZ:specifiekeVraag', x('JZ:code', 'VT-001')),
      ent(
        'JZ:heeftBetrekkingOp',
        'ZAKOBJ',
        ent('ZKN:gerelateerde', 'OBJ', nps(KIND, ['bsn', 'geslachtsnaam', 'voorletters', 'geboortedatum'])),
      ),
      ent('JZ:heeftAlsInitiator', 'ZAKBTRINI', ent('ZKN:gerelateerde', 'BTR', oeh('veiligThuis'))),
    ),
  ),
  di01(
    'uciDi01',
    'vv',
    PARTIES.gegevenshouder,
    PARTIES.veiligThuis,
    () =>
      ent(
        'JZ:object',
        'VVZ',
        x('JZ:identificatie', ANTWOORD_ID),
        x('JZ:verzoekidentificatie', VERZOEK_ID),
        ent(
          'JZ:heeftBetrekkingOp',
          'ZAKOBJ',
          ent('ZKN:gerelateerde', 'OBJ', nps(KIND, ['bsn', 'geslachtsnaam', 'voorletters', 'geboortedatum'])),
          x('ZKN:indicatieBekend', 'J'),
          x('ZKN:specifiekeVraag', x('BG:code', 'VT-001'), x('BG:antwoord', 'Bekend bij de bron sinds 2024.')),
        ),
        ent('JZ:heeftAlsInitiator', 'ZAKBTRINI', ent('ZKN:gerelateerde', 'BTR', oeh('veiligThuis'))),
        ent('JZ:heeftAlsUitvoerende', 'ZAKBTRUTV', ent('ZKN:gerelateerde', 'BTR', oeh('gegevenshouder'))),
      ),
    true,
  ),
  // ---- gm: generieke melding (politie → Veilig Thuis, soort VT) and its uitkomst
  di01('meldingGeneriekDi01', 'gm', PARTIES.politie, PARTIES.veiligThuis, () =>
    ent(
      'JZ:object',
      'ZAK',
      x('ZKN:identificatie', MELDING_ID),
      ent(
        'ZKN:heeftBetrekkingOp',
        'ZAKOBJ',
        ent(
          'ZKN:gerelateerde',
          'OBJ',
          nps(
            KIND,
            ['bsn', 'geslachtsnaam', 'voornamen', 'geslachtsaanduiding', 'geboortedatum'],
            x(
              'BG:adres',
              x('BG:soortadres', '01'),
              x(
                'BG:nederlandsadres',
                x('BG:wpl.woonplaatsNaam', 'Proefdorp'),
                x('BG:aoa.postcode', '9999ZZ'),
                x('BG:aoa.huisnummer', '1'),
              ),
            ),
          ),
        ),
        x('ZKN:hoedanigheid', '001'),
      ),
      ent('ZKN:heeftAlsInitiator', 'ZAKBTRINI', ent('ZKN:gerelateerde', 'BTR', oeh('politie'))),
      ent('ZKN:heeftAlsUitvoerende', 'ZAKBTRUTV', ent('ZKN:gerelateerde', 'BTR', oeh('veiligThuis'))),
      ent(
        'ZKN:betreft',
        'ZAKZOS',
        ent(
          'ZKN:gerelateerde',
          'ZOS',
          x('JZ:omschrijvingZorgelijkeSituatie', 'Zorgen over de thuissituatie van het kind.'),
        ),
      ),
      x('JZ:datumTijdMelding', '20261015091500'),
      x('JZ:soortmeldingCode', 'VT'),
      x('JZ:redenMelding', x('JZ:omschrijving', 'Huiselijk geweld in aanwezigheid van een minderjarige.')),
      x('JZ:verzoekOmschrijving', 'Verzoek om een veiligheidsbeoordeling.'),
    ),
  ),
  di01('uitkomstMeldingGeneriekDi01', 'gm', PARTIES.veiligThuis, PARTIES.politie, () =>
    ent(
      'JZ:object',
      'ZAK',
      x('ZKN:identificatie', ZAAK_ID),
      ent('ZKN:heeftAlsInitiator', 'ZAKBTRINI', ent('ZKN:gerelateerde', 'BTR', oeh('politie'))),
      ent('ZKN:heeftAlsUitvoerende', 'ZAKBTRUTV', ent('ZKN:gerelateerde', 'BTR', oeh('veiligThuis'))),
      x('JZ:uwIdentificatie', MELDING_ID),
      x('JZ:soortmeldingCode', 'VT'),
      x('JZ:statuscode', 'VT-00'),
    ),
  ),
  // ---- StUF0301 service messages (RvdK answering a vtoDi01 of the gemeente): crossRefnummer, no functie
  service('Bv01'),
  service('Bv03'),
  service('Fo01', () => [
    foutBody('StUF010', 'client', 'Combinatie van ontvangende organisatie, applicatie en administratie onbekend'),
  ]),
  service('Fo03', () => [foutBody('StUF016', 'client', 'Combinatie zender en referentienummer niet uniek')]),
];

export const MESSAGES: readonly MessageSpec[] = SPECS;

export function specOf(name: MessageName): MessageSpec {
  const spec = MESSAGES.find((m) => m.name === name);
  if (!spec) throw new Error(`no builder for ${name}`);
  return spec;
}

/** A complete, schema-valid message; options change the stuurgegevens (and break them, for negative controls). */
export function build(name: MessageName, opts: BuildOptions = {}): string {
  const spec = specOf(name);
  const prefix = spec.namespace === NS.JZ ? 'JZ' : 'StUF';
  return serialise(x(`${prefix}:${spec.rootElement}`, stuurgegevens(spec, opts), ...spec.body()));
}
