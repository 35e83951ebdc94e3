import { documentElement } from '../xml/document-element.ts';
import { escapeText } from '../xml/escape.ts';
import { child, type XNode } from '../xml/tree.ts';

/**
 * SOAP as Digikoppeling WUS and the StUF WSDLs use it (standards.md §4.6, §7): document/literal, one message
 * element in the Body. The StUF WSDLs bind SOAP 1.1; SOAP 1.2 is read and answered too, for partners whose
 * adapter speaks it.
 */

export const SOAP11_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
export const SOAP12_NS = 'http://www.w3.org/2003/05/soap-envelope';

export type SoapVersion = '1.1' | '1.2';

export function soapNamespace(version: SoapVersion): string {
  return version === '1.1' ? SOAP11_NS : SOAP12_NS;
}

/** The version a root element is the Envelope of, or undefined when it is no SOAP Envelope. */
export function soapVersionOf(root: Pick<XNode, 'name' | 'ns'>): SoapVersion | undefined {
  if (root.name !== 'Envelope') return undefined;
  return root.ns === SOAP11_NS ? '1.1' : root.ns === SOAP12_NS ? '1.2' : undefined;
}

/**
 * The HTTP headers of a SOAP request: SOAP 1.1 sends the action in a quoted SOAPAction header with text/xml,
 * SOAP 1.2 as the `action` parameter of application/soap+xml.
 */
export function soapRequestHeaders(version: SoapVersion, soapAction: string): Record<string, string> {
  return version === '1.1'
    ? { 'content-type': 'text/xml; charset=utf-8', soapaction: `"${soapAction}"` }
    : { 'content-type': `application/soap+xml; charset=utf-8; action="${soapAction}"` };
}

/** The Content-Type of a SOAP answer. */
export function soapContentType(version: SoapVersion): string {
  return version === '1.1' ? 'text/xml; charset=utf-8' : 'application/soap+xml; charset=utf-8';
}

/** A SOAP envelope whose Body carries one message: the given document, without its XML declaration. */
export function buildSoapEnvelope(message: Uint8Array | string, version: SoapVersion = '1.1'): Buffer {
  return Buffer.concat([
    Buffer.from(
      `<?xml version="1.0" encoding="UTF-8"?>\n<soap:Envelope xmlns:soap="${soapNamespace(version)}"><soap:Body>`,
    ),
    documentElement(message),
    Buffer.from('</soap:Body></soap:Envelope>\n'),
  ]);
}

/** Which side a SOAP fault blames: the sender of the request (client) or the receiver (server). */
export type FaultSide = 'client' | 'server';

export interface FaultSpec {
  side: FaultSide;
  /** SOAP 1.1 faultstring / SOAP 1.2 Reason/Text. */
  text: string;
  /** SOAP's own codes instead of Client/Server. */
  code?: 'MustUnderstand' | 'VersionMismatch';
  /** A document carried in the fault's detail (a StUF Fo03Bericht). */
  detail?: Uint8Array | string;
}

/** A SOAP fault envelope: 1.1 faultcode/faultstring/detail, 1.2 Code/Reason/Detail. */
export function buildSoapFault(fault: FaultSpec, version: SoapVersion = '1.1'): Buffer {
  const code =
    fault.code ??
    (version === '1.1'
      ? fault.side === 'client'
        ? 'Client'
        : 'Server'
      : fault.side === 'client'
        ? 'Sender'
        : 'Receiver');
  const text = escapeText(fault.text);
  const detail = fault.detail === undefined ? undefined : documentElement(fault.detail);
  const parts =
    version === '1.1'
      ? [
          `<soap:Fault><faultcode>soap:${code}</faultcode><faultstring xml:lang="nl">${text}</faultstring>`,
          detail ? ['<detail>', detail, '</detail>'] : [],
          '</soap:Fault>',
        ]
      : [
          `<soap:Fault><soap:Code><soap:Value>soap:${code}</soap:Value></soap:Code><soap:Reason><soap:Text xml:lang="nl">${text}</soap:Text></soap:Reason>`,
          detail ? ['<soap:Detail>', detail, '</soap:Detail>'] : [],
          '</soap:Fault>',
        ];
  const chunks = parts.flat().map((p) => (typeof p === 'string' ? Buffer.from(p) : p));
  return Buffer.concat([
    Buffer.from(
      `<?xml version="1.0" encoding="UTF-8"?>\n<soap:Envelope xmlns:soap="${soapNamespace(version)}"><soap:Body>`,
    ),
    ...chunks,
    Buffer.from('</soap:Body></soap:Envelope>\n'),
  ]);
}

/** A SOAP message read from its tree. */
export interface SoapMessage {
  version: SoapVersion;
  /** The element children of Header (none when there is no Header). */
  headerBlocks: XNode[];
  /** The element children of Body; undefined when the Envelope has no Body. */
  body: XNode[] | undefined;
}

/** Reads a SOAP envelope's structure; undefined when the root is no SOAP Envelope. */
export function readSoap(root: XNode): SoapMessage | undefined {
  const version = soapVersionOf(root);
  if (!version) return undefined;
  const ns = soapNamespace(version);
  const inSoap = (name: string) => root.children.find((c) => c.name === name && c.ns === ns);
  return { version, headerBlocks: inSoap('Header')?.children ?? [], body: inSoap('Body')?.children };
}

export interface SoapFault {
  /** The fault code's local part: Client, Server, Sender, Receiver, MustUnderstand, … (1.1 may add ".Sub"). */
  code: string;
  /** Whom the code blames; VersionMismatch and MustUnderstand blame the request. */
  side: FaultSide;
  text: string;
  /** The element children of detail / Detail. */
  detail: XNode[];
}

/** The fault when `node` is a SOAP Fault of this version, else undefined. */
export function readSoapFault(node: XNode, version: SoapVersion): SoapFault | undefined {
  const ns = soapNamespace(version);
  if (node.name !== 'Fault' || node.ns !== ns) return undefined;
  const qname =
    version === '1.1'
      ? (child(node, 'faultcode')?.text ?? '')
      : (node.children.find((c) => c.name === 'Code')?.children.find((c) => c.name === 'Value')?.text ?? '');
  const code = qname.includes(':') ? qname.slice(qname.indexOf(':') + 1) : qname;
  const text =
    version === '1.1' ? (child(node, 'faultstring')?.text ?? '') : (child(child(node, 'Reason'), 'Text')?.text ?? '');
  const detail = (version === '1.1' ? child(node, 'detail') : child(node, 'Detail'))?.children ?? [];
  return { code, side: faultSide(code), text, detail };
}

function faultSide(code: string): FaultSide {
  const main = code.split('.')[0] ?? '';
  return main === 'Server' || main === 'Receiver' ? 'server' : 'client';
}

/** Header blocks the sender says must be understood (mustUnderstand="1"/"true"); this gateway understands none. */
export function mustUnderstandBlocks(message: SoapMessage): XNode[] {
  return message.headerBlocks.filter((b) => b.attrs.mustUnderstand === '1' || b.attrs.mustUnderstand === 'true');
}
