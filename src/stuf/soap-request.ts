import { canonicalElement } from '../xml/canonical.ts';
import { documentElement } from '../xml/document-element.ts';
import { type ParsedXml, type ParseLimits, parseXml, toTree, XmlInputError } from '../xml/parse.ts';
import type { XNode } from '../xml/tree.ts';
import { type FaultSpec, mustUnderstandBlocks, readSoap, type SoapVersion } from './soap.ts';

/**
 * A SOAP request received by the gateway (a GGK ggk_Du01, a CORV notificatieDi01, Bv01, Fo01 …): the one
 * message in its Body, taken out as a standalone document for the inbound pipeline.
 */
export interface SoapRequest {
  version: SoapVersion;
  /** The Body's message as its own document (Canonical XML of the element: the namespaces in scope declared on it). */
  message: Buffer;
  /** The message's tree: its stuurgegevens say whom to answer. */
  root: XNode;
}

/** The request is SOAP but cannot be taken: answer with this fault. */
export class SoapRequestError extends Error {
  constructor(
    readonly fault: FaultSpec,
    readonly version: SoapVersion,
  ) {
    super(fault.text);
    this.name = 'SoapRequestError';
  }
}

/**
 * The local name of a document's root element, read from its start tag without parsing the document; undefined
 * when there is none to read. A cheap first look to tell a SOAP Envelope from a bare bericht.
 */
export function rootLocalName(document: Uint8Array): string | undefined {
  let start: Buffer;
  try {
    start = documentElement(document).subarray(0, 512);
  } catch {
    return undefined;
  }
  const tag = start.toString('latin1', 1);
  let end = 0;
  while (end < tag.length && !' \t\r\n/>'.includes(tag[end]!)) end++;
  const qname = tag.slice(0, end);
  return qname.slice(qname.indexOf(':') + 1) || undefined;
}

/**
 * Parses a received SOAP request (the caller disposes of the document). Throws {@link SoapRequestError} with the
 * XML problem and where it is when the request is not XML the gateway reads.
 */
export function parseSoapRequest(body: Uint8Array, limits: ParseLimits, versionHint: SoapVersion = '1.1'): ParsedXml {
  try {
    return parseXml(body, limits);
  } catch (e) {
    if (e instanceof XmlInputError) {
      const where = e.line !== null ? ` (line ${e.line}${e.column !== null ? `, column ${e.column}` : ''})` : '';
      throw new SoapRequestError({ side: 'client', text: `${e.code}: ${e.message}${where}` }, versionHint);
    }
    throw e;
  }
}

/**
 * Reads a SOAP request: undefined when the document's root is no SOAP Envelope (a bare bericht). Throws
 * {@link SoapRequestError} for a SOAP request that cannot be taken (not well-formed, no Body, not exactly one
 * message in the Body, a header block that must be understood), with the fault to answer.
 */
export function readSoapRequest(
  body: Uint8Array,
  limits: ParseLimits,
  versionHint: SoapVersion = '1.1',
): SoapRequest | undefined {
  const doc = parseSoapRequest(body, limits, versionHint);
  try {
    const tree = toTree(doc);
    const soap = readSoap(tree);
    if (!soap) return undefined;
    const refuse = (text: string, code?: FaultSpec['code']): never => {
      throw new SoapRequestError({ side: 'client', text, ...(code ? { code } : {}) }, soap.version);
    };
    const blocks = mustUnderstandBlocks(soap);
    if (blocks.length) {
      refuse(
        `header block(s) ${blocks.map((b) => `{${b.ns}}${b.name}`).join(', ')} must be understood; this endpoint understands none`,
        'MustUnderstand',
      );
    }
    if (!soap.body) return refuse('the SOAP Envelope has no Body');
    if (soap.body.length !== 1)
      return refuse(`the SOAP Body must carry exactly one message; it carries ${soap.body.length}`);
    const root = soap.body[0]!;
    const bodyIndex = tree.children.findIndex((c) => c.name === 'Body' && c.ns === tree.ns);
    return { version: soap.version, message: canonicalElement(doc, [bodyIndex, 0]), root };
  } finally {
    doc.dispose();
  }
}
