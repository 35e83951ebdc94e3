import { canonicalElement } from '../xml/canonical.ts';
import { documentElement } from '../xml/document-element.ts';
import { escapeAttr, escapeText } from '../xml/escape.ts';
import { type ParseLimits, toTree } from '../xml/parse.ts';
import { child, type XNode } from '../xml/tree.ts';
import { type Addressing, CONVERSATION_ID, DAI_NS, WSA_NS } from './dai-addressing.ts';
import { type FaultSpec, readSoap, SOAP11_NS, type SoapVersion } from './soap.ts';
import { parseSoapRequest, SoapRequestError } from './soap-request.ts';

/**
 * The DAI message (standards.md §7; DAI 1.0 §3.1): a SOAP 1.1 envelope whose Header holds only the WS-Addressing
 * elements and whose Body holds one `dai:bericht` with the bericht (a GGK envelope, a StUF-JZ message) in it.
 * It is posted with `SOAPAction: ""`.
 */

/** The HTTP headers of a DAI request: SOAP 1.1 with the empty SOAPAction (§3.1). */
export const DAI_REQUEST_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/xml; charset=utf-8',
  soapaction: '""',
};

/** The WS-Addressing header blocks, in the order of §3.1. */
export function addressingHeader(a: Addressing): string {
  const el = (name: string, value: string, attrs = '') => `<wsa:${name}${attrs}>${escapeText(value)}</wsa:${name}>`;
  return [
    el('To', a.to),
    `<wsa:From><wsa:Address>${escapeText(a.from)}</wsa:Address></wsa:From>`,
    el('Action', a.action),
    el('MessageID', a.messageId),
    a.relatesTo !== undefined ? el('RelatesTo', a.relatesTo) : '',
    a.conversationId !== undefined
      ? el('RelatesTo', a.conversationId, ` RelationshipType="${escapeAttr(CONVERSATION_ID)}"`)
      : '',
  ].join('');
}

/** A DAI message: the headers, and the document (without its XML declaration) inside dai:bericht. */
export function buildDaiEnvelope(addressing: Addressing, bericht: Uint8Array | string): Buffer {
  return Buffer.concat([
    Buffer.from(
      `<?xml version="1.0" encoding="UTF-8"?>\n<soap:Envelope xmlns:soap="${SOAP11_NS}" xmlns:wsa="${WSA_NS}">` +
        `<soap:Header>${addressingHeader(addressing)}</soap:Header><soap:Body><dai:bericht xmlns:dai="${DAI_NS}">`,
    ),
    documentElement(bericht),
    Buffer.from('</dai:bericht></soap:Body></soap:Envelope>\n'),
  ]);
}

/** What a problem with the WS-Addressing headers is, as a short machine-readable code. */
export type AddressingProblem = 'WSA_MISSING' | 'WSA_DUPLICATE' | 'WSA_FOREIGN_HEADER' | 'WSA_EMPTY';

/** The headers cannot be read: the request cannot be routed; answered with a fault (and a Fo03 when possible). */
export class AddressingError extends Error {
  /** The bericht of the request, when the headers were read as part of one (to answer it with a Fo03). */
  bericht?: { root: XNode; version: SoapVersion };

  constructor(
    readonly code: AddressingProblem,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'AddressingError';
  }
}

/**
 * Reads the WS-Addressing headers of a DAI message. Throws {@link AddressingError} when a required one is missing
 * or empty, appears twice, or when the Header holds anything else (DAI allows no other headers).
 */
export function readAddressing(headerBlocks: readonly XNode[]): Addressing {
  const foreign = headerBlocks.filter(
    (b) => b.ns !== WSA_NS || !['To', 'From', 'Action', 'MessageID', 'RelatesTo'].includes(b.name),
  );
  if (foreign.length) {
    throw new AddressingError(
      'WSA_FOREIGN_HEADER',
      `the SOAP Header may hold only the WS-Addressing elements; it also holds ${foreign.map((b) => `{${b.ns}}${b.name}`).join(', ')}`,
    );
  }
  const one = (name: string): string => {
    const found = headerBlocks.filter((b) => b.name === name);
    if (found.length === 0) throw new AddressingError('WSA_MISSING', `wsa:${name} is required`);
    if (found.length > 1) throw new AddressingError('WSA_DUPLICATE', `wsa:${name} appears ${found.length} times`);
    const node = found[0]!;
    const value = name === 'From' ? (child(node, 'Address')?.text ?? node.text) : node.text;
    if (!value) throw new AddressingError('WSA_EMPTY', `wsa:${name} is empty`);
    return value;
  };
  const relates = headerBlocks.filter((b) => b.name === 'RelatesTo');
  const plain = relates.filter((r) => r.attrs.RelationshipType === undefined);
  const conversation = relates.filter((r) => r.attrs.RelationshipType === CONVERSATION_ID);
  const other = relates.filter(
    (r) => r.attrs.RelationshipType !== undefined && r.attrs.RelationshipType !== CONVERSATION_ID,
  );
  if (other.length)
    throw new AddressingError(
      'WSA_FOREIGN_HEADER',
      `wsa:RelatesTo with RelationshipType "${other[0]!.attrs.RelationshipType}" is not part of DAI`,
    );
  if (plain.length > 1)
    throw new AddressingError('WSA_DUPLICATE', 'wsa:RelatesTo (without RelationshipType) appears more than once');
  if (conversation.length > 1)
    throw new AddressingError(
      'WSA_DUPLICATE',
      `wsa:RelatesTo RelationshipType="${CONVERSATION_ID}" appears more than once`,
    );
  return {
    to: one('To'),
    from: one('From'),
    action: one('Action'),
    messageId: one('MessageID'),
    ...(plain[0]?.text ? { relatesTo: plain[0].text } : {}),
    ...(conversation[0]?.text ? { conversationId: conversation[0].text } : {}),
  };
}

/** A DAI request the gateway received: its headers and the bericht inside dai:bericht, as its own document. */
export interface DaiRequest {
  version: SoapVersion;
  addressing: Addressing;
  /** The bericht as a standalone document (Canonical XML of the element: the namespaces in scope declared on it). */
  message: Buffer;
  root: XNode;
}

/**
 * Reads a DAI request. Throws {@link SoapRequestError} when it is no SOAP envelope that carries exactly one
 * `dai:bericht` with exactly one element in it, and {@link AddressingError} when its headers cannot be read.
 */
export function readDaiRequest(body: Uint8Array, limits: ParseLimits): DaiRequest {
  const doc = parseSoapRequest(body, limits);
  try {
    const tree = toTree(doc);
    const soap = readSoap(tree);
    const refuse = (text: string, version: SoapVersion = soap?.version ?? '1.1', code?: FaultSpec['code']): never => {
      throw new SoapRequestError({ side: 'client', text, ...(code ? { code } : {}) }, version);
    };
    if (!soap) return refuse(`DAI_NOT_SOAP: the root element is {${tree.ns}}${tree.name}, not a SOAP Envelope`);
    if (!soap.body) return refuse('DAI_NO_BODY: the SOAP Envelope has no Body');
    const bericht = soap.body.length === 1 ? soap.body[0]! : undefined;
    if (!bericht || bericht.ns !== DAI_NS || bericht.name !== 'bericht') {
      return refuse(
        `DAI_NO_BERICHT: the SOAP Body must carry exactly one {${DAI_NS}}bericht; it carries ${soap.body.map((b) => `{${b.ns}}${b.name}`).join(', ') || 'nothing'}`,
      );
    }
    if (bericht.children.length !== 1)
      return refuse(
        `DAI_BERICHT_CONTENT: dai:bericht must hold exactly one element; it holds ${bericht.children.length}`,
      );
    let addressing: Addressing;
    try {
      addressing = readAddressing(soap.headerBlocks);
    } catch (e) {
      if (e instanceof AddressingError) e.bericht = { root: bericht.children[0]!, version: soap.version };
      throw e;
    }
    const bodyIndex = tree.children.findIndex((c) => c.name === 'Body' && c.ns === tree.ns);
    return {
      version: soap.version,
      addressing,
      message: canonicalElement(doc, [bodyIndex, 0, 0]),
      root: bericht.children[0]!,
    };
  } finally {
    doc.dispose();
  }
}
