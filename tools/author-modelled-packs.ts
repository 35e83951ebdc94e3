/**
 * Developer tool: writes the MODELLED iEb 4.0 and iPgb 2.1 schema packs (schemas/ieb/4.0, schemas/ipgb/2.1).
 *
 *   node --import tsx tools/author-modelled-packs.ts
 *
 * No official XSDs are available for these standards. The packs are authored from the facts in
 * docs/standards.md §2.2, §2.3, §3 item 6 and §4.4 (status M) and reuse the project's iWmo 3.2 basisschema types
 * (schemas/iwmo/3.2/basisschema.xsd, itself documentation-free), re-declared in the iEb/iPgb basisschema namespace.
 *
 * Strict on the stated facts (element names, order, the 0..1 cardinalities listed, which header party is left
 * out, iPgb's BerichtCode and BerichtVersie 2 / BerichtSubversie 1 pins, amounts as LDT_Bedrag cents). Permissive
 * where standards.md says a fact is unknown: `Client` cardinality (1..n in a heen, 0..n in a retour), iEb
 * BerichtCode and versions (not pinned), code lists nobody has published to us (RetourCode, Zorgfunctie,
 * SoortRelatie, RedenBudgetafsluiting: short codes without an enumeration).
 *
 * Replace a folder with the official pack through `schakel schemas import`; the catalogue keeps working as long
 * as the official pack names its message XSDs WMO405.xsd … (the keys the catalogue refers to).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PackManifest } from '../src/xml/packs.ts';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const schemasDir = path.join(projectRoot, 'schemas');
const IWMO_BASISSCHEMA = path.join(schemasDir, 'iwmo', '3.2', 'basisschema.xsd');
const XS = 'http://www.w3.org/2001/XMLSchema';

const MODELLED_ORIGIN =
  'authored from standards.md (MODELLED); replace with the official pack via `schakel schemas import`';

// ---------------------------------------------------------------------------------------------------------
// The model: element declarations of local complex types. A type is `b:NAME` (basisschema), `m:NAME` (a
// complex type of the message XSD) or `pin:BASE=VALUE` (a basisschema type restricted to one value).

interface Decl {
  name: string;
  type: string;
  min?: 0;
  max?: 'unbounded';
}

interface LocalType {
  name: string;
  /** A berichtklasse: in a retour it ends in RetourCodes (standards.md §6.1, every retour class has them). */
  cls: boolean;
  fields: Decl[];
}

interface MessageModel {
  name: string;
  /** The iPgb code pin; undefined for iEb (codes not established, §2.2). */
  code?: string;
  /** iPgb pins BerichtVersie 2 / BerichtSubversie 1 (§3 item 6); iEb pins nothing. */
  versie?: [string, string];
  /** The header party the message carries: the other one is the fixed chain party (CAK/SVB), left out (§4.4). */
  party: 'Afzender' | 'Ontvanger';
  retour: boolean;
  types: LocalType[];
}

const ONE_OR_MORE = { max: 'unbounded' } as const;
const OPTIONAL = { min: 0 } as const;

/** WMO405 / WMO407: Client(Bsn) → a period class with <p>StartNummer, <p>Startdatum, <p>Stopdatum, <p>Kostprijs, StatusAanlevering. */
function iebBody(periodClass: string, p: 'Eb' | 'Bw'): LocalType[] {
  return [
    {
      name: 'Client',
      cls: true,
      fields: [
        { name: 'Bsn', type: 'b:LDT_BurgerServicenummer' },
        { name: periodClass, type: `m:${periodClass}`, ...ONE_OR_MORE },
      ],
    },
    {
      name: periodClass,
      cls: true,
      fields: [
        { name: `${p}StartNummer`, type: 'b:LDT_Nummer' },
        { name: `${p}Startdatum`, type: 'b:LDT_Datum' },
        { name: `${p}Stopdatum`, type: 'b:LDT_Datum', ...OPTIONAL },
        { name: `${p}Kostprijs`, type: `m:${p}Kostprijs`, ...OPTIONAL },
        { name: 'StatusAanlevering', type: 'b:LDT_StatusAanlevering' },
      ],
    },
    {
      name: `${p}Kostprijs`,
      cls: false,
      fields: [
        { name: 'KostprijsBedrag', type: 'b:LDT_Bedrag' },
        { name: 'KostprijsStartdatum', type: 'b:LDT_Datum' },
      ],
    },
  ];
}

/** TKB (501): Client(Bsn, personalia) → one Budget with FunctieBudget+, Relatie*, Contact*. */
const TKB_BODY: LocalType[] = [
  {
    name: 'Client',
    cls: true,
    fields: [
      { name: 'Bsn', type: 'b:LDT_BurgerServicenummer' },
      { name: 'Geboortedatum', type: 'b:CDT_Geboortedatum', ...OPTIONAL },
      { name: 'Geslacht', type: 'b:LDT_Geslacht', ...OPTIONAL },
      { name: 'Naam', type: 'b:CDT_VolledigeNaam', ...OPTIONAL },
      { name: 'Budget', type: 'm:Budget' },
    ],
  },
  {
    name: 'Budget',
    cls: true,
    fields: [
      { name: 'BudgetIdentificatie', type: 'b:LDT_Referentie' },
      { name: 'BudgetIdentificatieOud', type: 'b:LDT_Referentie', ...OPTIONAL },
      { name: 'Afgiftedatum', type: 'b:LDT_Datum', ...OPTIONAL },
      { name: 'BudgetPeriode', type: 'b:CDT_BudgetPeriode', ...OPTIONAL },
      { name: 'FunctieBudget', type: 'm:FunctieBudget', ...ONE_OR_MORE },
      { name: 'Relatie', type: 'm:Relatie', min: 0, max: 'unbounded' },
      { name: 'Contact', type: 'm:Contact', min: 0, max: 'unbounded' },
    ],
  },
  {
    name: 'FunctieBudget',
    cls: true,
    fields: [
      { name: 'Zorgfunctie', type: 'b:LDT_Zorgfunctie' },
      { name: 'FunctieBudgetBedrag', type: 'b:LDT_Bedrag' },
      { name: 'FunctieBudgetPeriode', type: 'b:CDT_BudgetPeriode' },
      { name: 'VerantwoordingsvrijBedrag', type: 'b:LDT_Bedrag', ...OPTIONAL },
    ],
  },
  {
    name: 'Relatie',
    cls: true,
    fields: [
      { name: 'Nummer', type: 'b:LDT_Persoonsid' },
      { name: 'Soort', type: 'b:LDT_SoortRelatie' },
      { name: 'Bsn', type: 'b:LDT_BurgerServicenummer', ...OPTIONAL },
      { name: 'Naam', type: 'b:CDT_VolledigeNaam', ...OPTIONAL },
      { name: 'KvkNummer', type: 'b:LDT_KvkNummer', ...OPTIONAL },
      { name: 'Organisatie', type: 'b:LDT_Organisatienaam', ...OPTIONAL },
      { name: 'Geslacht', type: 'b:LDT_Geslacht', ...OPTIONAL },
      { name: 'Ingangsdatum', type: 'b:LDT_Datum', ...OPTIONAL },
    ],
  },
  {
    name: 'Contact',
    cls: true,
    fields: [
      { name: 'Ingangsdatum', type: 'b:LDT_Datum', ...OPTIONAL },
      { name: 'Telefoon', type: 'b:CDT_Telefoonnummers', ...OPTIONAL },
      { name: 'Emailadres', type: 'b:LDT_Emailadres', ...OPTIONAL },
      { name: 'Adres', type: 'b:CDT_Adres', ...OPTIONAL },
    ],
  },
];

/** BAB (507): Client(Bsn) → FunctieBudgetBesteed+. */
const BAB_BODY: LocalType[] = [
  {
    name: 'Client',
    cls: true,
    fields: [
      { name: 'Bsn', type: 'b:LDT_BurgerServicenummer' },
      { name: 'FunctieBudgetBesteed', type: 'm:FunctieBudgetBesteed', ...ONE_OR_MORE },
    ],
  },
  {
    name: 'FunctieBudgetBesteed',
    cls: true,
    fields: [
      { name: 'BudgetIdentificatie', type: 'b:LDT_Referentie' },
      { name: 'Zorgfunctie', type: 'b:LDT_Zorgfunctie' },
      { name: 'BestedingsPeriode', type: 'b:CDT_GeslotenPeriode' },
      { name: 'FunctieBudgetBesteed', type: 'b:LDT_Bedrag' },
      { name: 'VerantwoordingsvrijBedragBesteed', type: 'b:LDT_Bedrag', ...OPTIONAL },
      { name: 'ZiekengeldBesteed', type: 'b:LDT_Bedrag', ...OPTIONAL },
      { name: 'RedenBudgetafsluiting', type: 'b:LDT_RedenBudgetafsluiting' },
    ],
  },
];

const IEB_MESSAGES: MessageModel[] = [
  { name: 'WMO405', party: 'Afzender', retour: false, types: iebBody('PeriodeEigenBijdrageAbo', 'Eb') },
  { name: 'WMO406', party: 'Afzender', retour: true, types: iebBody('PeriodeEigenBijdrageAbo', 'Eb') },
  { name: 'WMO407', party: 'Afzender', retour: false, types: iebBody('PeriodeBeschermdWonen', 'Bw') },
  { name: 'WMO408', party: 'Afzender', retour: true, types: iebBody('PeriodeBeschermdWonen', 'Bw') },
];

const V21: [string, string] = ['2', '1'];
const IPGB_MESSAGES: MessageModel[] = [
  { name: 'WMO501', code: '458', versie: V21, party: 'Afzender', retour: false, types: TKB_BODY },
  { name: 'WMO502', code: '459', versie: V21, party: 'Afzender', retour: true, types: TKB_BODY },
  { name: 'JW501', code: '460', versie: V21, party: 'Afzender', retour: false, types: TKB_BODY },
  { name: 'JW502', code: '461', versie: V21, party: 'Afzender', retour: true, types: TKB_BODY },
  { name: 'WMO507', code: '464', versie: V21, party: 'Ontvanger', retour: false, types: BAB_BODY },
  { name: 'WMO508', code: '465', versie: V21, party: 'Ontvanger', retour: true, types: BAB_BODY },
  { name: 'JW507', code: '466', versie: V21, party: 'Ontvanger', retour: false, types: BAB_BODY },
  { name: 'JW508', code: '467', versie: V21, party: 'Ontvanger', retour: true, types: BAB_BODY },
];

/** iWmo basisschema types the packs re-declare (their dependencies are added automatically). */
const REUSED = {
  ieb: [
    'LDT_BerichtCode',
    'LDT_BerichtVersie',
    'LDT_BerichtSubversie',
    'LDT_Gemeente',
    'CDT_BerichtIdentificatie',
    'CDT_XsdVersie',
    'LDT_IdentificatieBericht',
    'LDT_Versie',
    'LDT_Datum',
    'LDT_BurgerServicenummer',
    'LDT_Nummer',
    'LDT_Bedrag',
    'LDT_StatusAanlevering',
  ],
  ipgb: [
    'LDT_BerichtCode',
    'LDT_BerichtVersie',
    'LDT_BerichtSubversie',
    'LDT_Gemeente',
    'CDT_BerichtIdentificatie',
    'CDT_XsdVersie',
    'LDT_IdentificatieBericht',
    'LDT_Versie',
    'LDT_Datum',
    'LDT_BurgerServicenummer',
    'LDT_Bedrag',
    'LDT_Referentie',
    'CDT_Geboortedatum',
    'LDT_Geslacht',
    'CDT_VolledigeNaam',
    'LDT_Persoonsid',
    'LDT_Organisatienaam',
    'CDT_Telefoonnummers',
    'LDT_Emailadres',
    'CDT_Adres',
    'CDT_GeslotenPeriode',
  ],
};

/** Code types whose values nobody has published to us: a short code, no enumeration (permissive). */
function shortCode(name: string, pattern: string): string {
  return (
    `  <xs:simpleType name="${name}">\n    <xs:restriction base="xs:string">\n` +
    `      <xs:pattern value="${pattern}"/>\n    </xs:restriction>\n  </xs:simpleType>\n`
  );
}

/** Types the packs add to the reused ones (p = the basisschema prefix). */
function ownTypes(standard: 'ieb' | 'ipgb', p: string): string[] {
  const retourCode = shortCode('LDT_RetourCode', '[0-9A-Z]{4}');
  if (standard === 'ieb') return [retourCode];
  return [
    retourCode,
    `  <xs:complexType name="CDT_BudgetPeriode">\n    <xs:sequence>\n` +
      `      <xs:element name="Ingangsdatum" type="${p}:LDT_Datum"/>\n` +
      `      <xs:element name="Einddatum" type="${p}:LDT_Datum" minOccurs="0"/>\n` +
      '    </xs:sequence>\n  </xs:complexType>\n',
    shortCode('LDT_KvkNummer', '[0-9]{8}'),
    shortCode('LDT_RedenBudgetafsluiting', '[0-9A-Z]{1,3}'),
    shortCode('LDT_SoortRelatie', '[0-9A-Z]{1,3}'),
    shortCode('LDT_Zorgfunctie', '[0-9]{1,3}'),
  ];
}

// ---------------------------------------------------------------------------------------------------------
// Writing.

interface PackSpec {
  standard: 'ieb' | 'ipgb';
  release: string;
  label: string;
  messages: MessageModel[];
}

const PACKS: PackSpec[] = [
  { standard: 'ieb', release: '4.0', label: 'iEb 4.0', messages: IEB_MESSAGES },
  { standard: 'ipgb', release: '2.1', label: 'iPgb 2.1', messages: IPGB_MESSAGES },
];

function namespace(standard: string, release: string, local: string): string {
  return `http://www.istandaarden.nl/${standard}/${release.replace('.', '_')}/${local}/schema`;
}

function main(): void {
  const iwmo = topLevelTypes(fs.readFileSync(IWMO_BASISSCHEMA, 'utf8'));
  for (const spec of PACKS) {
    const dir = path.join(schemasDir, spec.standard, spec.release);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'basisschema.xsd'), basisschema(spec, iwmo));
    for (const m of spec.messages) fs.writeFileSync(path.join(dir, `${m.name}.xsd`), messageSchema(spec, m));
    const manifest: PackManifest = {
      id: `${spec.standard}-${spec.release}`,
      standard: spec.standard,
      release: spec.release,
      origin: `${spec.label}: ${MODELLED_ORIGIN}`,
      messages: Object.fromEntries(spec.messages.map((m) => [m.name, `${m.name}.xsd`])),
    };
    fs.writeFileSync(path.join(dir, 'pack.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    console.log(
      `${manifest.id}: ${spec.messages.length} messages + basisschema.xsd → schemas/${spec.standard}/${spec.release}`,
    );
  }
}

/** Top-level simple and complex types of the (two-space indented) iWmo basisschema, by name. */
function topLevelTypes(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /^ {2}<xs:(simpleType|complexType) name="([^"]+)">\n[\s\S]*?^ {2}<\/xs:\1>\n/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) out.set(m[2]!, m[0]);
  return out;
}

function basisschema(spec: PackSpec, iwmo: Map<string, string>): string {
  const p = spec.standard;
  const ns = namespace(spec.standard, spec.release, 'basisschema');
  const wanted = new Set<string>();
  const visit = (name: string): void => {
    if (wanted.has(name)) return;
    const block = iwmo.get(name);
    if (!block) throw new Error(`the iWmo basisschema has no type ${name}`);
    wanted.add(name);
    for (const ref of block.matchAll(/iwmo:(\w+)/g)) visit(ref[1]!);
  };
  REUSED[spec.standard].forEach(visit);
  const reused = [...wanted].map((name) => iwmo.get(name)!.replace(/iwmo:/g, `${p}:`));
  const own = ownTypes(spec.standard, p);
  const blocks = [...reused, ...own].sort((a, b) => typeName(a).localeCompare(typeName(b)));
  return (
    '<?xml version="1.0" encoding="utf-8"?>\n' +
    `<xs:schema xmlns:xs="${XS}" xmlns:${p}="${ns}" targetNamespace="${ns}" elementFormDefault="qualified">\n` +
    blocks.join('') +
    '</xs:schema>\n'
  );
}

function typeName(block: string): string {
  return /name="([^"]+)"/.exec(block)![1]!;
}

function messageSchema(spec: PackSpec, m: MessageModel): string {
  const b = spec.standard;
  const mp = m.name.toLowerCase();
  const ns = namespace(spec.standard, spec.release, mp);
  const basisNs = namespace(spec.standard, spec.release, 'basisschema');
  const type = (t: string): string => (t.startsWith('b:') ? `${b}:${t.slice(2)}` : `${mp}:${t.slice(2)}`);
  const element = (d: Decl, indent: string): string => {
    const occurs = `${d.min === 0 ? ' minOccurs="0"' : ''}${d.max ? ` maxOccurs="${d.max}"` : ''}`;
    if (d.type.startsWith('pin:')) {
      const [base, value] = d.type.slice(4).split('=') as [string, string];
      return (
        `${indent}<xs:element name="${d.name}"${occurs}>\n${indent}  <xs:simpleType>\n` +
        `${indent}    <xs:restriction base="${b}:${base}">\n${indent}      <xs:pattern value="${value}"/>\n` +
        `${indent}    </xs:restriction>\n${indent}  </xs:simpleType>\n${indent}</xs:element>\n`
      );
    }
    return `${indent}<xs:element name="${d.name}" type="${type(d.type)}"${occurs}/>\n`;
  };
  const complex = (name: string, fields: Decl[]): string =>
    `  <xs:complexType name="${name}">\n    <xs:sequence>\n${fields.map((f) => element(f, '      ')).join('')}    </xs:sequence>\n  </xs:complexType>\n`;

  const pinned = (name: string, base: string, value: string | undefined): Decl =>
    value === undefined ? { name, type: `b:${base}` } : { name, type: `pin:${base}=${value}` };
  const header: Decl[] = [
    pinned('BerichtCode', 'LDT_BerichtCode', m.code),
    pinned('BerichtVersie', 'LDT_BerichtVersie', m.versie?.[0]),
    pinned('BerichtSubversie', 'LDT_BerichtSubversie', m.versie?.[1]),
    { name: m.party, type: 'b:LDT_Gemeente' },
    { name: 'BerichtIdentificatie', type: 'b:CDT_BerichtIdentificatie' },
    { name: 'XsdVersie', type: 'b:CDT_XsdVersie' },
  ];
  if (m.retour) {
    header.push(
      { name: 'IdentificatieRetour', type: 'b:LDT_IdentificatieBericht' },
      { name: 'DagtekeningRetour', type: 'b:LDT_Datum' },
      { name: 'XsltVersie', type: 'b:LDT_Versie', ...OPTIONAL },
      { name: 'XsdVersieRetour', type: 'b:CDT_XsdVersie' },
      { name: 'RetourCodes', type: 'm:RetourCodes', ...OPTIONAL },
    );
  }
  const client: Decl = { name: 'Client', type: 'm:Client', max: 'unbounded', ...(m.retour ? OPTIONAL : {}) };
  let text =
    '<?xml version="1.0" encoding="utf-8"?>\n' +
    `<xs:schema xmlns:xs="${XS}" xmlns:${b}="${basisNs}" xmlns:${mp}="${ns}" targetNamespace="${ns}" elementFormDefault="qualified">\n` +
    `  <xs:import namespace="${basisNs}" schemaLocation="basisschema.xsd"/>\n` +
    `  <xs:element name="Bericht" type="${mp}:Root"/>\n` +
    complex('Root', [{ name: 'Header', type: 'm:Header' }, client]) +
    complex('Header', header);
  if (m.retour) text += complex('RetourCodes', [{ name: 'RetourCode', type: 'b:LDT_RetourCode', max: 'unbounded' }]);
  for (const t of m.types) {
    text += complex(
      t.name,
      m.retour && t.cls ? [...t.fields, { name: 'RetourCodes', type: 'm:RetourCodes' }] : t.fields,
    );
  }
  return `${text}</xs:schema>\n`;
}

main();
