/**
 * A stand-in for the gemeente's Digikoppeling adapter, behaving as Digikoppeling Adapter Intern 1.0 says: a real
 * HTTPS server (mutual TLS) that takes DAI requests from the gateway (SOAP 1.1, `SOAPAction: ""`, only
 * WS-Addressing headers, the bericht inside dai:bericht) and answers Bv04 or a Fo03 fault; and a client that
 * delivers berichten to the gateway's DAI endpoint with the WS-Addressing headers an adapter sets, over mutual TLS.
 *
 * It reads requests with its own small reader (not the gateway's), so a test compares the gateway's output with
 * what the standard prescribes rather than with itself.
 */
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { parseToTree } from '../../src/xml/parse.ts';
import { child, textAt, type XNode } from '../../src/xml/tree.ts';

export const WSA = 'http://www.w3.org/2005/08/addressing';
export const DAI = 'http://www.stufstandaarden.nl/koppelvlak/dai0100';
export const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const STUF = 'http://www.egem.nl/StUF/StUF0301';

/** The WS-Addressing headers of one request, as read by the test adapter. */
export interface WsaHeaders {
  to?: string;
  from?: string;
  action?: string;
  messageId?: string;
  relatesTo?: string;
  conversationId?: string;
}

/** One DAI request the adapter took from the gateway. */
export interface TakenRequest {
  soapAction: string | undefined;
  contentType: string | undefined;
  clientOin: string | undefined;
  /** Every SOAP header block, by {namespace}name: DAI allows only WS-Addressing. */
  headerBlocks: string[];
  wsa: WsaHeaders;
  /** The element inside dai:bericht, as its own document (with the namespaces it uses declared). */
  bericht: string;
  berichtRoot: XNode;
  raw: string;
}

/** How the adapter answers one request: Bv04 (it takes responsibility), a Fo03 fault, or an HTTP status. */
export type AdapterAnswer =
  | { kind: 'Bv04' }
  | { kind: 'Fo03'; code: string; omschrijving: string }
  | { kind: 'status'; status: number };

export interface TlsFiles {
  cert: string;
  key: string;
  ca: string[];
}

export interface DaiTestAdapter {
  url: string;
  taken: TakenRequest[];
  /** The answers it gave, as sent (for schema checks). */
  answers: string[];
  /** Decides the answer per request (default Bv04). */
  answer: (r: TakenRequest, index: number) => AdapterAnswer;
  /** Delivers a bericht to the gateway's DAI endpoint with these headers, over mutual TLS. */
  deliver(
    url: string,
    bericht: string | Buffer,
    wsa: Required<Pick<WsaHeaders, 'to' | 'from' | 'action' | 'messageId'>> & WsaHeaders,
  ): Promise<{ status: number; text: string }>;
  close(): Promise<void>;
}

/** The element of a document without its XML declaration. */
const element = (doc: string | Buffer) => doc.toString().replace(/^\uFEFF?<\?xml[^>]*\?>\s*/, '');

/** A DAI request with these headers, written out by hand as §3.1 and Appendix C show it. */
export function daiRequest(bericht: string | Buffer, wsa: WsaHeaders): string {
  const h = (name: string, value: string | undefined, attr = '') =>
    value === undefined ? '' : `<wsa:${name}${attr}>${value}</wsa:${name}>`;
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<soap:Envelope xmlns:soap="${SOAP11}" xmlns:wsa="${WSA}"><soap:Header>` +
    h('To', wsa.to) +
    (wsa.from === undefined ? '' : `<wsa:From><wsa:Address>${wsa.from}</wsa:Address></wsa:From>`) +
    h('Action', wsa.action) +
    h('MessageID', wsa.messageId) +
    h('RelatesTo', wsa.relatesTo) +
    h('RelatesTo', wsa.conversationId, ' RelationshipType="urn:dkintern:ConversationId"') +
    `</soap:Header><soap:Body><dai:bericht xmlns:dai="${DAI}">${element(bericht)}</dai:bericht></soap:Body></soap:Envelope>`
  );
}

/** The WS-Addressing headers of a SOAP Header, read plainly. */
export function wsaOf(header: XNode | undefined): WsaHeaders {
  const out: WsaHeaders = {};
  for (const b of header?.children ?? []) {
    if (b.ns !== WSA) continue;
    if (b.name === 'To') out.to = b.text;
    if (b.name === 'From') out.from = child(b, 'Address')?.text;
    if (b.name === 'Action') out.action = b.text;
    if (b.name === 'MessageID') out.messageId = b.text;
    if (b.name === 'RelatesTo') {
      if (b.attrs.RelationshipType === 'urn:dkintern:ConversationId') out.conversationId = b.text;
      else out.relatesTo = b.text;
    }
  }
  return out;
}

/** A StUF0301 Bv04 (or Fo03) answering the bericht: zender and ontvanger swapped, crossRefnummer = its referentienummer. */
function stufAnswer(root: XNode, answer: Exclude<AdapterAnswer, { kind: 'status' }>): string {
  const s = child(root, 'stuurgegevens');
  const systeem = (name: string, node: XNode | undefined) =>
    `<StUF:${name}>${['organisatie', 'applicatie', 'administratie', 'gebruiker']
      .map((k) => (child(node, k) ? `<StUF:${k}>${child(node, k)!.text}</StUF:${k}>` : ''))
      .join('')}</StUF:${name}>`;
  const code = answer.kind === 'Bv04' ? 'Bv04' : 'Fo03';
  const stuurgegevens =
    `<StUF:stuurgegevens><StUF:berichtcode>${code}</StUF:berichtcode>${systeem('zender', child(s, 'ontvanger'))}${systeem('ontvanger', child(s, 'zender'))}` +
    `<StUF:referentienummer>adapter-${Math.random().toString(16).slice(2, 14)}</StUF:referentienummer><StUF:tijdstipBericht>20261101120000000</StUF:tijdstipBericht>` +
    `<StUF:crossRefnummer>${textAt(s, 'referentienummer')}</StUF:crossRefnummer></StUF:stuurgegevens>`;
  if (answer.kind === 'Bv04') return `<StUF:Bv04Bericht xmlns:StUF="${STUF}">${stuurgegevens}</StUF:Bv04Bericht>`;
  return (
    `<StUF:Fo03Bericht xmlns:StUF="${STUF}">${stuurgegevens}<StUF:body><StUF:code>${answer.code}</StUF:code><StUF:plek>client</StUF:plek>` +
    `<StUF:omschrijving>${answer.omschrijving}</StUF:omschrijving></StUF:body></StUF:Fo03Bericht>`
  );
}

/**
 * Starts the adapter: `server` is its HTTPS identity toward the gateway (and the CAs it trusts for the gateway's
 * client certificate); `client` the certificate it delivers to the gateway with.
 */
export async function startDaiAdapter(server: TlsFiles, client: TlsFiles): Promise<DaiTestAdapter> {
  const taken: TakenRequest[] = [];
  const answers: string[] = [];
  const adapter: DaiTestAdapter = {
    url: '',
    taken,
    answers,
    answer: () => ({ kind: 'Bv04' }),
    deliver: (url, bericht, wsa) => post(url, daiRequest(bericht, wsa), client),
    close: async () => {},
  };
  const httpsServer = https.createServer(
    {
      cert: readFileSync(server.cert),
      key: readFileSync(server.key),
      ca: server.ca.map((p) => readFileSync(p)),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const envelope = parseToTree(raw);
        const header = envelope.children.find((c) => c.ns === SOAP11 && c.name === 'Header');
        const body = envelope.children.find((c) => c.ns === SOAP11 && c.name === 'Body');
        const dai = body?.children.find((c) => c.ns === DAI && c.name === 'bericht');
        const peer = (req.socket as TLSSocket).getPeerCertificate();
        const start = raw.indexOf('>', raw.indexOf('<dai:bericht')) + 1;
        const inner = raw.slice(start, raw.lastIndexOf('</dai:bericht>'));
        const r: TakenRequest = {
          soapAction: req.headers.soapaction as string | undefined,
          contentType: req.headers['content-type'],
          clientOin: (peer.subject as unknown as Record<string, string> | undefined)?.serialNumber,
          headerBlocks: (header?.children ?? []).map((b) => `{${b.ns}}${b.name}`),
          wsa: wsaOf(header),
          bericht: inner,
          berichtRoot: dai!.children[0]!,
          raw,
        };
        taken.push(r);
        const a = adapter.answer(r, taken.length - 1);
        if (a.kind === 'status') {
          res.writeHead(a.status, { 'content-type': 'text/plain' });
          res.end('adapter not available');
          return;
        }
        const stuf = stufAnswer(r.berichtRoot, a);
        answers.push(stuf);
        const soap =
          a.kind === 'Bv04'
            ? `<soap:Envelope xmlns:soap="${SOAP11}"><soap:Body>${stuf}</soap:Body></soap:Envelope>`
            : `<soap:Envelope xmlns:soap="${SOAP11}"><soap:Body><soap:Fault><faultcode>soap:Client</faultcode><faultstring>${a.omschrijving}</faultstring><detail>${stuf}</detail></soap:Fault></soap:Body></soap:Envelope>`;
        res.writeHead(a.kind === 'Bv04' ? 200 : 500, { 'content-type': 'text/xml; charset=utf-8' });
        res.end(soap);
      });
    },
  );
  await new Promise<void>((resolve) => httpsServer.listen(0, '127.0.0.1', resolve));
  adapter.url = `https://127.0.0.1:${(httpsServer.address() as AddressInfo).port}`;
  adapter.close = () => new Promise<void>((resolve) => httpsServer.close(() => resolve()));
  return adapter;
}

/** POSTs a SOAP 1.1 request with SOAPAction "" over mutual TLS. */
export function post(
  url: string,
  body: string,
  tls: TlsFiles,
  headers: Record<string, string> = { 'content-type': 'text/xml; charset=utf-8', soapaction: '""' },
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method: 'POST',
        cert: readFileSync(tls.cert),
        key: readFileSync(tls.key),
        ca: tls.ca.map((p) => readFileSync(p)),
        headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
