import { type Catalogue, catalogue as defaultCatalogue } from '../catalogue/catalogue.ts';
import type { CatalogueEntry } from '../catalogue/types.ts';
import { calendarDay, isoDay } from '../rules/istandaarden/dates.ts';
import { headerShape, messageNumber } from '../rules/istandaarden/messages.ts';
import { escapeText } from '../xml/escape.ts';
import { at, child, type XNode } from '../xml/tree.ts';

/** BasisschemaXsdVersie + BerichtXsdVersie (CDT_XsdVersie). */
export interface XsdVersie {
  basisschema: string;
  bericht: string;
}

/**
 * The XSD versions of the retour schemas this gateway builds against, written as XsdVersieRetour (retours) and
 * XsdVersie (325). iWmo 3.2: appinfo 1.0.0/1.0.0. iJw 3.2: the reference pack's appinfo says 0.1.0 for every
 * schema, but every iJw example, like iWmo, carries 1.0.0 (standards.md §8 item 3); 1.0.0 is used, and no rule
 * rejects on XsdVersie. Callers may pass other values.
 */
export const RETOUR_XSD_VERSIE: Record<RetourStandard, XsdVersie> = {
  iwmo: { basisschema: '1.0.0', bericht: '1.0.0' },
  ijw: { basisschema: '1.0.0', bericht: '1.0.0' },
  // The project's MODELLED iEb 4.0 / iPgb 2.1 packs (standards.md §4.4).
  ieb: { basisschema: '1.0.0', bericht: '1.0.0' },
  ipgb: { basisschema: '1.0.0', bericht: '1.0.0' },
};

/** The standards whose heenberichten get a retourbericht built by the gateway. */
type RetourStandard = 'iwmo' | 'ijw' | 'ieb' | 'ipgb';
const RETOUR_STANDARDS: ReadonlySet<string> = new Set<RetourStandard>(['iwmo', 'ijw', 'ieb', 'ipgb']);

/** iEb/iPgb (MODELLED): LDT_RetourCode is a pattern there, the codes of their own code lists (EB001, PGB001). */
const MODELLED_RETOURCODE = /^[0-9A-Z]{4}$/;

/** LDT_RetourCode of the iWmo and iJw 3.2 basisschema (the same 59 values in both). */
export const RETOURCODES: ReadonlySet<string> = new Set(
  (
    '0001 0200 0233 0611 8001 8017 8021 8187 8214 8848 9019 9056 9063 9069 9071 9074 9307 9308 9319 9321 9322 9326 ' +
    '9332 9333 9338 9339 9340 9341 9346 9347 9349 9350 9351 9355 9357 9359 9360 9361 9365 9366 9367 9369 9373 9374 ' +
    '9375 9379 9384 9385 9387 9388 9389 9390 9411 9412 9413 9414 9415 S300 S329'
  ).split(' '),
);

export interface RetourOptions {
  /** The retour's own identification (LDT_IdentificatieBericht: 1–12 characters, not blank). */
  identificatieRetour: string;
  /**
   * The day the retour is made: a yyyy-mm-dd day, or the instant it is made, which is written as its calendar
   * day in the Netherlands (Europe/Amsterdam, whatever the server's time zone), as TR135 judges Dagtekening.
   */
  dagtekeningRetour: string | Date;
  /** The version of the rule set that judged the heen (LDT_Versie x.y.z); filled for level-2 rejections. */
  xsltVersie?: string;
  /** Override of RETOUR_XSD_VERSIE for the standard. */
  xsdVersieRetour?: XsdVersie;
}

/**
 * The retourbericht the standard prescribes for a heenbericht the gateway rejected on its technical rules
 * (standards.md §4.2, §4.3, §6.1): Header only, no body classes.
 *
 * - 301/305/307/315/317/319 → 302/306/308/316/318/320: BerichtCode of the retour, elements 2–7 copied unchanged
 *   from the heen (Afzender and Ontvanger included), then IdentificatieRetour, DagtekeningRetour, XsltVersie,
 *   XsdVersieRetour and RetourCodes (left out when `codes` is empty: the "no remark" answer).
 * - 323 → 325: the 325's own header (Afzender = the 323's Ontvanger, Ontvanger = the 323's Afzender, its own
 *   BerichtIdentificatie from opts), DeclaratieIdentificatie = the 323's BerichtIdentificatie, XsltVersie,
 *   XsdVersieDeclaratie = the 323's XsdVersie and RetourCodes, which a 325 must have.
 *
 * Elements declared in the message XSD are in the message namespace, the children of basisschema types
 * (Identificatie, Dagtekening, the XsdVersie parts) in the basisschema namespace. Lines end in CR LF (OP192).
 */
export function buildRetour(
  heen: { entry: CatalogueEntry; root: XNode },
  codes: string[],
  opts: RetourOptions,
  cat: Catalogue = defaultCatalogue,
): string {
  const { entry } = heen;
  const retour = retourEntryOf(entry, cat);
  const o = normalised(opts);
  const retourCodes = [...new Set(codes)];
  checkCodes(entry, retourCodes);
  const x = openRetour(heen, retour, o);
  if (headerShape(retour) === 'antwoord' && retourCodes.length === 0)
    throw new Error(`buildRetour: a ${messageNumber(retour)} needs at least one RetourCode`);
  x.retourCodes(retourCodes);
  x.close('Header');
  x.close('Bericht');
  return x.toString();
}

/** The catalogue's retour for an iWmo/iJw heenbericht; throws for anything else. */
function retourEntryOf(entry: CatalogueEntry, cat: Catalogue): CatalogueEntry {
  if (!RETOUR_STANDARDS.has(entry.standard) || entry.direction !== 'heen') {
    throw new Error(`buildRetour: ${entry.name} is not an iWmo/iJw heenbericht (nor an iEb/iPgb one)`);
  }
  const retour = cat.retourOf(entry);
  if (!retour?.berichtCode) throw new Error(`buildRetour: the catalogue has no retour for ${entry.name}`);
  return retour;
}

function checkCodes(entry: CatalogueEntry, codes: string[]): void {
  const valid =
    entry.standard === 'ieb' || entry.standard === 'ipgb'
      ? (c: string) => MODELLED_RETOURCODE.test(c)
      : (c: string) => RETOURCODES.has(c);
  for (const c of codes) if (!valid(c)) throw new Error(`buildRetour: ${c} is not an LDT_RetourCode`);
}

type Normalised = RetourOptions & { dagtekeningRetour: string };

function normalised(opts: RetourOptions): Normalised {
  const day = typeof opts.dagtekeningRetour === 'string' ? opts.dagtekeningRetour : calendarDay(opts.dagtekeningRetour);
  const o = { ...opts, dagtekeningRetour: day };
  checkOptions(o);
  return o;
}

/**
 * Writes the retour's root and its header up to (not including) RetourCodes; the caller adds the header's
 * RetourCodes (XmlWriter.retourCodes writes nothing for an empty list), closes the Header and writes the body.
 */
function openRetour(heen: { entry: CatalogueEntry; root: XNode }, retour: CatalogueEntry, opts: Normalised): XmlWriter {
  const { entry, root } = heen;

  const header = child(root, 'Header');
  const copy = (path: string): string => {
    const text = at(header, path)?.text;
    if (text === undefined || text === '') throw new Error(`buildRetour: the ${entry.name} header has no ${path}`);
    return text;
  };
  const own = opts.xsdVersieRetour ?? RETOUR_XSD_VERSIE[entry.standard as RetourStandard];
  const x = new XmlWriter(retour.name.toLowerCase(), retour.namespace, entry.standard, basisschemaNamespace(retour));

  x.open('Bericht', true);
  x.open('Header');
  x.leaf('BerichtCode', retour.berichtCode ?? '');
  if (headerShape(retour) === 'antwoord') {
    const [versie = '', subversie = ''] = retour.release.split('.');
    x.leaf('BerichtVersie', versie);
    x.leaf('BerichtSubversie', subversie);
    x.leaf('Afzender', copy('Ontvanger'));
    x.leaf('Ontvanger', copy('Afzender'));
    x.identificatie('BerichtIdentificatie', opts.identificatieRetour, opts.dagtekeningRetour);
    x.xsdVersie('XsdVersie', own);
    x.identificatie(
      'DeclaratieIdentificatie',
      copy('BerichtIdentificatie/Identificatie'),
      copy('BerichtIdentificatie/Dagtekening'),
    );
    if (opts.xsltVersie !== undefined) x.leaf('XsltVersie', opts.xsltVersie);
    x.xsdVersie('XsdVersieDeclaratie', {
      basisschema: copy('XsdVersie/BasisschemaXsdVersie'),
      bericht: copy('XsdVersie/BerichtXsdVersie'),
    });
  } else {
    x.leaf('BerichtVersie', copy('BerichtVersie'));
    x.leaf('BerichtSubversie', copy('BerichtSubversie'));
    // iEb and the TKB leave out the fixed chain party: Afzender only (standards.md §4.4).
    x.leaf('Afzender', copy('Afzender'));
    if (entry.standard !== 'ieb' && entry.standard !== 'ipgb') x.leaf('Ontvanger', copy('Ontvanger'));
    x.identificatie(
      'BerichtIdentificatie',
      copy('BerichtIdentificatie/Identificatie'),
      copy('BerichtIdentificatie/Dagtekening'),
    );
    x.xsdVersie('XsdVersie', {
      basisschema: copy('XsdVersie/BasisschemaXsdVersie'),
      bericht: copy('XsdVersie/BerichtXsdVersie'),
    });
    x.leaf('IdentificatieRetour', opts.identificatieRetour);
    x.leaf('DagtekeningRetour', opts.dagtekeningRetour);
    if (opts.xsltVersie !== undefined) x.leaf('XsltVersie', opts.xsltVersie);
    x.xsdVersie('XsdVersieRetour', own);
  }
  return x;
}

const VERSIE = /^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$/;

function checkOptions(opts: Normalised): void {
  const id = opts.identificatieRetour;
  if (id.length < 1 || id.length > 12 || !/\S/.test(id))
    throw new Error('buildRetour: identificatieRetour must be 1–12 characters and not blank');
  if (isoDay(opts.dagtekeningRetour) !== opts.dagtekeningRetour)
    throw new Error('buildRetour: dagtekeningRetour must be a yyyy-mm-dd day');
  if (opts.xsltVersie !== undefined && !VERSIE.test(opts.xsltVersie))
    throw new Error('buildRetour: xsltVersie must be a version x.y.z');
  const v = opts.xsdVersieRetour;
  if (v && !(VERSIE.test(v.basisschema) && VERSIE.test(v.bericht)))
    throw new Error('buildRetour: xsdVersieRetour must be versions x.y.z');
}

/** …/iwmo/3_2/wmo302/schema → …/iwmo/3_2/basisschema/schema */
function basisschemaNamespace(entry: CatalogueEntry): string {
  return entry.namespace.replace(/\/[a-z]+\d{3}\/schema$/, '/basisschema/schema');
}

/** A small writer for the retour's fixed shape: message-namespace elements, basisschema leaves inside. */
class XmlWriter {
  private readonly lines = ['<?xml version="1.0" encoding="UTF-8"?>'];
  private depth = 0;

  constructor(
    private readonly prefix: string,
    private readonly ns: string,
    private readonly basisPrefix: string,
    private readonly basisNs: string,
  ) {}

  open(name: string, root = false, prefix = this.prefix): void {
    const decl = root ? ` xmlns:${this.prefix}="${this.ns}" xmlns:${this.basisPrefix}="${this.basisNs}"` : '';
    this.lines.push(`${this.indent()}<${prefix}:${name}${decl}>`);
    this.depth++;
  }

  close(name: string, prefix = this.prefix): void {
    this.depth--;
    this.lines.push(`${this.indent()}</${prefix}:${name}>`);
  }

  /** The basisschema namespace's prefix. */
  get basis(): string {
    return this.basisPrefix;
  }

  /** The prefix for a copied heen element: the message's own namespace or the basisschema's. */
  prefixFor(node: XNode, heenNamespace: string): string {
    return node.ns === heenNamespace ? this.prefix : this.basisPrefix;
  }

  leaf(name: string, text: string, prefix = this.prefix): void {
    this.lines.push(`${this.indent()}<${prefix}:${name}>${escapeText(text)}</${prefix}:${name}>`);
  }

  identificatie(name: string, identificatie: string, dagtekening: string): void {
    this.open(name);
    this.leaf('Identificatie', identificatie, this.basisPrefix);
    this.leaf('Dagtekening', dagtekening, this.basisPrefix);
    this.close(name);
  }

  xsdVersie(name: string, v: XsdVersie): void {
    this.open(name);
    this.leaf('BasisschemaXsdVersie', v.basisschema, this.basisPrefix);
    this.leaf('BerichtXsdVersie', v.bericht, this.basisPrefix);
    this.close(name);
  }

  retourCodes(codes: string[]): void {
    if (codes.length === 0) return;
    this.open('RetourCodes');
    for (const c of codes) this.leaf('RetourCode', c);
    this.close('RetourCodes');
  }

  toString(): string {
    return `${this.lines.join('\r\n')}\r\n`;
  }

  private indent(): string {
    return '\t'.repeat(this.depth);
  }
}

// --- level 3/4 retour contents (standards.md §6.1) ----------------------------------------------------------

/** One reason the heen is rejected, as the retour must report it. */
export interface RetourIssue {
  /** The rule's retourcode (LDT_RetourCode). */
  retourcode: string;
  /** The rule's level: 2 rejects the whole bericht with 0001; 3 and 4 answer per class. */
  level: 2 | 3 | 4;
  /** The element the rule points at, in heen.root. */
  node?: XNode;
  /** Or its path as pathOf writes it (/Bericht/Client/Bsn, positions where siblings repeat), as in a Finding. */
  path?: string | null;
}

/**
 * The classes that carry RetourCodes in each retour (from the official retour XSDs: every complex type of the
 * body whose last element is RetourCodes), keyed on the heen's number. The retour body mirrors the heen's
 * (same element names and order) with RetourCodes added as the last child of each class.
 */
export const RETOUR_CLASSES: Record<string, ReadonlySet<string>> = {
  '301': new Set(['Client', 'Relatie', 'Contact', 'ToegewezenProduct']),
  '305': new Set(['Client', 'StartProduct']),
  '307': new Set(['Client', 'StopProduct']),
  '315': new Set(['Client', 'AangevraagdProduct']),
  '317': new Set(['Client', 'Verzoek', 'OngewijzigdProduct', 'TeWijzigenProduct', 'NieuwProduct']),
  '319': new Set(['Antwoord', 'Woonplaatsbeginsel']),
  '323': new Set(['Declaratie', 'Client', 'Prestatie']),
  // iEb 4.0 and the TKB (MODELLED packs, WMO406/WMO408/WMO502/JW502).
  '405': new Set(['Client', 'PeriodeEigenBijdrageAbo']),
  '407': new Set(['Client', 'PeriodeBeschermdWonen']),
  '501': new Set(['Client', 'Budget', 'FunctieBudget', 'Relatie', 'Contact']),
};

/** No remark on this class; this class is not assessed (below a rejected one). */
const NO_REMARK = '0200';
const NOT_ASSESSED = '0233';
const TECHNICAL = '0001';
const FULLY_APPROVED = '8001';

/**
 * The retourbericht for a judged heenbericht, with the contents standards.md §6.1 prescribes per level:
 *
 * - no issues: Header only without RetourCodes; for a 323 the 325 "fully approved": Header 0200 and a
 *   DeclaratieAntwoord 8001 (TotaalToegekendBedrag = TotaalIngediendBedrag, no Clienten);
 * - any level-2 issue: Header only, RetourCode 0001 (XsltVersie from opts);
 * - a level-3/4 issue on the header (or outside any client): Header only, with the rules' codes;
 * - level-3/4 issues inside clients: Header 0200, and every client with an issue copied with all its classes,
 *   each with its rules' codes, 0233 when it lies below a rejected class (not assessed), else 0200; clients
 *   without issues are left out. For a 323 the 325 lists only the rejected Prestaties (the Client and
 *   DeclaratieAntwoord get 0200), and TotaalToegekendBedrag is the sum of the Prestaties not rejected.
 *
 * Copied leaf texts are the heen's with surrounding whitespace trimmed.
 */
export function buildAssessedRetour(
  heen: { entry: CatalogueEntry; root: XNode },
  issues: RetourIssue[],
  opts: RetourOptions,
  cat: Catalogue = defaultCatalogue,
): string {
  const retour = retourEntryOf(heen.entry, cat);
  checkCodes(
    heen.entry,
    issues.map((i) => i.retourcode),
  );
  // The number keys RETOUR_CLASSES for iEb/iPgb too (messageNumber answers for iWmo/iJw only).
  const nr = /(\d{3})$/.exec(heen.entry.name)![1]!;
  const antwoord = headerShape(retour) === 'antwoord';
  if (issues.some((i) => i.level === 2)) return buildRetour(heen, [TECHNICAL], opts, cat);

  const located = issues.map((i) => ({
    code: i.retourcode,
    node: i.node ?? (i.path ? nodeAtPath(heen.root, i.path) : undefined),
  }));
  const units = clientUnits(heen.root, nr);
  const unitOf = (node: XNode | undefined): XNode | undefined =>
    units.find((u) => node !== undefined && isWithin(node, u));
  const headerCodes = located.filter(
    (i) => !unitOf(i.node) && !(antwoord && i.node && isWithin(i.node, declaratieOf(heen.root))),
  );
  if (headerCodes.length > 0)
    return buildRetour(
      heen,
      headerCodes.map((i) => i.code),
      opts,
      cat,
    );

  const codesByClass = new Map<XNode, string[]>();
  const classes = RETOUR_CLASSES[nr] ?? new Set<string>();
  for (const i of located) {
    const cls = classOf(i.node!, classes);
    codesByClass.set(cls, [...new Set([...(codesByClass.get(cls) ?? []), i.code])]);
  }

  const x = openRetour(heen, retour, normalised(opts));
  if (antwoord) {
    x.retourCodes([NO_REMARK]);
    x.close('Header');
    writeDeclaratieAntwoord(x, heen, codesByClass);
  } else if (located.length === 0) {
    x.close('Header');
  } else {
    x.retourCodes([NO_REMARK]);
    x.close('Header');
    const failing = new Set(located.map((i) => unitOf(i.node)!));
    for (const unit of units.filter((u) => failing.has(u))) copyClass(x, heen, unit, classes, codesByClass, false);
  }
  x.close('Bericht');
  return x.toString();
}

/** The client units of a heen: the Clients (323: below Declaratie/Clienten), or the 319's Antwoord. */
function clientUnits(root: XNode, nr: string): XNode[] {
  if (nr === '319') return root.children.filter((c) => c.name === 'Antwoord');
  if (nr === '323')
    return (
      declaratieOf(root)
        ?.children.find((c) => c.name === 'Clienten')
        ?.children.filter((c) => c.name === 'Client') ?? []
    );
  return root.children.filter((c) => c.name === 'Client');
}

function declaratieOf(root: XNode): XNode | undefined {
  return child(root, 'Declaratie');
}

function isWithin(node: XNode, ancestor: XNode | undefined): boolean {
  for (let n: XNode | null = node; n; n = n.parent) if (n === ancestor) return true;
  return false;
}

/** The nearest class (ancestor-or-self with a RetourCodes in the retour) of an element. */
function classOf(node: XNode, classes: ReadonlySet<string>): XNode {
  for (let n: XNode | null = node; n; n = n.parent) if (classes.has(n.name)) return n;
  return node;
}

/** Copies a heen element into the retour: classes get RetourCodes as their last child. */
function copyClass(
  x: XmlWriter,
  heen: { entry: CatalogueEntry },
  node: XNode,
  classes: ReadonlySet<string>,
  codesByClass: Map<XNode, string[]>,
  belowRejected: boolean,
): void {
  const prefix = x.prefixFor(node, heen.entry.namespace);
  if (node.children.length === 0) {
    x.leaf(node.name, node.text, prefix);
    return;
  }
  const isClass = classes.has(node.name);
  const own = isClass ? codesByClass.get(node) : undefined;
  x.open(node.name, false, prefix);
  for (const c of node.children) copyClass(x, heen, c, classes, codesByClass, belowRejected || own !== undefined);
  if (isClass) x.retourCodes(own ?? [belowRejected ? NOT_ASSESSED : NO_REMARK]);
  x.close(node.name, prefix);
}

/** The 325 body for a 323 with level-3/4 issues inside clients, or the fully approved answer without. */
function writeDeclaratieAntwoord(
  x: XmlWriter,
  heen: { entry: CatalogueEntry; root: XNode },
  codesByClass: Map<XNode, string[]>,
): void {
  const declaratie = declaratieOf(heen.root);
  if (!declaratie) throw new Error('buildRetour: the 323 has no Declaratie');
  const clients = clientUnits(heen.root, '323');
  const prestatiesOf = (client: XNode): XNode[] =>
    child(client, 'Prestaties')?.children.filter((c) => c.name === 'Prestatie') ?? [];
  // A code on a Client (not on one of its Prestaties) rejects each of its Prestaties.
  const rejected = new Map<XNode, string[]>();
  for (const client of clients) {
    for (const p of prestatiesOf(client)) {
      const codes = [...(codesByClass.get(client) ?? []), ...(codesByClass.get(p) ?? [])];
      if (codes.length > 0) rejected.set(p, [...new Set(codes)]);
    }
  }
  const declaratieCodes = codesByClass.get(declaratie);
  const copy = (name: string): void => {
    const n = child(declaratie, name);
    if (!n) throw new Error(`buildRetour: the 323 Declaratie has no ${name}`);
    copyClass(x, heen, n, new Set(), new Map(), false);
  };
  x.open('DeclaratieAntwoord');
  copy('DeclaratieNummer');
  copy('TotaalIngediendBedrag');
  let granted = 0;
  if (!declaratieCodes) {
    for (const client of clients) {
      for (const p of prestatiesOf(client)) if (!rejected.has(p)) granted += signed(child(p, 'IngediendBedrag'));
    }
  }
  x.open('TotaalToegekendBedrag');
  x.leaf('TotaalBedrag', String(Math.abs(granted)), x.basis);
  x.leaf('DebetCredit', granted < 0 ? 'C' : 'D', x.basis);
  x.close('TotaalToegekendBedrag');
  const failing = clients.filter((c) => prestatiesOf(c).some((p) => rejected.has(p)));
  if (!declaratieCodes && failing.length > 0) {
    const prestatieClasses = new Set(['Prestatie']);
    x.open('Clienten');
    for (const client of failing) {
      x.open('Client');
      copyClass(x, heen, child(client, 'Bsn')!, new Set(), new Map(), false);
      x.open('Prestaties');
      for (const p of prestatiesOf(client).filter((q) => rejected.has(q)))
        copyClass(x, heen, p, prestatieClasses, new Map([[p, rejected.get(p)!]]), false);
      x.close('Prestaties');
      x.retourCodes([NO_REMARK]);
      x.close('Client');
    }
    x.close('Clienten');
  }
  x.retourCodes(declaratieCodes ?? [failing.length > 0 ? NO_REMARK : FULLY_APPROVED]);
  x.close('DeclaratieAntwoord');
}

/** CDT_BedragMetDC as signed cents (debit positive); 0 when unreadable. */
function signed(node: XNode | undefined): number {
  const bedrag = Number(child(node, 'Bedrag')?.text ?? 'NaN');
  if (!Number.isFinite(bedrag)) return 0;
  return child(node, 'DebetCredit')?.text === 'C' ? -bedrag : bedrag;
}

/** The element at a path written by pathOf (/Bericht/Client/Relaties/Relatie[2]/Nummer), or undefined. */
export function nodeAtPath(root: XNode, path: string): XNode | undefined {
  const steps = path.split('/').filter((s) => s !== '');
  const first = /^([^[]+)/.exec(steps[0] ?? '')?.[1];
  if (first === undefined || localName(first) !== root.name) return undefined;
  let cur: XNode | undefined = root;
  for (const step of steps.slice(1)) {
    const m = /^([^[]+)(?:\[(\d+)\])?$/.exec(step);
    if (!m || !cur) return undefined;
    const name = localName(m[1]!);
    const same: XNode[] = cur.children.filter((c) => c.name === name);
    cur = same[m[2] ? Number(m[2]) - 1 : 0];
  }
  return cur;
}

function localName(qname: string): string {
  const i = qname.indexOf(':');
  return i < 0 ? qname : qname.slice(i + 1);
}
