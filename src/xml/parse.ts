import { type ErrorDetail, ParseOption } from 'libxml2-wasm';
import {
  error as errorCollector,
  xmlCtxtSetErrorHandler,
  xmlFreeDoc,
  xmlFreeParserCtxt,
  xmlNewParserCtxt,
  xmlReadMemory,
} from 'libxml2-wasm/lib/libxml2.mjs';
import type { XNode } from './tree.ts';
import { buildTree } from './tree-build.ts';

/** Why a body could not be read as a bericht at all (before any schema is involved). */
export type XmlInputCode =
  | 'XML_EMPTY'
  | 'XML_TOO_LARGE'
  | 'XML_DTD_FORBIDDEN'
  | 'XML_ENCODING_UNSUPPORTED'
  | 'XML_BOM_FORBIDDEN'
  | 'XML_ENCODING_INVALID'
  | 'XML_TOO_DEEP'
  | 'XML_NOT_WELL_FORMED';

/** The HTTP status each input code is answered with. */
export const XML_INPUT_STATUS: Readonly<Record<XmlInputCode, number>> = {
  XML_EMPTY: 400,
  XML_TOO_LARGE: 413,
  XML_DTD_FORBIDDEN: 400,
  XML_ENCODING_UNSUPPORTED: 415,
  XML_BOM_FORBIDDEN: 415,
  XML_ENCODING_INVALID: 400,
  XML_TOO_DEEP: 400,
  XML_NOT_WELL_FORMED: 400,
};

/** Deepest element nesting libxml2 reads (its own limit with XML_PARSE_HUGE); a bericht needs about 15. */
export const MAX_DEPTH = 2048;

export class XmlInputError extends Error {
  constructor(
    readonly code: XmlInputCode,
    message: string,
    readonly line: number | null = null,
    readonly column: number | null = null,
  ) {
    super(message);
    this.name = 'XmlInputError';
  }
}

export interface ParseLimits {
  /** Largest body accepted, in bytes. */
  maxBytes: number;
}

export const DEFAULT_LIMITS: ParseLimits = { maxBytes: 25 * 1024 * 1024 };

/**
 * libxml2 options for untrusted input: no network, no external entities, no entity substitution, no DTD
 * loading, big line numbers for large declaraties. (A DTD is refused before parsing; see checkProlog.)
 *
 * XML_PARSE_HUGE lifts libxml2's 10 MB limit on one text node or attribute value: a GGK envelope carries its
 * bericht as base64 text of up to 25 MB. The body limit still bounds every value, libxml2 keeps its depth limit
 * (MAX_DEPTH) and its entity amplification check, and no entity can be declared because a DOCTYPE never
 * reaches the parser.
 *
 * XML_PARSE_COMPACT (also xmllint's default) stores a text shorter than 8 bytes (on wasm32) inside its node instead
 * of allocating it: a bericht's codes and numbers are mostly that short. The node's content pointer then points
 * into the node, so tree-build.ts reads it the same way.
 */
const PARSE_OPTIONS =
  ParseOption.XML_PARSE_NONET |
  ParseOption.XML_PARSE_NO_XXE |
  ParseOption.XML_PARSE_BIG_LINES |
  ParseOption.XML_PARSE_HUGE |
  ParseOption.XML_PARSE_COMPACT;

/**
 * A parsed document in libxml2's memory. The owner must dispose it (a bare handle, without the library's
 * finalizer-tracked wrapper: one document per bericht, freed in a finally).
 */
export class ParsedXml {
  #ptr: number;
  /**
   * Set (by tree-build.ts) when a text was read from an element that has child elements while `blanksDropped`:
   * only there can a dropped whitespace node have been part of the text, so what was read may differ from the
   * document's own text.
   */
  mixedTextRead = false;

  /**
   * @param generation which parser context (dictionary) made it: element and attribute names are strings of
   *   that context's dictionary, which lives as long as any document of it does (tree-build.ts caches them).
   * @param blanksDropped parsed with XML_PARSE_NOBLANKS (see parseXml's `blanks`).
   */
  constructor(
    ptr: number,
    readonly generation = 0,
    readonly blanksDropped = false,
  ) {
    this.#ptr = ptr;
  }

  /** libxml2's xmlDocPtr; 0 after dispose. */
  get ptr(): number {
    return this.#ptr;
  }

  dispose(): void {
    if (this.#ptr) xmlFreeDoc(this.#ptr);
    this.#ptr = 0;
  }
}

/**
 * What to do with whitespace-only text between elements. 'keep': the document as written. 'drop-where-safe':
 * parse with XML_PARSE_NOBLANKS (libxml2 then leaves out a whitespace-only text that comes before a start or end
 * tag in an element that has or gets child elements and holds no text before it: cheaper to parse, to
 * validate, to walk and to free), but only when the body has no comment, processing instruction or CDATA
 * section after its prolog — around those libxml2 would also drop whitespace that is an element's value. Then
 * the only texts that can differ are those of elements with child elements (mixed content, which no schema of
 * the gateway allows), and a read of one is marked (`mixedTextRead`). Whether blanks were dropped is
 * `blanksDropped`.
 */
export type Blanks = 'keep' | 'drop-where-safe';

/** Parses an untrusted bericht. The caller owns the returned document and must dispose it. */
export function parseXml(buf: Uint8Array, limits: ParseLimits = DEFAULT_LIMITS, blanks: Blanks = 'keep'): ParsedXml {
  if (buf.byteLength === 0) throw new XmlInputError('XML_EMPTY', 'the body is empty');
  if (buf.byteLength > limits.maxBytes) {
    throw new XmlInputError('XML_TOO_LARGE', `the body is ${buf.byteLength} bytes; the limit is ${limits.maxBytes}`);
  }
  const body = checkProlog(buf);
  const dropBlanks = blanks === 'drop-where-safe' && !hasMarkupAfter(buf, body);
  const reader = dropBlanks ? blankDroppingParser : parser;
  const { ptr, details } = reader.read(buf);
  const fatal = details.find((x) => x.level >= 2);
  if (!ptr || fatal) {
    if (ptr) xmlFreeDoc(ptr);
    throw inputErrorOf(fatal ?? details[0]);
  }
  return new ParsedXml(ptr, reader.generation, dropBlanks);
}

/** Whether a comment, CDATA section, DOCTYPE or processing instruction starts at or after `from`. */
function hasMarkupAfter(buf: Uint8Array, from: number): boolean {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  return follows(b, BANG, MARKUP_DECLARATION, from) || follows(b, QUESTION, PROCESSING_INSTRUCTION, from);
}

const MARKUP_DECLARATION = Buffer.from('<!');
const PROCESSING_INSTRUCTION = Buffer.from('<?');

/**
 * Whether `<` + `mark` (`pair`) occurs at or after `from`. The mark is searched alone (Buffer's native byte
 * search, far quicker than one for two bytes or a typed array's indexOf); it is rare in a bericht's text, where
 * `<` never is. A body full of marks that follow no `<` is searched for the pair instead, so that it cannot make
 * this loop run once per byte.
 */
function follows(b: Buffer, mark: number, pair: Buffer, from: number): boolean {
  let misses = 0;
  for (let i = b.indexOf(mark, from + 1); i >= 0; i = b.indexOf(mark, i + 1)) {
    if (b[i - 1] === LT) return true;
    if (++misses > 16) return b.indexOf(pair, i) >= 0;
  }
  return false;
}

/** Counts the parser contexts made, over both parsers: a context's number names its dictionary (tree-build.ts). */
let contexts = 0;

/**
 * One libxml2 parser context per thread, reused: creating a context costs as much as parsing a small
 * bericht. It is replaced every RECYCLE_AFTER documents so that its name dictionary, which every element
 * name ever parsed would otherwise join, stays bounded.
 */
class ReusableParser {
  private static readonly RECYCLE_AFTER = 1000;
  private ctxt = 0;
  private uses = 0;
  /** The number of this parser's current context among all contexts made (1 for the first; 0 is none). */
  generation = 0;
  private readonly slot = errorCollector.storage.allocate([]);

  constructor(private readonly options: number) {}

  read(buf: Uint8Array): { ptr: number; details: ErrorDetail[] } {
    if (!this.ctxt || this.uses >= ReusableParser.RECYCLE_AFTER) this.renew();
    this.uses++;
    const details = errorCollector.storage.get(this.slot);
    details.length = 0;
    const ptr = xmlReadMemory(this.ctxt, buf, null, null, this.options) as number;
    return { ptr, details: details.splice(0) };
  }

  private renew(): void {
    if (this.ctxt) xmlFreeParserCtxt(this.ctxt);
    this.ctxt = xmlNewParserCtxt() as number;
    this.generation = ++contexts;
    xmlCtxtSetErrorHandler(this.ctxt, errorCollector.errorCollector, this.slot);
    this.uses = 0;
  }
}

const parser = new ReusableParser(PARSE_OPTIONS);
/** A context of its own: options set on a libxml2 context are not all reset by the next parse's options. */
const blankDroppingParser = new ReusableParser(PARSE_OPTIONS | ParseOption.XML_PARSE_NOBLANKS);

/** A parser diagnostic as the input error it stands for: a limit, an encoding error, or plain not well-formed. */
function inputErrorOf(d: ErrorDetail | undefined): XmlInputError {
  if (!d) return new XmlInputError('XML_NOT_WELL_FORMED', 'not well-formed XML');
  const text = d.message.trim();
  const line = d.line || null;
  const column = d.col || null;
  if (/^Excessive depth in document/.test(text)) {
    return new XmlInputError('XML_TOO_DEEP', `elements are nested more than ${MAX_DEPTH} deep`, line, column);
  }
  if (/^(Invalid bytes in character encoding|Input is not proper UTF-8)/i.test(text)) {
    return new XmlInputError('XML_ENCODING_INVALID', `the bytes are not valid UTF-8: ${text}`, line, column);
  }
  return new XmlInputError('XML_NOT_WELL_FORMED', `not well-formed: ${text}`, line, column);
}

const LT = 0x3c;
const BANG = 0x21;
const QUESTION = 0x3f;
const DOCTYPE = Buffer.from('<!DOCTYPE');
const COMMENT_OPEN = Buffer.from('<!--');
const PI_CLOSE = Buffer.from('?>');
const COMMENT_CLOSE = Buffer.from('-->');

/**
 * Looks at the prolog only (declaration, comments, processing instructions, whitespace) and refuses a
 * DOCTYPE — internal subsets carry entity bombs and external ones reach out — and any encoding but UTF-8
 * without a byte-order mark. Works on the bytes with native searches, so a prolog of any length (a DOCTYPE
 * behind a megabyte of comment) is seen whole at little cost. Returns where the prolog ends (where it stopped
 * reading).
 */
function checkProlog(buf: Uint8Array): number {
  if (
    (buf[0] === 0xfe && buf[1] === 0xff) ||
    (buf[0] === 0xff && buf[1] === 0xfe) ||
    buf[0] === 0x00 ||
    buf[1] === 0x00
  ) {
    throw new XmlInputError(
      'XML_ENCODING_UNSUPPORTED',
      'UTF-16/UTF-32 input is not accepted; berichten are UTF-8',
      1,
      1,
    );
  }
  if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) {
    throw new XmlInputError(
      'XML_BOM_FORBIDDEN',
      'a byte-order mark (EF BB BF) is not accepted: berichten are UTF-8 without BOM (OP192); remove the first three bytes',
      1,
      1,
    );
  }
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  let i = 0;
  for (;;) {
    while (i < b.length && (b[i] === 0x20 || b[i] === 0x09 || b[i] === 0x0a || b[i] === 0x0d)) i++;
    if (b[i] !== LT) return i;
    if (b[i + 1] === QUESTION) {
      const end = b.indexOf(PI_CLOSE, i + 2);
      if (end < 0) return i; // libxml2 reports the unterminated processing instruction
      checkDeclaredEncoding(b, i, end);
      i = end + 2;
    } else if (b[i + 1] === BANG && b.compare(COMMENT_OPEN, 0, COMMENT_OPEN.length, i, i + COMMENT_OPEN.length) === 0) {
      const end = b.indexOf(COMMENT_CLOSE, i + 4);
      if (end < 0) return i;
      i = end + 3;
    } else if (b[i + 1] === BANG && isDoctype(b, i)) {
      const [line, column] = lineCol(b, i);
      throw new XmlInputError('XML_DTD_FORBIDDEN', 'a DOCTYPE (DTD) is not allowed in a bericht', line, column);
    } else return i;
  }
}

/** `<!DOCTYPE` at i, in any letter case (libxml2 wants upper case, but refusing any case costs nothing). */
function isDoctype(b: Buffer, i: number): boolean {
  if (i + DOCTYPE.length > b.length) return false;
  for (let k = 2; k < DOCTYPE.length; k++) if ((b[i + k]! | 0x20) !== (DOCTYPE[k]! | 0x20)) return false;
  return true;
}

/**
 * The last declaration checkDeclaredEncoding let pass, as bytes: a sender writes the same one in every bericht,
 * and the same bytes pass again without being decoded and matched.
 */
let passedDeclaration: Buffer = Buffer.alloc(0);

/** The XML declaration's encoding, when the processing instruction from..end is one. */
function checkDeclaredEncoding(b: Buffer, from: number, end: number): void {
  const to = Math.min(end, from + 512);
  if (
    to - from === passedDeclaration.length &&
    b.compare(passedDeclaration, 0, passedDeclaration.length, from, to) === 0
  )
    return;
  const pi = b.toString('latin1', from, to);
  const enc = /^<\?xml\s[^>]*encoding\s*=\s*["']([^"']+)["']/.exec(pi);
  if (enc && !/^(utf-?8|us-ascii)$/i.test(enc[1]!)) {
    const [line, column] = lineCol(b, from);
    throw new XmlInputError(
      'XML_ENCODING_UNSUPPORTED',
      `encoding "${enc[1]}" is not accepted; berichten are UTF-8`,
      line,
      column,
    );
  }
  passedDeclaration = Buffer.from(b.subarray(from, to));
}

/** 1-based line and column (in characters) of a byte offset. */
function lineCol(b: Buffer, offset: number): [number, number] {
  let line = 1;
  let lineStart = 0;
  for (let k = b.indexOf(0x0a); k >= 0 && k < offset; k = b.indexOf(0x0a, k + 1)) {
    line++;
    lineStart = k + 1;
  }
  return [line, b.toString('utf8', lineStart, offset).length + 1];
}

/** Builds the light JS tree of a parsed document (elements, direct text, attributes, line numbers). */
export function toTree(doc: ParsedXml): XNode {
  return buildTree(doc);
}

/**
 * The light tree of a document for a reader that is done with it before the document is disposed: each text is
 * decoded from libxml2's memory when first read (reading one after dispose throws), so texts nobody reads cost
 * nothing. The validator's tree.
 */
export function toLiveTree(doc: ParsedXml): XNode {
  return buildTree(doc, 'when-read');
}

/** Parses XML text or bytes straight into the light tree (tests, small documents). */
export function parseToTree(xml: string | Uint8Array, limits: ParseLimits = DEFAULT_LIMITS): XNode {
  const buf = typeof xml === 'string' ? new TextEncoder().encode(xml) : xml;
  const doc = parseXml(buf, limits);
  try {
    return toTree(doc);
  } finally {
    doc.dispose();
  }
}
