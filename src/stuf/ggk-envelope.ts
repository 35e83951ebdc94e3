import { randomUUID } from 'node:crypto';
import { type Catalogue, catalogue as defaultCatalogue } from '../catalogue/catalogue.ts';
import { GGK_NS, STUF0301_NS } from '../catalogue/data/stuf.ts';
import { recognise } from '../catalogue/recognise.ts';
import { escapeAttr } from '../xml/escape.ts';
import { SchemaPacks } from '../xml/packs.ts';
import { type ParsedXml, parseXml, toTree, XmlInputError } from '../xml/parse.ts';
import { child, textAt, type XNode } from '../xml/tree.ts';
import { XsdEngine } from '../xml/xsd.ts';
import {
  isUuidV4,
  leaf,
  readSysteem,
  renderSysteem,
  type Systeem,
  stufTijdstip,
  systeemProblems,
} from './stuurgegevens.ts';

/**
 * The StUF-GGK envelope (ggk0310 v2.1, standards.md §4.6): a bericht travels through the GGK base64-encoded in
 * `parameters/bericht` of an `envelopHeenbericht-ggk_Di01` (any heenbericht) or an `envelopRetourbericht-ggk_Du01`
 * (any retour, with crossRefnummer = the Di01's referentienummer).
 */

/** The GGK refuses envelopes over 25 MB, base64 included (§4.6, §7). Decimal megabytes: the stricter reading. */
export const GGK_MAX_ENVELOPE_BYTES = 25_000_000;

const XMIME_NS = 'http://www.w3.org/2005/05/xmlmime';
const VERSIENR = /^[0-9]{4}$/;
const VERSION_NAMES = ['applicatieVersie', 'applicatieSubversie', 'functieVersie', 'functieSubversie'] as const;

export type EnvelopeErrorCode = 'ENVELOPE_OPTIONS' | 'ENVELOPE_TOO_LARGE' | 'ENVELOPE_INVALID';

export class EnvelopeError extends Error {
  constructor(
    readonly code: EnvelopeErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'EnvelopeError';
  }
}

/** The envelope would exceed the GGK limit: the bericht must go another way (or be split by its sender). */
export class EnvelopeTooLargeError extends EnvelopeError {
  constructor(
    readonly size: number,
    readonly limit: number,
  ) {
    super('ENVELOPE_TOO_LARGE', `the envelope would be ${size} bytes; the GGK accepts at most ${limit}`);
    this.name = 'EnvelopeTooLargeError';
  }
}

/** The document is not a valid GGK envelope (not XML, not an envelope root, or not valid against its pack). */
export class EnvelopeInvalidError extends EnvelopeError {
  constructor(
    message: string,
    readonly details: string[] = [],
  ) {
    super('ENVELOPE_INVALID', details.length ? `${message}: ${details.join('; ')}` : message);
    this.name = 'EnvelopeInvalidError';
  }
}

/** applicatieVersie, applicatieSubversie, functieVersie and functieSubversie: four digits each. */
export type EnvelopeVersions = Record<(typeof VERSION_NAMES)[number], string>;

export interface WrapOptions {
  /** The real sender: the gemeentecode, the aanbieder's AGB, `CAK` or `SVB`, and its application. */
  zender: Systeem & { organisatie: string };
  /** The real receiver; `applicatie` defaults to `GGk`. */
  ontvanger: Omit<Systeem, 'applicatie'> & { organisatie: string; applicatie?: string };
  /** The payload's message name (WMO301, WMO405, …), at most 30 characters. */
  functie: string;
  /** A UUID v4; generated when left out. A resend after an unclear outcome reuses the original one. */
  referentienummer?: string;
  /** Default: now. */
  tijdstip?: Date;
  /** Du01: the referentienummer of the Di01 this retour answers. Given → Du01, absent → Di01. */
  crossRefnummer?: string;
  /** Du01: the heen's own identification (e.g. its Identificatie). */
  crossRefnummerBericht?: string;
  /** The payload's own identification (e.g. its Identificatie). */
  referentienummerBericht?: string;
  versions: EnvelopeVersions;
  /** StUF:bestandsnaam on `bericht` (≤255). */
  bestandsnaam?: string;
  /** xmime:contentType on `bericht`; default application/xml. */
  contentType?: string;
}

/**
 * Wraps a bericht in a GGK envelope: a Du01 when `crossRefnummer` is given, a Di01 otherwise. When the functie is
 * a catalogue message, its direction must agree (a retour travels in a Du01). Throws {@link EnvelopeError} for
 * options the envelope schema or the chain would refuse, and {@link EnvelopeTooLargeError} above 25 MB.
 */
export function wrap(bericht: Uint8Array, opts: WrapOptions, cat: Catalogue = defaultCatalogue): string {
  const du01 = opts.crossRefnummer !== undefined;
  checkOptions(opts, du01, cat, bericht.byteLength === 0);
  const base64Length = 4 * Math.ceil(bericht.byteLength / 3);
  if (base64Length > GGK_MAX_ENVELOPE_BYTES) throw new EnvelopeTooLargeError(base64Length, GGK_MAX_ENVELOPE_BYTES);

  const root = du01 ? 'envelopRetourbericht-ggk_Du01' : 'envelopHeenbericht-ggk_Di01';
  const ontvanger: Systeem = { ...opts.ontvanger, applicatie: opts.ontvanger.applicatie ?? 'GGk' };
  const attrs = `${opts.bestandsnaam === undefined ? '' : ` StUF:bestandsnaam="${escapeAttr(opts.bestandsnaam)}"`} xmime:contentType="${escapeAttr(opts.contentType ?? 'application/xml')}"`;

  const xml =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<GGK:${root} xmlns:GGK="${GGK_NS}" xmlns:StUF="${STUF0301_NS}" xmlns:xmime="${XMIME_NS}">\n` +
    '  <GGK:stuurgegevens>\n' +
    leaf('StUF', 'berichtcode', du01 ? 'Du01' : 'Di01', '    ') +
    renderSysteem('zender', opts.zender, '    ') +
    renderSysteem('ontvanger', ontvanger, '    ') +
    leaf('StUF', 'referentienummer', opts.referentienummer ?? randomUUID(), '    ') +
    leaf('StUF', 'tijdstipBericht', stufTijdstip(opts.tijdstip ?? new Date()), '    ') +
    leaf('StUF', 'crossRefnummer', opts.crossRefnummer, '    ') +
    leaf('StUF', 'functie', opts.functie, '    ') +
    '  </GGK:stuurgegevens>\n' +
    '  <GGK:parameters>\n' +
    leaf('GGK', 'referentienummerBericht', opts.referentienummerBericht, '    ') +
    leaf('GGK', 'crossRefnummerBericht', opts.crossRefnummerBericht, '    ') +
    leaf('GGK', 'applicatieVersie', opts.versions.applicatieVersie, '    ') +
    leaf('GGK', 'applicatieSubversie', opts.versions.applicatieSubversie, '    ') +
    leaf('GGK', 'functieVersie', opts.versions.functieVersie, '    ') +
    leaf('GGK', 'functieSubversie', opts.versions.functieSubversie, '    ') +
    `    <GGK:bericht${attrs}>${Buffer.from(bericht.buffer, bericht.byteOffset, bericht.byteLength).toString('base64')}</GGK:bericht>\n` +
    '  </GGK:parameters>\n' +
    `</GGK:${root}>\n`;
  const size = Buffer.byteLength(xml);
  if (size > GGK_MAX_ENVELOPE_BYTES) throw new EnvelopeTooLargeError(size, GGK_MAX_ENVELOPE_BYTES);
  return xml;
}

function checkOptions(opts: WrapOptions, du01: boolean, cat: Catalogue, empty: boolean): void {
  const problems = [
    ...(empty ? ['the bericht is empty'] : []),
    ...systeemProblems('zender', opts.zender, true),
    ...systeemProblems('ontvanger', { ...opts.ontvanger, applicatie: opts.ontvanger.applicatie ?? 'GGk' }, true),
  ];
  if (opts.functie.length < 1 || opts.functie.length > 30) problems.push('functie must be 1–30 characters');
  if (opts.referentienummer !== undefined && !isUuidV4(opts.referentienummer))
    problems.push('referentienummer must be a UUID v4 in lower case');
  for (const [name, value] of [
    ['crossRefnummer', opts.crossRefnummer],
    ['crossRefnummerBericht', opts.crossRefnummerBericht],
    ['referentienummerBericht', opts.referentienummerBericht],
  ] as const) {
    if (value !== undefined && (value.length < 1 || value.length > 40))
      problems.push(`${name} must be 1–40 characters`);
  }
  if (!du01 && opts.crossRefnummerBericht !== undefined)
    problems.push('crossRefnummerBericht belongs in a Du01 (give crossRefnummer)');
  for (const name of VERSION_NAMES)
    if (!VERSIENR.test(opts.versions[name])) problems.push(`${name} must be four digits`);
  if (opts.bestandsnaam !== undefined && opts.bestandsnaam.length > 255)
    problems.push('bestandsnaam is at most 255 characters');
  if (opts.contentType !== undefined && opts.contentType.length < 3)
    problems.push('contentType is at least 3 characters');
  const entry = cat.byName(opts.functie);
  if (entry && (entry.direction === 'retour') !== du01) {
    problems.push(
      du01
        ? `${opts.functie} is a heenbericht: it travels in a Di01 (leave out crossRefnummer)`
        : `${opts.functie} is a retour: it travels in a Du01 (give crossRefnummer)`,
    );
  }
  if (problems.length)
    throw new EnvelopeError('ENVELOPE_OPTIONS', `cannot build the GGK envelope: ${problems.join('; ')}`);
}

// ---------------------------------------------------------------------------------------------------------

export interface EnvelopeStuurgegevens {
  berichtcode: 'Di01' | 'Du01';
  zender: Systeem;
  ontvanger: Systeem;
  referentienummer: string;
  tijdstipBericht: string;
  crossRefnummer?: string;
  functie: string;
}

export interface EnvelopeParameters extends EnvelopeVersions {
  referentienummerBericht?: string;
  crossRefnummerBericht?: string;
  contentType: string;
  bestandsnaam?: string;
}

export interface Unwrapped {
  /** ggk_Di01 or ggk_Du01. */
  message: string;
  stuurgegevens: EnvelopeStuurgegevens;
  parameters: EnvelopeParameters;
  /** The carried bericht, byte for byte. */
  payload: Buffer;
}

let sharedPacks: SchemaPacks | undefined;
let sharedEngine: XsdEngine | undefined;

/**
 * Reads a GGK envelope after validating it against the envelope pack (ggk-0310): throws
 * {@link EnvelopeInvalidError} when the document is not an envelope or not valid. The payload is not judged here.
 */
export function unwrap(
  envelope: string | Uint8Array,
  packs?: SchemaPacks,
  cat: Catalogue = defaultCatalogue,
): Unwrapped {
  const source = typeof envelope === 'string' ? Buffer.from(envelope) : envelope;
  let doc: ParsedXml;
  try {
    doc = parseXml(source);
  } catch (e) {
    if (e instanceof XmlInputError) throw new EnvelopeInvalidError('not readable as XML', [e.message]);
    throw e;
  }
  try {
    const root = toTree(doc);
    const recognition = recognise(root, cat);
    if (!recognition.ok || recognition.entry.standard !== 'ggk') {
      throw new EnvelopeInvalidError('not a GGK envelope', [
        recognition.ok ? `it is a ${recognition.entry.name}` : recognition.reason,
      ]);
    }
    sharedPacks ??= packs ? undefined : SchemaPacks.load();
    const schemas = packs ?? (sharedPacks as SchemaPacks);
    if (!schemas.has(recognition.entry.schema))
      throw new EnvelopeInvalidError(`no schema pack is loaded for ${recognition.entry.name}`);
    sharedEngine ??= new XsdEngine();
    const errors = sharedEngine.validate(schemas.validator(recognition.entry.schema), doc);
    if (errors.length)
      throw new EnvelopeInvalidError(
        `${recognition.entry.name} is not valid against its schema`,
        errors.map((d) => `line ${d.line}: ${d.message.trim()}`),
      );
    return { message: recognition.entry.name, ...read(root) };
  } finally {
    doc.dispose();
  }
}

function read(root: XNode): Omit<Unwrapped, 'message'> {
  const s = child(root, 'stuurgegevens');
  const p = child(root, 'parameters');
  const bericht = child(p, 'bericht');
  const required = (node: XNode | undefined, name: string): string => textAt(node, name) ?? '';
  const optional = <K extends string>(node: XNode | undefined, name: K): Partial<Record<K, string>> => {
    const v = textAt(node, name);
    return v === undefined ? {} : ({ [name]: v } as Record<K, string>);
  };
  return {
    stuurgegevens: {
      berichtcode: required(s, 'berichtcode') as 'Di01' | 'Du01',
      zender: readSysteem(child(s, 'zender')),
      ontvanger: readSysteem(child(s, 'ontvanger')),
      referentienummer: required(s, 'referentienummer'),
      tijdstipBericht: required(s, 'tijdstipBericht'),
      ...optional(s, 'crossRefnummer'),
      functie: required(s, 'functie'),
    },
    parameters: {
      ...optional(p, 'referentienummerBericht'),
      ...optional(p, 'crossRefnummerBericht'),
      applicatieVersie: required(p, 'applicatieVersie'),
      applicatieSubversie: required(p, 'applicatieSubversie'),
      functieVersie: required(p, 'functieVersie'),
      functieSubversie: required(p, 'functieSubversie'),
      contentType: bericht?.attrs.contentType ?? '',
      ...(bericht?.attrs.bestandsnaam !== undefined ? { bestandsnaam: bericht.attrs.bestandsnaam } : {}),
    },
    payload: envelopePayload(root) ?? Buffer.alloc(0),
  };
}

/** The bericht an envelope tree carries (`parameters/bericht`, base64), or undefined when it has none. */
export function envelopePayload(root: XNode): Buffer | undefined {
  const encoded = textAt(child(root, 'parameters'), 'bericht');
  return encoded ? Buffer.from(encoded.replace(/\s+/g, ''), 'base64') : undefined;
}
