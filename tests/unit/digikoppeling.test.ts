/**
 * The Digikoppeling wire format in one place (adapters/digikoppeling): SOAP 1.1/1.2 envelopes and faults, the
 * Body's message taken out of a received request, SOAPActions, the two channels (direct SOAP, and DAI to the
 * gemeente's Digikoppeling adapter) against nock'd endpoints, and how every kind of answer becomes a delivery
 * outcome.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { corvOperation, ggkOperation } from '../../adapters/digikoppeling/actions.ts';
import {
  type FoutPolicy,
  type OutcomeContext,
  outcomeOfAnswer,
  readStufAnswer,
} from '../../adapters/digikoppeling/answer.ts';
import {
  type ChannelRequest,
  channelFor,
  daiChannel,
  directChannel,
  stufFacts,
} from '../../adapters/digikoppeling/channel.ts';
import { defaultAdapterRegistry } from '../../adapters/registry.ts';
import { ConfigError, parseConfig } from '../../src/config/load.ts';
import { build } from '../../src/examples/stuf-jz.ts';
import { readDaiRequest } from '../../src/stuf/dai-envelope.ts';
import { answeredFrom, buildBv03, buildFo01, buildFo03, STUF016 } from '../../src/stuf/replies.ts';
import { buildSoapEnvelope, buildSoapFault, readSoap, readSoapFault, SOAP11_NS } from '../../src/stuf/soap.ts';
import { readSoapRequest, rootLocalName, SoapRequestError } from '../../src/stuf/soap-request.ts';
import { documentElement } from '../../src/xml/document-element.ts';
import { parseToTree } from '../../src/xml/parse.ts';
import { textAt } from '../../src/xml/tree.ts';
import { projectRoot } from '../helpers/reference.ts';

const REF = 'a7c5e1d2-3b4f-4a6c-8d9e-0f1a2b3c4d5e';
const VTO = build('vtoDi01', { referentienummer: REF });
const answered = () => answeredFrom(parseToTree(VTO));
const LIMITS = { maxBytes: 1024 * 1024 };

const POLICY: FoutPolicy = { duplicateCodes: new Set(['StUF016']), retryCodes: new Set(['IB103']) };
const ctx = (over: Partial<OutcomeContext> = {}): OutcomeContext => ({
  policy: POLICY,
  referentienummer: REF,
  ...over,
});

describe('SOAP envelopes', () => {
  it('puts a document into the Body without its XML declaration, byte for byte', () => {
    const doc = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from(
        '<?xml version="1.0" encoding="UTF-8"?>\n<!-- c -->\n<?pi x?>\n<a:b xmlns:a="urn:a">é &amp; <c/></a:b>\n',
      ),
    ]);
    const soap = buildSoapEnvelope(doc).toString('utf8');
    expect(soap).toContain(
      `<soap:Envelope xmlns:soap="${SOAP11_NS}"><soap:Body><a:b xmlns:a="urn:a">é &amp; <c/></a:b>\n</soap:Body></soap:Envelope>`,
    );
    const root = parseToTree(soap);
    const body = readSoap(root)!.body!;
    expect(body.map((n) => [n.ns, n.name])).toEqual([['urn:a', 'b']]);
    expect(readSoap(parseToTree(buildSoapEnvelope(doc, '1.2')))!.version).toBe('1.2');
  });

  it('refuses to embed a document with a DOCTYPE or without a root element', () => {
    expect(() => documentElement('<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "y">]><a/>')).toThrow(/DOCTYPE/);
    expect(() => documentElement('<?xml version="1.0"?>  ')).toThrow(/no root element/);
    expect(() => documentElement('<!-- open')).toThrow(/not closed/);
  });

  it('builds SOAP 1.1 and 1.2 faults that read back with code, side, text and the Fo03 detail', () => {
    const fo03 = buildFo03(answered(), STUF016);
    for (const version of ['1.1', '1.2'] as const) {
      for (const side of ['client', 'server'] as const) {
        const root = parseToTree(buildSoapFault({ side, text: 'niet <goed> & fout', detail: fo03 }, version));
        const soap = readSoap(root)!;
        const fault = readSoapFault(soap.body![0]!, version)!;
        const expected = {
          '1.1': { client: 'Client', server: 'Server' },
          '1.2': { client: 'Sender', server: 'Receiver' },
        }[version][side];
        expect(fault).toMatchObject({ code: expected, side, text: 'niet <goed> & fout' });
        expect(fault.detail.map((d) => d.name)).toEqual(['Fo03Bericht']);
        expect(textAt(fault.detail[0], 'body/code')).toBe('StUF016');
      }
    }
    const mu = readSoapFault(
      readSoap(parseToTree(buildSoapFault({ side: 'client', code: 'MustUnderstand', text: 'x' })))!.body![0]!,
      '1.1',
    );
    expect(mu).toMatchObject({ code: 'MustUnderstand', side: 'client' });
  });
});

describe('a received SOAP request', () => {
  const envelope = (body: string, header = '') =>
    `<?xml version="1.0" encoding="UTF-8"?>
<s:Envelope xmlns:s="${SOAP11_NS}" xmlns:StUF="http://www.egem.nl/StUF/StUF0301" xmlns:JZ="http://www.stufstandaarden.nl/koppelvlak/jz0100">${header}<s:Body>${body}</s:Body></s:Envelope>`;

  it('gives the one message in the Body as a standalone document, with the namespaces declared on the Envelope', () => {
    // The message uses prefixes the Envelope declares: taken out, it must still be well-formed and mean the same.
    const inner = documentElement(VTO)
      .toString('utf8')
      .replace(/ xmlns:(StUF|JZ)="[^"]*"/g, '');
    const request = readSoapRequest(Buffer.from(envelope(inner)), LIMITS)!;
    expect(request.version).toBe('1.1');
    const original = parseToTree(VTO);
    const extracted = parseToTree(request.message);
    expect([extracted.ns, extracted.name]).toEqual([original.ns, original.name]);
    expect(textAt(extracted, 'stuurgegevens/referentienummer')).toBe(REF);
    expect(JSON.stringify(strip(extracted))).toBe(JSON.stringify(strip(original)));
    expect(answeredFrom(request.root).referentienummer).toBe(REF);
  });

  it('says a bare bericht is no SOAP request', () => {
    expect(rootLocalName(Buffer.from(VTO))).toBe('vtoDi01');
    expect(rootLocalName(Buffer.from(envelope('<x/>')))).toBe('Envelope');
    expect(readSoapRequest(Buffer.from(VTO), LIMITS)).toBeUndefined();
    expect(readSoapRequest(Buffer.from('<Envelope xmlns="urn:not-soap"><Body/></Envelope>'), LIMITS)).toBeUndefined();
  });

  const refusal = (xml: string) => {
    try {
      readSoapRequest(Buffer.from(xml), LIMITS);
    } catch (e) {
      expect(e).toBeInstanceOf(SoapRequestError);
      return (e as SoapRequestError).fault;
    }
    throw new Error('not refused');
  };

  it('refuses an empty Body, two messages, a missing Body and a header block that must be understood', () => {
    expect(refusal(envelope(''))).toMatchObject({
      side: 'client',
      text: expect.stringMatching(/exactly one message; it carries 0/),
    });
    expect(refusal(envelope('<a/><b/>'))).toMatchObject({ text: expect.stringMatching(/it carries 2/) });
    expect(refusal(`<s:Envelope xmlns:s="${SOAP11_NS}"/>`)).toMatchObject({ text: 'the SOAP Envelope has no Body' });
    const header = `<s:Header><w:Security xmlns:w="urn:wsse" s:mustUnderstand="1"/></s:Header>`;
    expect(refusal(envelope('<a/>', header))).toMatchObject({
      code: 'MustUnderstand',
      text: expect.stringMatching(/\{urn:wsse\}Security/),
    });
    expect(
      readSoapRequest(Buffer.from(envelope('<a/>', '<s:Header><w:Info xmlns:w="urn:x"/></s:Header>')), LIMITS),
    ).toBeDefined();
  });

  it('refuses what is not well-formed, with line and column, and a DOCTYPE', () => {
    expect(refusal(`<s:Envelope xmlns:s="${SOAP11_NS}"><s:Body><a></s:Body></s:Envelope>`)).toMatchObject({
      text: expect.stringMatching(/^XML_NOT_WELL_FORMED: .*\(line 1, column \d+\)/),
    });
    expect(refusal(`<!DOCTYPE s:Envelope [<!ENTITY x "y">]><s:Envelope xmlns:s="${SOAP11_NS}"/>`)).toMatchObject({
      text: expect.stringMatching(/^XML_DTD_FORBIDDEN/),
    });
  });
});

describe('SOAPActions', () => {
  it('follows the GGK WSDL and the StUF convention, and takes a per-message override', () => {
    expect(ggkOperation('ggk_Di01')).toEqual({
      operation: 'ggk_Di01',
      soapAction: 'http://www.stufstandaarden.nl/sectormodel/ggk/0210/ggk_Di01',
    });
    expect(ggkOperation('ggk_Du01').soapAction).toBe('http://www.stufstandaarden.nl/sectormodel/ggk/0210/ggk_Du01');
    expect(ggkOperation('Fo01')).toEqual({ operation: 'Fo01', soapAction: 'http://www.egem.nl/StUF/StUF0301/Fo01' });
    expect(corvOperation('vtoDi01')).toEqual({
      operation: 'vtoDi01',
      soapAction: 'http://www.stufstandaarden.nl/koppelvlak/jz0100/vtoDi01',
    });
    expect(corvOperation('Bv01').soapAction).toBe('http://www.egem.nl/StUF/StUF0301/Bv01');
    expect(corvOperation('vtoDi01', { vtoDi01: 'urn:justid:vto' })).toEqual({
      operation: 'vtoDi01',
      soapAction: 'urn:justid:vto',
    });
  });
});

// ---- channels and answers over HTTP (nock) ---------------------------------------------------------------

const ORIGIN = 'https://party.example';
const request = (over: Partial<ChannelRequest> = {}): ChannelRequest => ({
  url: `${ORIGIN}/soap`,
  bericht: VTO,
  operation: corvOperation('vtoDi01'),
  ...stufFacts(VTO),
  flow: { messageName: 'vtoDi01', standard: 'stuf-jz' },
  timeoutMs: 2000,
  ...over,
});
const signal = () => new AbortController().signal;

interface Seen {
  headers: Record<string, string | string[] | undefined>;
  body: string;
}
let seen: Seen[] = [];

function answering(
  status: number,
  body: string | Buffer,
  headers: Record<string, string> = { 'content-type': 'text/xml; charset=utf-8' },
): nock.Scope {
  return nock(ORIGIN)
    .post('/soap')
    .reply(function (_uri, requestBody) {
      seen.push({
        headers: { ...this.req.headers },
        body: typeof requestBody === 'string' ? requestBody : JSON.stringify(requestBody),
      });
      return [status, body, headers];
    });
}

/** What a party answers to the vtoDi01: its Bv03, or a fault carrying a Fo03/Fo01. */
const bv03 = () =>
  buildSoapEnvelope(buildBv03(answered(), { referentienummer: '0d6f0a3e-4c1b-4f7e-9a8b-1c2d3e4f5a6b' }));
const foFault = (code: string, plek: 'client' | 'server', omschrijving: string, fo: 'Fo03' | 'Fo01' = 'Fo03') =>
  buildSoapFault({
    side: plek,
    text: omschrijving,
    detail: (fo === 'Fo03' ? buildFo03 : buildFo01)(answered(), { code, plek, omschrijving }),
  });

async function exchange(channel = directChannel('the party'), req = request(), c: Partial<OutcomeContext> = {}) {
  const answer = readStufAnswer(await channel.send(req, signal()));
  return { answer, outcome: outcomeOfAnswer(answer, ctx(c)) };
}

describe('the direct channel and its answers', () => {
  beforeAll(() => nock.disableNetConnect());
  afterEach(() => {
    nock.cleanAll();
    seen = [];
  });
  afterAll(() => nock.enableNetConnect());

  it('POSTs the SOAP envelope with text/xml and the quoted SOAPAction', async () => {
    answering(200, bv03());
    await exchange();
    expect(seen).toHaveLength(1);
    expect(seen[0]!.headers).toMatchObject({
      'content-type': 'text/xml; charset=utf-8',
      soapaction: '"http://www.stufstandaarden.nl/koppelvlak/jz0100/vtoDi01"',
    });
    expect(seen[0]!.body).toBe(buildSoapEnvelope(VTO).toString('utf8'));
  });

  it('Bv03 → delivered, keeping its referentienummer and crossRefnummer', async () => {
    answering(200, bv03());
    const { answer, outcome } = await exchange();
    expect(answer).toMatchObject({ kind: 'bevestiging', berichtcode: 'Bv03', crossRefnummer: REF });
    expect(outcome).toEqual({
      kind: 'delivered',
      status: 200,
      answer: `Bv03 referentienummer=0d6f0a3e-4c1b-4f7e-9a8b-1c2d3e4f5a6b crossRefnummer=${REF}`,
    });
  });

  it('Fo03 StUF016 → delivered: the first copy arrived', async () => {
    answering(500, foFault('StUF016', 'client', STUF016.omschrijving));
    const { answer, outcome } = await exchange();
    expect(answer).toMatchObject({
      kind: 'foutbericht',
      berichtcode: 'Fo03',
      fout: { code: 'StUF016', plek: 'client' },
      crossRefnummer: REF,
    });
    expect(outcome).toMatchObject({ kind: 'delivered', status: 500 });
    expect(outcome.kind === 'delivered' && outcome.answer).toMatch(
      new RegExp(`StUF016 .*${REF} was received before: the first copy arrived`),
    );
  });

  it('Fo03 with another client code → failed with code and omschrijving; a retry code or plek server → retry', async () => {
    answering(500, foFault('IB213', 'client', 'Zender onbekend'));
    expect((await exchange()).outcome).toMatchObject({
      kind: 'failed',
      status: 500,
      reason: 'Fo03 IB213 (client): Zender onbekend',
    });
    answering(500, foFault('IB103', 'client', 'Berichttype tijdelijk geblokkeerd'));
    expect((await exchange()).outcome).toMatchObject({
      kind: 'retry',
      reason: 'Fo03 IB103 (client): Berichttype tijdelijk geblokkeerd',
    });
    answering(500, foFault('StUF058', 'server', 'Verwerking mislukt'));
    expect((await exchange()).outcome).toMatchObject({
      kind: 'retry',
      reason: 'Fo03 StUF058 (server): Verwerking mislukt',
    });
  });

  it('reads a Fo01 in the fault detail (Fo01-style fault) like a Fo03, and a Fo03 sent as the Body itself', async () => {
    answering(500, foFault('StUF055', 'client', 'Bericht voldoet niet aan het schema', 'Fo01'));
    const fo01 = await exchange();
    expect(fo01.answer).toMatchObject({ kind: 'foutbericht', berichtcode: 'Fo01', fout: { code: 'StUF055' } });
    expect(fo01.outcome).toMatchObject({
      kind: 'failed',
      reason: 'Fo01 StUF055 (client): Bericht voldoet niet aan het schema',
    });
    answering(
      200,
      buildSoapEnvelope(buildFo03(answered(), { code: 'StUF016', plek: 'client', omschrijving: 'dubbel' })),
    );
    expect((await exchange()).outcome).toMatchObject({ kind: 'delivered' });
  });

  it('masks BSN-shaped numbers in what the other side says', async () => {
    answering(500, foFault('StUF052', 'client', 'Persoon 999990019 onbekend'));
    const { outcome } = await exchange();
    expect(JSON.stringify(outcome)).not.toContain('999990019');
  });

  it('another SOAP fault: Server → retry, Client → failed, in SOAP 1.1 and 1.2', async () => {
    answering(500, buildSoapFault({ side: 'server', text: 'database weg' }));
    expect((await exchange()).outcome).toMatchObject({
      kind: 'retry',
      status: 500,
      reason: 'SOAP fault Server: database weg',
    });
    answering(500, buildSoapFault({ side: 'client', text: 'onbekende operatie' }));
    expect((await exchange()).outcome).toMatchObject({
      kind: 'failed',
      status: 500,
      reason: 'SOAP fault Client: onbekende operatie',
    });
    answering(400, buildSoapFault({ side: 'client', text: 'kapot' }, '1.2'), {
      'content-type': 'application/soap+xml',
    });
    expect((await exchange()).outcome).toMatchObject({
      kind: 'failed',
      status: 400,
      reason: 'SOAP fault Sender: kapot',
    });
    answering(503, buildSoapFault({ side: 'server', text: 'druk' }, '1.2'), { 'content-type': 'application/soap+xml' });
    expect((await exchange()).outcome).toMatchObject({
      kind: 'retry',
      status: 503,
      reason: 'SOAP fault Receiver: druk',
    });
  });

  it('no StUF answer: 503 (with Retry-After), 500, 429, 408 → retry; 400, 404 and redirects → failed', async () => {
    answering(503, 'Service Unavailable', { 'content-type': 'text/plain', 'retry-after': '120' });
    expect((await exchange()).outcome).toMatchObject({
      kind: 'retry',
      status: 503,
      retryAfterMs: 120_000,
      reason: expect.stringMatching(/^HTTP 503/),
    });
    for (const status of [500, 429, 408]) {
      answering(status, '<html>fout</html>', { 'content-type': 'text/html' });
      expect((await exchange()).outcome).toMatchObject({ kind: 'retry', status });
    }
    for (const status of [400, 404]) {
      answering(status, 'Bad Request', { 'content-type': 'text/plain' });
      expect((await exchange()).outcome).toMatchObject({
        kind: 'failed',
        status,
        reason: expect.stringMatching(new RegExp(`^HTTP ${status}`)),
      });
    }
    answering(302, '', { location: 'https://elders.example/' });
    expect((await exchange()).outcome).toMatchObject({
      kind: 'failed',
      status: 302,
      reason: expect.stringMatching(/redirects are not followed/),
    });
  });

  it('a 2xx without a Bv03 from the party itself is unclear → retry, naming the referentienummer the resend reuses', async () => {
    answering(200, 'OK', { 'content-type': 'text/plain' });
    expect((await exchange()).outcome).toMatchObject({
      kind: 'retry',
      status: 200,
      reason: expect.stringContaining(`reuses referentienummer ${REF}`),
    });
    answering(200, buildSoapEnvelope('<x:iets xmlns:x="urn:x"/>'));
    expect((await exchange()).outcome).toMatchObject({
      kind: 'retry',
      reason: expect.stringContaining('{urn:x}iets, not a Bv03/Bv04 or Fo03'),
    });
    answering(204, '');
    expect((await exchange()).outcome).toMatchObject({
      kind: 'retry',
      reason: expect.stringContaining('the answer is empty'),
    });
  });

  it('network errors and timeouts → retry', async () => {
    nock(ORIGIN)
      .post('/soap')
      .replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    expect((await exchange()).outcome).toEqual({ kind: 'retry', reason: 'network error: ECONNRESET' });
    nock(ORIGIN).post('/soap').delay(2000).reply(200, bv03());
    expect((await exchange(directChannel('x'), request({ timeoutMs: 50 }))).outcome).toEqual({
      kind: 'retry',
      reason: 'timeout after 50 ms',
    });
  });
});

describe('the dai channel (Digikoppeling Adapter Intern)', () => {
  const settings = { service: 'urn:nl:jubes:corv:jz0100', services: { Bv01: 'urn:nl:jubes:corv:stuf' } };
  beforeAll(() => nock.disableNetConnect());
  afterEach(() => {
    nock.cleanAll();
    seen = [];
  });
  afterAll(() => nock.enableNetConnect());
  /** The adapter's Bv04: it takes the message over. */
  const bv04 = () =>
    buildSoapEnvelope(
      buildBv03(answered(), { referentienummer: '0d6f0a3e-4c1b-4f7e-9a8b-1c2d3e4f5a6b' }).replace(/Bv03/g, 'Bv04'),
    );

  it('posts SOAP 1.1 with SOAPAction "", the message inside dai:bericht, and only the WS-Addressing headers', async () => {
    answering(200, bv04());
    await exchange(daiChannel(settings));
    expect(seen[0]!.headers).toMatchObject({ 'content-type': 'text/xml; charset=utf-8', soapaction: '""' });
    const dai = readDaiRequest(Buffer.from(seen[0]!.body), LIMITS);
    expect(dai.version).toBe('1.1');
    expect(dai.root.name).toBe('vtoDi01');
    expect(textAt(dai.root, 'stuurgegevens/referentienummer')).toBe(REF);
    expect(dai.addressing).toEqual({
      to: 'urn:dkintern:00000099000000020001:RvdK-Testsysteem:',
      from: 'urn:dkintern:00000099000000010001:Schakel:',
      action: 'urn:dkintern:urn:nl:jubes:corv:jz0100:http://www.stufstandaarden.nl/koppelvlak/jz0100/vtoDi01',
      messageId: `urn:dkintern:${REF}@00000099000000010001.Schakel..dkintern.nl`,
      conversationId: `urn:dkintern:${REF}@00000099000000010001.Schakel..dkintern.nl`,
    });
    const header = parseToTree(seen[0]!.body).children.find((c) => c.name === 'Header')!;
    expect(header.children.map((c) => c.name)).toEqual(['To', 'From', 'Action', 'MessageID', 'RelatesTo']);
  });

  it('the ebMS Service per message name, else the default; an ebMS Action override per message', async () => {
    const bv01 = build('Bv01', { crossRefnummer: REF, referentienummer: 'b1b1b1b1-1111-4111-8111-111111111111' });
    answering(200, bv04());
    await exchange(
      daiChannel({ ...settings, actions: { Bv01: 'Bv01' } }),
      request({ bericht: bv01, ...stufFacts(bv01), flow: { messageName: 'Bv01', standard: 'stuf' } }),
    );
    const a = readDaiRequest(Buffer.from(seen[0]!.body), LIMITS).addressing;
    expect(a.action).toBe('urn:dkintern:urn:nl:jubes:corv:stuf:Bv01');
    // A Bv01 answers: RelatesTo = the VTO's MessageID (crossRefnummer at the domain of the Bv01's ontvanger), which is the ConversationId too.
    expect(a.relatesTo).toBe(`urn:dkintern:${REF}@00000099000000010001.Schakel..dkintern.nl`);
    expect(a.conversationId).toBe(a.relatesTo);
  });

  it('Bv04 → delivered; Fo03 → failed with its code; Fo03 StUF016 on a resend → delivered; 503 → retry; 400 → failed', async () => {
    const dai = daiChannel(settings);
    answering(200, bv04());
    expect((await exchange(dai)).outcome).toMatchObject({
      kind: 'delivered',
      status: 200,
      answer: expect.stringMatching(/^Bv04 /),
    });
    answering(500, foFault('StUF058', 'client', 'Geen CPA voor deze ontvanger'));
    expect((await exchange(dai)).outcome).toMatchObject({
      kind: 'failed',
      reason: 'Fo03 StUF058 (client): Geen CPA voor deze ontvanger',
    });
    answering(500, foFault('StUF016', 'client', STUF016.omschrijving));
    expect((await exchange(dai)).outcome).toMatchObject({
      kind: 'delivered',
      answer: expect.stringContaining('the first copy arrived'),
    });
    answering(503, 'busy', { 'content-type': 'text/plain' });
    expect((await exchange(dai)).outcome).toMatchObject({ kind: 'retry', status: 503 });
    answering(400, 'Bad Request', { 'content-type': 'text/plain' });
    expect((await exchange(dai)).outcome).toMatchObject({ kind: 'failed', status: 400 });
    answering(202, '', { 'content-type': 'text/plain' });
    expect((await exchange(dai)).outcome).toMatchObject({
      kind: 'retry',
      status: 202,
      reason: expect.stringContaining(`reuses referentienummer ${REF}`),
    });
  });

  it('the same MessageID and ConversationId on every retry of one message', async () => {
    answering(503, 'busy', { 'content-type': 'text/plain' });
    answering(200, bv04());
    await exchange(daiChannel(settings));
    await exchange(daiChannel(settings));
    const ids = seen
      .map((s) => readDaiRequest(Buffer.from(s.body), LIMITS).addressing)
      .map((a) => [a.messageId, a.conversationId]);
    expect(ids).toHaveLength(2);
    expect(ids[1]).toEqual(ids[0]);
    expect(ids[0]![0]).toBe(`urn:dkintern:${REF}@00000099000000010001.Schakel..dkintern.nl`);
  });
});

describe('configuration of GGK and CORV destinations', () => {
  const yaml = (destinations: string) => `
destinations:
${destinations}
routes:
  - { standard: iwmo, destination: ggk }
`;
  const GGK_DIRECT = '  - { id: ggk, adapter: ggk, url: "https://ggk.example/OntvangAsynchroon" }';

  it('takes both endpoint kinds, defaults to direct, and every destination has an adapter', () => {
    const config = parseConfig(
      yaml(`${GGK_DIRECT}
  - id: corv
    adapter: corv
    url: "https://dk-adapter.gemeente.intern/dai"
    oin: "00000099000000010001"
    endpoint: { kind: dai, service: "urn:nl:jubes:corv", services: { Bv01: "urn:nl:jubes:stuf", stuf: "urn:nl:jubes:stuf0301" }, actions: { vtoDi01: vtoDi01 } }`),
      'test.yaml',
    );
    const [ggk, corv] = config.destinations;
    expect(ggk).toMatchObject({ adapter: 'ggk', applicatie: 'Schakel', timeoutMs: 60_000 });
    expect(channelFor(ggk as Extract<typeof ggk, { adapter: 'ggk' }>, 'the GGK').kind).toBe('direct');
    expect(corv).toMatchObject({
      endpoint: { kind: 'dai', service: 'urn:nl:jubes:corv', services: { Bv01: 'urn:nl:jubes:stuf' } },
    });
    expect(channelFor(corv as Extract<typeof corv, { adapter: 'corv' }>, 'CORV').kind).toBe('dai');
    expect(defaultAdapterRegistry().unsupported(config.destinations)).toEqual([]);
  });

  it('reads config/dai.example.yaml: GGK and CORV over DAI, one adapter OIN for both DAI parties', () => {
    const file = join(projectRoot, 'config', 'dai.example.yaml');
    const config = parseConfig(readFileSync(file, 'utf8'), file, { env: {} });
    const dai = config.destinations.filter(
      (d) => (d.adapter === 'ggk' || d.adapter === 'corv') && d.endpoint?.kind === 'dai',
    );
    expect(dai.map((d) => d.id)).toEqual(['ggk', 'corv']);
    expect(config.inbound.map((i) => [i.party, i.oins, i.dai !== undefined])).toEqual([
      ['ggk', ['00000001001234567001'], true],
      ['corv', ['00000001001234567001'], true],
    ]);
    expect(defaultAdapterRegistry().unsupported(config.destinations)).toEqual([]);
  });

  it('shares an OIN only between DAI parties (the party in /dai/{party} tells them apart)', () => {
    const yaml = (daiA: string, daiB: string) => `
parties:
  external: [{ id: a, kind: ggk }, { id: b, kind: corv }]
inbound:
  - { party: a, oins: ["00000099000000000007"], messages: ["*"]${daiA} }
  - { party: b, oins: ["00000099000000000007"], messages: ["*"]${daiB} }
`;
    expect(() => parseConfig(yaml(', dai: {}', ', dai: {}'), 'test.yaml')).not.toThrow();
    expect(() => parseConfig(yaml(', dai: {}', ''), 'test.yaml')).toThrow(/OIN 00000099000000000007 is already given/);
    expect(() => parseConfig(yaml('', ''), 'test.yaml')).toThrow(/OIN 00000099000000000007 is already given/);
  });

  it('refuses the removed ebms2-adapter kind, a dai endpoint without service or with a non-URN one, with the path', () => {
    const issues = (destinations: string) => {
      try {
        parseConfig(yaml(destinations), 'test.yaml');
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as ConfigError).issues.map((i) => i.path);
      }
      throw new Error('accepted');
    };
    expect(
      issues(
        `  - { id: ggk, adapter: ggk, url: "https://g.example/", endpoint: { kind: ebms2-adapter, cpaId: c, toPartyId: "00000099000000099001", service: s } }`,
      )[0],
    ).toMatch(/^destinations\[0\]\.endpoint/);
    expect(issues(`  - { id: ggk, adapter: ggk, url: "https://g.example/", endpoint: { kind: dai } }`)).toContain(
      'destinations[0].endpoint.service',
    );
    expect(
      issues(
        `  - { id: ggk, adapter: ggk, url: "https://g.example/", endpoint: { kind: dai, service: "mijn service" } }`,
      ),
    ).toContain('destinations[0].endpoint.service');
    expect(issues(`  - { id: ggk, adapter: ggk, url: "https://g.example/", administratie: "" }`)).toContain(
      'destinations[0].administratie',
    );
    expect(issues(`  - { id: ggk, adapter: ggk, url: "https://g.example/", endpoint: { kind: ebms3 } }`)[0]).toMatch(
      /^destinations\[0\]\.endpoint/,
    );
    expect(issues(`  - { id: ggk, adapter: ggk, url: "https://g.example/", applicatieVersie: "1" }`)).toContain(
      'destinations[0].applicatieVersie',
    );
  });
});

/** A tree without parents and line numbers, for comparing two parses of the same element. */
function strip(n: ReturnType<typeof parseToTree>): unknown {
  return { name: n.name, ns: n.ns, text: n.text, attrs: n.attrs, children: n.children.map(strip) };
}
