import { catalogue as defaultCatalogue, type Catalogue } from '../catalogue/catalogue.ts';
import type { CatalogueEntry } from '../catalogue/types.ts';
import { isoDay } from '../rules/istandaarden/dates.ts';
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
export const RETOUR_XSD_VERSIE: Record<'iwmo' | 'ijw', XsdVersie> = {
  iwmo: { basisschema: '1.0.0', bericht: '1.0.0' },
  ijw: { basisschema: '1.0.0', bericht: '1.0.0' },
};

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
  /** yyyy-mm-dd: the day the retour is made. */
  dagtekeningRetour: string;
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
  const { entry, root } = heen;
  if ((entry.standard !== 'iwmo' && entry.standard !== 'ijw') || entry.direction !== 'heen') {
    throw new Error(`buildRetour: ${entry.name} is not an iWmo/iJw heenbericht`);
  }
  const retour = cat.retourOf(entry);
  if (!retour?.berichtCode) throw new Error(`buildRetour: the catalogue has no retour for ${entry.name}`);
  checkOptions(opts);
  const retourCodes = [...new Set(codes)];
  for (const c of retourCodes) if (!RETOURCODES.has(c)) throw new Error(`buildRetour: ${c} is not an LDT_RetourCode`);

  const header = child(root, 'Header');
  const copy = (path: string): string => {
    const text = at(header, path)?.text;
    if (text === undefined || text === '') throw new Error(`buildRetour: the ${entry.name} header has no ${path}`);
    return text;
  };
  const own = opts.xsdVersieRetour ?? RETOUR_XSD_VERSIE[entry.standard];
  const x = new XmlWriter(retour.name.toLowerCase(), retour.namespace, entry.standard, basisschemaNamespace(retour));

  x.open('Bericht', true);
  x.open('Header');
  x.leaf('BerichtCode', retour.berichtCode);
  if (headerShape(retour) === 'antwoord') {
    const [versie = '', subversie = ''] = retour.release.split('.');
    x.leaf('BerichtVersie', versie);
    x.leaf('BerichtSubversie', subversie);
    x.leaf('Afzender', copy('Ontvanger'));
    x.leaf('Ontvanger', copy('Afzender'));
    x.identificatie('BerichtIdentificatie', opts.identificatieRetour, opts.dagtekeningRetour);
    x.xsdVersie('XsdVersie', own);
    x.identificatie('DeclaratieIdentificatie', copy('BerichtIdentificatie/Identificatie'), copy('BerichtIdentificatie/Dagtekening'));
    if (opts.xsltVersie !== undefined) x.leaf('XsltVersie', opts.xsltVersie);
    x.xsdVersie('XsdVersieDeclaratie', { basisschema: copy('XsdVersie/BasisschemaXsdVersie'), bericht: copy('XsdVersie/BerichtXsdVersie') });
    if (retourCodes.length === 0) throw new Error(`buildRetour: a ${messageNumber(retour)} needs at least one RetourCode`);
    x.retourCodes(retourCodes);
  } else {
    x.leaf('BerichtVersie', copy('BerichtVersie'));
    x.leaf('BerichtSubversie', copy('BerichtSubversie'));
    x.leaf('Afzender', copy('Afzender'));
    x.leaf('Ontvanger', copy('Ontvanger'));
    x.identificatie('BerichtIdentificatie', copy('BerichtIdentificatie/Identificatie'), copy('BerichtIdentificatie/Dagtekening'));
    x.xsdVersie('XsdVersie', { basisschema: copy('XsdVersie/BasisschemaXsdVersie'), bericht: copy('XsdVersie/BerichtXsdVersie') });
    x.leaf('IdentificatieRetour', opts.identificatieRetour);
    x.leaf('DagtekeningRetour', opts.dagtekeningRetour);
    if (opts.xsltVersie !== undefined) x.leaf('XsltVersie', opts.xsltVersie);
    x.xsdVersie('XsdVersieRetour', own);
    if (retourCodes.length > 0) x.retourCodes(retourCodes);
  }
  x.close('Header');
  x.close('Bericht');
  return x.toString();
}

const VERSIE = /^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$/;

function checkOptions(opts: RetourOptions): void {
  const id = opts.identificatieRetour;
  if (id.length < 1 || id.length > 12 || !/\S/.test(id)) throw new Error('buildRetour: identificatieRetour must be 1–12 characters and not blank');
  if (isoDay(opts.dagtekeningRetour) !== opts.dagtekeningRetour) throw new Error('buildRetour: dagtekeningRetour must be a yyyy-mm-dd day');
  if (opts.xsltVersie !== undefined && !VERSIE.test(opts.xsltVersie)) throw new Error('buildRetour: xsltVersie must be a version x.y.z');
  const v = opts.xsdVersieRetour;
  if (v && !(VERSIE.test(v.basisschema) && VERSIE.test(v.bericht))) throw new Error('buildRetour: xsdVersieRetour must be versions x.y.z');
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

  open(name: string, root = false): void {
    const decl = root ? ` xmlns:${this.prefix}="${this.ns}" xmlns:${this.basisPrefix}="${this.basisNs}"` : '';
    this.lines.push(`${this.indent()}<${this.prefix}:${name}${decl}>`);
    this.depth++;
  }

  close(name: string): void {
    this.depth--;
    this.lines.push(`${this.indent()}</${this.prefix}:${name}>`);
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
    this.open('RetourCodes');
    for (const c of codes) this.leaf('RetourCode', c);
    this.close('RetourCodes');
  }

  toString(): string {
    return this.lines.join('\r\n') + '\r\n';
  }

  private indent(): string {
    return '\t'.repeat(this.depth);
  }
}
