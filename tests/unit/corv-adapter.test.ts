/**
 * The CORV adapter (adapters/corv): StUF-Jeugdzorg berichten go to CORV as they are, in the Body of a SOAP 1.1
 * request. Against a nock'd CORV: Bv03 delivered; Fo03 failed with code and omschrijving; StUF016 delivered as a
 * duplicate (not retried); network errors, timeouts, 503 and server faults retried; 400 failed; the SOAPAction
 * and its override; a dai endpoint (dai:bericht, SOAPAction "", the Appendix B headers). And over real mutual TLS
 * (a local HTTPS server that requires our client certificate): the certificate from the `tls` argument is used,
 * the receiver's OIN is reported, a receiver with another OIN is refused.
 */
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { corvAdapter } from '../../adapters/corv/index.ts';
import { build, PARTIES } from '../../src/examples/stuf-jz.ts';
import { readDaiRequest } from '../../src/stuf/dai-envelope.ts';
import { answeredFrom, buildBv03, buildFo03, STUF016 } from '../../src/stuf/replies.ts';
import { buildSoapEnvelope, buildSoapFault, readSoap } from '../../src/stuf/soap.ts';
import { readSoapRequest } from '../../src/stuf/soap-request.ts';
import type { ClientTls, DestinationConfig, OutgoingMessage } from '../../src/transport/adapter.ts';
import { documentElement } from '../../src/xml/document-element.ts';
import { parseToTree } from '../../src/xml/parse.ts';
import { textAt } from '../../src/xml/tree.ts';
import { createCa, issue, OTHER_OIN, OUR_OIN, RECEIVER_OIN } from '../helpers/pki.ts';

type CorvDestination = Extract<DestinationConfig, { adapter: 'corv' }>;
const CORV = 'https://corv.example';
const COLLEGE_OIN = PARTIES.gemeente.organisatie;
const destination = (over: Partial<CorvDestination> = {}): CorvDestination => ({
  id: 'corv',
  adapter: 'corv',
  url: `${CORV}/jubes`,
  timeoutMs: 2000,
  oin: COLLEGE_OIN,
  ...over,
});

const REF = '5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a';
const VTO = build('vtoDi01', { referentienummer: REF });
function message(over: Partial<OutgoingMessage> = {}): OutgoingMessage {
  return {
    id: '0a1b2c3d-4e5f-4a6b-9c8d-7e6f5a4b3c2d',
    standard: 'stuf-jz',
    release: '1.0.9',
    messageName: 'vtoDi01',
    direction: 'heen',
    afzender: COLLEGE_OIN,
    ontvanger: PARTIES.rvdk.organisatie,
    berichtIdentificatie: null,
    referentienummer: REF,
    crossRef: null,
    correlatedTo: null,
    body: Buffer.from(VTO),
    attempt: 1,
    ...over,
  };
}

interface Received {
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}
let received: Received[] = [];
type Answer = (stuf: Buffer) => [number, string | Buffer, Record<string, string>?];
const SOAP_TYPE = { 'content-type': 'text/xml; charset=utf-8' };

/** CORV: takes the message out of the SOAP Body and answers with `answer`. */
function corvAnswering(answer: Answer): nock.Scope {
  return nock(CORV)
    .post('/jubes')
    .reply(function (_uri, body) {
      const raw = Buffer.from(body as string);
      received.push({ headers: { ...this.req.headers }, body: raw });
      const [status, reply, headers] = answer(readSoapRequest(raw, { maxBytes: 1 << 24 })!.message);
      return [status, reply, headers ?? SOAP_TYPE];
    });
}
const answered = (stuf: Buffer) => answeredFrom(parseToTree(stuf));
const bv03: Answer = (stuf) => [
  200,
  buildSoapEnvelope(buildBv03(answered(stuf), { referentienummer: 'e1d2c3b4-a5f6-4e7d-8c9b-0a1b2c3d4e5f' })),
];
const fo03 =
  (code: string, omschrijving: string, plek: 'client' | 'server' = 'client'): Answer =>
  (stuf) => [
    500,
    buildSoapFault({ side: plek, text: omschrijving, detail: buildFo03(answered(stuf), { code, plek, omschrijving }) }),
  ];

const adapter = corvAdapter();
const deliver = (m = message(), d = destination(), tls?: ClientTls) =>
  adapter.deliver(m, d, new AbortController().signal, tls);

describe('CORV adapter (nock)', () => {
  beforeAll(() => nock.disableNetConnect());
  afterEach(() => {
    nock.cleanAll();
    received = [];
  });
  afterAll(() => nock.enableNetConnect());

  it('sends the StUF message as it is in the SOAP Body, with the jz0100 SOAPAction; Bv03 → delivered', async () => {
    corvAnswering(bv03);
    expect(await deliver()).toEqual({
      kind: 'delivered',
      status: 200,
      answer: `Bv03 referentienummer=e1d2c3b4-a5f6-4e7d-8c9b-0a1b2c3d4e5f crossRefnummer=${REF}`,
    });
    const [r] = received;
    expect(r!.headers).toMatchObject({
      'content-type': 'text/xml; charset=utf-8',
      soapaction: '"http://www.stufstandaarden.nl/koppelvlak/jz0100/vtoDi01"',
    });
    // Byte for byte: the document element of the stored vtoDi01 sits in the Body.
    expect(r!.body.includes(documentElement(VTO))).toBe(true);
    const body = readSoap(parseToTree(r!.body))!.body!;
    expect(body.map((n) => n.name)).toEqual(['vtoDi01']);
  });

  it('takes a SOAPAction override per message from the destination', async () => {
    corvAnswering(bv03);
    await deliver(message(), destination({ soapActions: { vtoDi01: 'urn:justid:corv:vto' } }));
    expect(received[0]!.headers.soapaction).toBe('"urn:justid:corv:vto"');
  });

  it('Fo03 → failed with its code and omschrijving', async () => {
    corvAnswering(fo03('StUF052', 'Ontvanger onbekend in CORV'));
    expect(await deliver()).toMatchObject({
      kind: 'failed',
      status: 500,
      reason: 'Fo03 StUF052 (client): Ontvanger onbekend in CORV',
    });
  });

  it('Fo03 StUF016 → not retried: delivered as a duplicate (the first copy arrived)', async () => {
    corvAnswering(fo03(STUF016.code, STUF016.omschrijving));
    const outcome = await deliver(message({ attempt: 2 }));
    expect(outcome).toMatchObject({ kind: 'delivered', status: 500 });
    expect(outcome.kind === 'delivered' && outcome.answer).toBe(
      `Fo03 StUF016 (client): Combinatie zender en referentienummer niet uniek — referentienummer ${REF} was received before: the first copy arrived (delivered as a duplicate)`,
    );
  });

  it('network errors, timeouts, 503 and server faults → retry; 400 → failed', async () => {
    nock(CORV)
      .post('/jubes')
      .replyWithError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    expect(await deliver()).toEqual({ kind: 'retry', reason: 'network error: ECONNREFUSED' });
    nock(CORV).post('/jubes').delay(2000).reply(200, 'late');
    expect(await deliver(message(), destination({ timeoutMs: 50 }))).toEqual({
      kind: 'retry',
      reason: 'timeout after 50 ms',
    });
    corvAnswering(() => [503, 'Service Unavailable', { 'content-type': 'text/plain' }]);
    expect(await deliver()).toMatchObject({ kind: 'retry', status: 503 });
    corvAnswering(fo03('StUF058', 'Tijdelijke storing', 'server'));
    expect(await deliver()).toMatchObject({ kind: 'retry', reason: 'Fo03 StUF058 (server): Tijdelijke storing' });
    corvAnswering(() => [500, buildSoapFault({ side: 'server', text: 'JUBES niet bereikbaar' })]);
    expect(await deliver()).toMatchObject({ kind: 'retry', reason: 'SOAP fault Server: JUBES niet bereikbaar' });
    corvAnswering(() => [400, 'Bad Request', { 'content-type': 'text/plain' }]);
    expect(await deliver()).toMatchObject({ kind: 'failed', status: 400 });
  });

  it('sends StUF service messages (Fo01) with the StUF0301 SOAPAction', async () => {
    corvAnswering(bv03);
    const fo01 = build('Fo01');
    const ref = textAt(parseToTree(fo01), 'stuurgegevens/referentienummer')!;
    expect(
      await deliver(
        message({
          standard: 'stuf',
          release: '0301',
          messageName: 'Fo01',
          referentienummer: ref,
          body: Buffer.from(fo01),
        }),
      ),
    ).toMatchObject({ kind: 'delivered' });
    expect(received[0]!.headers.soapaction).toBe('"http://www.egem.nl/StUF/StUF0301/Fo01"');
  });

  it('refuses a bericht that is not StUF', async () => {
    const outcome = await deliver(message({ standard: 'iwmo', messageName: 'WMO301' }));
    expect(outcome).toEqual({
      kind: 'failed',
      reason: 'CORV carries StUF-Jeugdzorg and StUF service messages; WMO301 is not one',
    });
  });

  it('through a dai endpoint: the StUF-JZ message inside dai:bericht, SOAPAction "", MessageID from its referentienummer', async () => {
    // The Body holds dai:bericht; the adapter answers the message in it with a Bv04.
    corvAnswering((bericht) => [
      200,
      buildSoapEnvelope(buildBv03(answeredFrom(parseToTree(bericht).children[0]!)).replace(/Bv03/g, 'Bv04')),
    ]);
    const endpoint = { kind: 'dai' as const, service: 'urn:nl:jubes:corv' };
    // The stored row has no referentienummer: the adapter reads it from the stuurgegevens.
    expect(await deliver(message({ referentienummer: null }), destination({ endpoint }))).toMatchObject({
      kind: 'delivered',
      status: 200,
      answer: expect.stringMatching(/^Bv04 /),
    });
    expect(received[0]!.headers.soapaction).toBe('""');
    const dai = readDaiRequest(received[0]!.body, { maxBytes: 1 << 20 });
    expect(dai.root.name).toBe('vtoDi01');
    expect(received[0]!.body.includes(documentElement(VTO))).toBe(true);
    expect(dai.addressing).toEqual({
      to: `urn:dkintern:${PARTIES.rvdk.organisatie}:${PARTIES.rvdk.applicatie}:`,
      from: `urn:dkintern:${COLLEGE_OIN}:${PARTIES.gemeente.applicatie}:`,
      action: 'urn:dkintern:urn:nl:jubes:corv:http://www.stufstandaarden.nl/koppelvlak/jz0100/vtoDi01',
      messageId: `urn:dkintern:${REF}@${COLLEGE_OIN}.${PARTIES.gemeente.applicatie}..dkintern.nl`,
      conversationId: `urn:dkintern:${REF}@${COLLEGE_OIN}.${PARTIES.gemeente.applicatie}..dkintern.nl`,
    });
  });
});

describe('CORV adapter over mutual TLS', () => {
  let url: string;
  let server: https.Server;
  let tls: ClientTls;
  const clientOins: (string | undefined)[] = [];

  beforeAll(async () => {
    // Real sockets: nock's interceptor would hand post() a socket without the peer certificate.
    nock.restore();
    const ca = createCa('CORV test CA');
    const serverCert = issue(ca, {
      commonName: 'corv.test',
      oin: RECEIVER_OIN,
      altNames: ['127.0.0.1'],
      usage: 'server',
    });
    const client = issue(ca, { commonName: 'gemeente.test', oin: OUR_OIN, usage: 'client' });
    server = https.createServer(
      {
        cert: serverCert.certPem,
        key: serverCert.keyPem,
        ca: [ca.certPem],
        requestCert: true,
        rejectUnauthorized: true,
      },
      (req, res) => {
        const peer = (req.socket as TLSSocket).getPeerCertificate();
        clientOins.push((peer.subject as unknown as Record<string, string>).serialNumber);
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const stuf = readSoapRequest(Buffer.concat(chunks), { maxBytes: 1 << 24 })!.message;
          // Connection: close, so every test makes a new TLS handshake (the agent would reuse a pooled connection).
          res.writeHead(200, { ...SOAP_TYPE, connection: 'close' });
          res.end(buildSoapEnvelope(buildBv03(answered(stuf))));
        });
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/jubes`;
    tls = {
      profile: 'corv-test',
      options: { cert: client.certPem, key: client.keyPem, ca: [ca.certPem] },
      expectedOin: RECEIVER_OIN,
    };
  }, 60_000);
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    nock.activate();
  });

  it('refuses a receiver whose certificate carries another OIN, as a TLS refusal', async () => {
    // First in this block: a fresh TLS session (Node does not check the server identity again on a resumed one).
    const outcome = await deliver(message(), destination({ url }), { ...tls, expectedOin: OTHER_OIN });
    expect(outcome).toMatchObject({
      kind: 'retry',
      tlsRefused: true,
      reason: expect.stringContaining(`carries OIN ${RECEIVER_OIN}`),
    });
  });

  it('without a client certificate the handshake is refused (CORV requires mutual TLS)', async () => {
    const outcome = await deliver(message(), destination({ url }), {
      profile: 'no-client-cert',
      options: { ca: tls.options.ca },
    });
    expect(outcome).toMatchObject({ kind: 'retry' });
    expect(clientOins).toEqual([]);
  });

  it('delivers with our client certificate and reports the receiver OIN', async () => {
    const outcome = await deliver(message(), destination({ url }), tls);
    expect(outcome).toMatchObject({
      kind: 'delivered',
      status: 200,
      peerOin: RECEIVER_OIN,
      answer: expect.stringMatching(new RegExp(`^Bv03 .*crossRefnummer=${REF}$`)),
    });
    expect(clientOins).toEqual([OUR_OIN]);
  });
});
