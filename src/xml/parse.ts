import { ParseOption, type ErrorDetail } from 'libxml2-wasm';
import {
  error as errorCollector,
  xmlCtxtSetErrorHandler,
  xmlDocGetRootElement,
  xmlFreeDoc,
  xmlFreeParserCtxt,
  xmlNewParserCtxt,
  xmlNodeGetContent,
  xmlReadMemory,
  XmlNodeStruct,
  XmlNsStruct,
  XmlTreeCommonStruct,
} from 'libxml2-wasm/lib/libxml2.mjs';
import type { XNode } from './tree.ts';

/** Why a body could not be read as a bericht at all (before any schema is involved). */
export type XmlInputCode =
  | 'XML_EMPTY'
  | 'XML_TOO_LARGE'
  | 'XML_DTD_FORBIDDEN'
  | 'XML_ENCODING_UNSUPPORTED'
  | 'XML_NOT_WELL_FORMED';

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
 * loading, big line numbers for large declaraties. (A DTD is refused before parsing; see refuseDoctype.)
 */
const PARSE_OPTIONS = ParseOption.XML_PARSE_NONET | ParseOption.XML_PARSE_NO_XXE | ParseOption.XML_PARSE_BIG_LINES;

/**
 * A parsed document in libxml2's memory. The owner must dispose it (a bare handle, without the library's
 * finalizer-tracked wrapper: one document per bericht, freed in a finally).
 */
export class ParsedXml {
  #ptr: number;

  constructor(ptr: number) {
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

/** Parses an untrusted bericht. The caller owns the returned document and must dispose it. */
export function parseXml(buf: Uint8Array, limits: ParseLimits = DEFAULT_LIMITS): ParsedXml {
  if (buf.byteLength === 0) throw new XmlInputError('XML_EMPTY', 'the body is empty');
  if (buf.byteLength > limits.maxBytes) {
    throw new XmlInputError('XML_TOO_LARGE', `the body is ${buf.byteLength} bytes; the limit is ${limits.maxBytes}`);
  }
  checkProlog(buf);
  const { ptr, details } = parser.read(buf);
  const fatal = details.find((x) => x.level >= 2);
  if (!ptr || fatal) {
    if (ptr) xmlFreeDoc(ptr);
    const d = fatal ?? details[0];
    throw new XmlInputError(
      'XML_NOT_WELL_FORMED',
      d ? `not well-formed: ${d.message.trim()}` : 'not well-formed XML',
      d?.line ?? null,
      d ? d.col || null : null,
    );
  }
  return new ParsedXml(ptr);
}

/**
 * One libxml2 parser context per thread, reused: creating a context costs as much as parsing a small
 * bericht. It is replaced every RECYCLE_AFTER documents so that its name dictionary, which every element
 * name ever parsed would otherwise join, stays bounded.
 */
class ReusableParser {
  private static readonly RECYCLE_AFTER = 1000;
  private ctxt = 0;
  private uses = 0;
  private readonly slot = errorCollector.storage.allocate([]);

  read(buf: Uint8Array): { ptr: number; details: ErrorDetail[] } {
    if (!this.ctxt || this.uses >= ReusableParser.RECYCLE_AFTER) this.renew();
    this.uses++;
    const details = errorCollector.storage.get(this.slot);
    details.length = 0;
    const ptr = xmlReadMemory(this.ctxt, buf, null, null, PARSE_OPTIONS) as number;
    return { ptr, details: details.splice(0) };
  }

  private renew(): void {
    if (this.ctxt) xmlFreeParserCtxt(this.ctxt);
    this.ctxt = xmlNewParserCtxt() as number;
    xmlCtxtSetErrorHandler(this.ctxt, errorCollector.errorCollector, this.slot);
    this.uses = 0;
  }
}

const parser = new ReusableParser();

/**
 * Looks at the prolog only (declaration, comments, processing instructions, whitespace) and refuses a
 * DOCTYPE — internal subsets carry entity bombs and external ones reach out — and encodings other than UTF-8.
 */
function checkProlog(buf: Uint8Array): void {
  if ((buf[0] === 0xfe && buf[1] === 0xff) || (buf[0] === 0xff && buf[1] === 0xfe) || buf[0] === 0x00 || buf[1] === 0x00) {
    throw new XmlInputError('XML_ENCODING_UNSUPPORTED', 'UTF-16/UTF-32 input is not accepted; berichten are UTF-8', 1, 1);
  }
  const head = new TextDecoder('utf-8', { fatal: false }).decode(buf.subarray(0, Math.min(buf.byteLength, 64 * 1024)));
  let i = head.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (;;) {
    while (i < head.length && /\s/.test(head[i]!)) i++;
    if (head.startsWith('<?', i)) {
      const end = head.indexOf('?>', i);
      if (end < 0) return;
      const pi = head.slice(i, end);
      const enc = /^<\?xml\s[^>]*encoding\s*=\s*["']([^"']+)["']/.exec(pi);
      if (enc && !/^(utf-?8|us-ascii)$/i.test(enc[1]!)) {
        const [line, column] = lineCol(head, i);
        throw new XmlInputError('XML_ENCODING_UNSUPPORTED', `encoding "${enc[1]}" is not accepted; berichten are UTF-8`, line, column);
      }
      i = end + 2;
    } else if (head.startsWith('<!--', i)) {
      const end = head.indexOf('-->', i);
      if (end < 0) return;
      i = end + 3;
    } else if (head.startsWith('<!DOCTYPE', i) || head.startsWith('<!doctype', i)) {
      const [line, column] = lineCol(head, i);
      throw new XmlInputError('XML_DTD_FORBIDDEN', 'a DOCTYPE (DTD) is not allowed in a bericht', line, column);
    } else return;
  }
}

function lineCol(text: string, offset: number): [number, number] {
  let line = 1;
  let lineStart = 0;
  for (let k = 0; k < offset; k++) {
    if (text.charCodeAt(k) === 10) {
      line++;
      lineStart = k + 1;
    }
  }
  return [line, offset - lineStart + 1];
}

/** Builds the light JS tree of a parsed document (elements, direct text, attributes, line numbers). */
export function toTree(doc: ParsedXml): XNode {
  return convert(xmlDocGetRootElement(doc.ptr) as number, null);
}

const ELEMENT = 1;
const TEXT = 3;
const CDATA = 4;
const node_ = XmlTreeCommonStruct as unknown as {
  type(p: number): number;
  name_(p: number): string;
  children(p: number): number;
  next(p: number): number;
};
const element_ = XmlNodeStruct as unknown as { namespace(p: number): number; properties(p: number): number; line(p: number): number };
const ns_ = XmlNsStruct as unknown as { href(p: number): string };

/**
 * Walks libxml2's tree through its struct accessors rather than the wrapper objects: one object per element
 * instead of several, which halves the cost of building the tree.
 */
function convert(ptr: number, parent: XNode | null): XNode {
  const nsPtr = element_.namespace(ptr);
  const node: XNode = {
    name: node_.name_(ptr),
    ns: nsPtr ? ns_.href(nsPtr) : '',
    line: element_.line(ptr) & 0xffff,
    text: '',
    attrs: {},
    children: [],
    parent,
  };
  for (let a = element_.properties(ptr); a; a = node_.next(a)) node.attrs[node_.name_(a)] = xmlNodeGetContent(a) as string;
  let text = '';
  for (let c = node_.children(ptr); c; c = node_.next(c)) {
    const type = node_.type(c);
    if (type === ELEMENT) node.children.push(convert(c, node));
    else if (type === TEXT || type === CDATA) text += xmlNodeGetContent(c) as string;
  }
  node.text = text.trim();
  return node;
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
