/**
 * The GGK adapter (adapters/ggk) against a nock'd GGK endpoint: iWmo/iEb/iPgb berichten go out as SOAP 1.1
 * ggk_Di01 (heen) or ggk_Du01 (retour) with the WSDL's SOAPAction; the envelope is valid against the OFFICIAL
 * StUF-GGK XSD (skipped visibly without the reference) and carries the bericht byte for byte; its referentienummer
 * is the same on every retry; Bv03, Fo03 (StUF016/IB216 duplicate, IB103, other codes), Fo01-style and other SOAP
 * faults, 503, 400 and timeouts give the right outcome; over 25 MB is refused before sending (IB007); a dai
 * endpoint sends the envelope inside dai:bericht with the Appendix B WS-Addressing headers (administratie and the
 * GGK's applicatie from the configuration).
 */
import fs, { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { di01Referentienummer, storedHeenReferentienummer } from '../../adapters/ggk/heen.ts';
import { ggkAdapter } from '../../adapters/ggk/index.ts';
import { build } from '../../src/examples/ieb-ipgb.ts';
import { openSqliteStore } from '../../src/store/sqlite.ts';
import { readDaiRequest } from '../../src/stuf/dai-envelope.ts';
import { GGK_MAX_ENVELOPE_BYTES, type Unwrapped, unwrap, wrap } from '../../src/stuf/ggk-envelope.ts';
import { ggkReferentienummer } from '../../src/stuf/ggk-referentienummer.ts';
import { answeredFrom, buildBv03, buildFo01, buildFo03 } from '../../src/stuf/replies.ts';
import { buildSoapEnvelope, buildSoapFault } from '../../src/stuf/soap.ts';
import { readSoapRequest } from '../../src/stuf/soap-request.ts';
import { UUID_V4 } from '../../src/stuf/stuurgegevens.ts';
import type { DestinationConfig, OutgoingMessage } from '../../src/transport/adapter.ts';
import { SchemaPacks } from '../../src/xml/packs.ts';
import { parseToTree } from '../../src/xml/parse.ts';
import { officialVerdict } from '../helpers/official.ts';
import { hasReference, referenceDir, skipReason } from '../helpers/reference.ts';

const OFFICIAL_ENVELOPE_XSD = 'stuf-ggk0310/ggk0310_21/ggkberichten/ggk0310_msg.xsd';
const hasGgkReference = hasReference && fs.existsSync(path.join(referenceDir, OFFICIAL_ENVELOPE_XSD));
if (!hasGgkReference)
  console.warn(`SKIPPED parts of unit/ggk-adapter (official StUF-GGK XSD and iWmo examples): ${skipReason}`);
const official = (rel: string) => fs.readFileSync(path.join(referenceDir, rel));

type GgkDestination = Extract<DestinationConfig, { adapter: 'ggk' }>;
const GGK = 'https://ggk.example';
const destination = (over: Partial<GgkDestination> = {}): GgkDestination => ({
  id: 'ggk',
  adapter: 'ggk',
  url: `${GGK}/OntvangAsynchroon`,
  timeoutMs: 2000,
  applicatie: 'Schakel',
  ...over,
});

const MESSAGE_ID = '6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f';
function message(body: string | Buffer, over: Partial<OutgoingMessage> = {}): OutgoingMessage {
  return {
    id: MESSAGE_ID,
    standard: 'ieb',
    release: '4.0',
    messageName: 'WMO405',
    direction: 'heen',
    afzender: '0363',
    ontvanger: null,
    berichtIdentificatie: 'WMO405-0001',
    referentienummer: null,
    crossRef: null,
    correlatedTo: null,
    body: Buffer.from(body),
    attempt: 1,
    ...over,
  };
}
const WMO405 = build('WMO405');

/** One request the nock'd GGK took: its headers, the envelope out of the SOAP Body, and that envelope read. */
interface Received {
  headers: Record<string, string | string[] | undefined>;
  envelope: Buffer;
  unwrapped: Unwrapped;
}
let received: Received[] = [];
let packs: SchemaPacks;

type Answer = (r: Received) => [number, string | Buffer, Record<string, string>?];
const SOAP_TYPE = { 'content-type': 'text/xml; charset=utf-8' };

/** The GGK: reads the SOAP request like the real one would and answers with `answer` (once, or `times`). */
function ggkAnswering(answer: Answer, times = 1): nock.Scope {
  return nock(GGK)
    .post('/OntvangAsynchroon')
    .times(times)
    .reply(function (_uri, body) {
      const request = readSoapRequest(Buffer.from(body as string), { maxBytes: 30 * 1024 * 1024 })!;
      const r: Received = {
        headers: { ...this.req.headers },
        envelope: request.message,
        unwrapped: unwrap(request.message, packs),
      };
      received.push(r);
      const [status, reply, headers] = answer(r);
      return [status, reply, headers ?? SOAP_TYPE];
    });
}

const answered = (r: Received) => answeredFrom(parseToTree(r.envelope));
const bv03: Answer = (r) => [
  200,
  buildSoapEnvelope(buildBv03(answered(r), { referentienummer: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d' })),
];
const fo03 =
  (code: string, omschrijving: string, plek: 'client' | 'server' = 'client'): Answer =>
  (r) => [
    500,
    buildSoapFault({ side: plek, text: omschrijving, detail: buildFo03(answered(r), { code, plek, omschrijving }) }),
  ];

const adapter = ggkAdapter();
const deliver = (m: OutgoingMessage, d = destination(), a = adapter) => a.deliver(m, d, new AbortController().signal);

beforeAll(() => {
  packs = SchemaPacks.load();
  nock.disableNetConnect();
});
afterEach(() => {
  nock.cleanAll();
  received = [];
});
afterAll(() => nock.enableNetConnect());

describe('GGK adapter: the envelope it sends', () => {
  it('sends a heenbericht as ggk_Di01 in SOAP 1.1 with the WSDL SOAPAction, the bericht byte for byte', async () => {
    ggkAnswering(bv03);
    const outcome = await deliver(message(WMO405));
    expect(outcome).toEqual({
      kind: 'delivered',
      status: 200,
      answer: `Bv03 referentienummer=1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d crossRefnummer=${MESSAGE_ID}`,
    });
    const [r] = received;
    expect(r!.headers).toMatchObject({
      'content-type': 'text/xml; charset=utf-8',
      soapaction: '"http://www.stufstandaarden.nl/sectormodel/ggk/0210/ggk_Di01"',
    });
    expect(r!.unwrapped.message).toBe('ggk_Di01');
    expect(r!.unwrapped.payload.equals(Buffer.from(WMO405))).toBe(true);
    // iEb leaves the chain party out of the header: the envelope names CAK; functie = the message name.
    expect(r!.unwrapped.stuurgegevens).toMatchObject({
      berichtcode: 'Di01',
      zender: { organisatie: '0363', applicatie: 'Schakel' },
      ontvanger: { organisatie: 'CAK', applicatie: 'GGk' },
      referentienummer: MESSAGE_ID,
      functie: 'WMO405',
    });
    expect(r!.unwrapped.parameters).toMatchObject({
      referentienummerBericht: 'WMO405-0001',
      applicatieVersie: '0001',
      applicatieSubversie: '0000',
      functieVersie: '0004',
      functieSubversie: '0000',
      contentType: 'application/xml',
    });
  });

  it.skipIf(!hasGgkReference)(
    'an official WMO301 goes out in an envelope valid against the OFFICIAL StUF-GGK XSD',
    async () => {
      ggkAnswering(bv03);
      const wmo301 = official('istandaarden-3.2/wmo/WMO301.xml');
      const m = message(wmo301, {
        standard: 'iwmo',
        release: '3.2',
        messageName: 'WMO301',
        afzender: '0384',
        ontvanger: '42420001',
        berichtIdentificatie: '123456789012',
      });
      expect(
        await deliver(
          m,
          destination({ applicatie: 'Wmo-loket', applicatieVersie: '0004', applicatieSubversie: '0003' }),
        ),
      ).toMatchObject({ kind: 'delivered' });
      const [r] = received;
      expect(officialVerdict(OFFICIAL_ENVELOPE_XSD, r!.envelope)).toBe(true);
      expect(r!.unwrapped.payload.equals(wmo301)).toBe(true);
      expect(r!.unwrapped.stuurgegevens).toMatchObject({
        zender: { organisatie: '0384', applicatie: 'Wmo-loket' },
        ontvanger: { organisatie: '42420001' },
        functie: 'WMO301',
      });
      expect(r!.unwrapped.parameters).toMatchObject({
        referentienummerBericht: '123456789012',
        applicatieVersie: '0004',
        applicatieSubversie: '0003',
        functieVersie: '0003',
        functieSubversie: '0002',
      });
    },
  );

  it.skipIf(!hasGgkReference)(
    'sends a retour as ggk_Du01: zender = its Ontvanger, crossRefnummer = the heen envelope, valid against the OFFICIAL XSD',
    async () => {
      ggkAnswering(bv03);
      const heenRef = '9c0f7b90-5c69-11e5-a837-0800200c9a66'; // the official example's (a UUID v1: echoed as it came)
      const lookups: string[] = [];
      const withLookup = ggkAdapter({ heenReferentienummer: async (id) => (lookups.push(id), heenRef) });
      const wmo302 = official('istandaarden-3.2/wmo/WMO302.xml');
      const m = message(wmo302, {
        standard: 'iwmo',
        release: '3.2',
        messageName: 'WMO302',
        direction: 'retour',
        afzender: '0384',
        ontvanger: '42420001',
        correlatedTo: 'heen-id',
      });
      expect(await deliver(m, destination(), withLookup)).toMatchObject({ kind: 'delivered' });
      const [r] = received;
      expect(lookups).toEqual(['heen-id']);
      expect(r!.headers.soapaction).toBe('"http://www.stufstandaarden.nl/sectormodel/ggk/0210/ggk_Du01"');
      expect(officialVerdict(OFFICIAL_ENVELOPE_XSD, r!.envelope)).toBe(true);
      // The retour copies the heen's header: the aanbieder (its Ontvanger) sends it back to the gemeente (its Afzender).
      expect(r!.unwrapped.stuurgegevens).toMatchObject({
        berichtcode: 'Du01',
        zender: { organisatie: '42420001' },
        ontvanger: { organisatie: '0384' },
        crossRefnummer: heenRef,
        functie: 'WMO302',
      });
      expect(r!.unwrapped.parameters).toMatchObject({ crossRefnummerBericht: '123456789012' });
      expect(r!.unwrapped.payload.equals(wmo302)).toBe(true);
    },
  );

  it('an iPgb retour (WMO508) goes from the gemeente to SVB, with the IdentificatieRetour as referentienummerBericht', async () => {
    ggkAnswering(bv03);
    const a = ggkAdapter({ heenReferentienummer: async () => '0e9d8c7b-6a5f-4e4d-9c3b-2a1f0e9d8c7b' });
    const m = message(build('WMO508', { identificatieRetour: 'R-508' }), {
      standard: 'ipgb',
      release: '2.1',
      messageName: 'WMO508',
      direction: 'retour',
      correlatedTo: 'heen',
    });
    expect(await deliver(m, destination(), a)).toMatchObject({ kind: 'delivered' });
    expect(received[0]!.unwrapped.stuurgegevens).toMatchObject({
      zender: { organisatie: '0363' },
      ontvanger: { organisatie: 'SVB' },
      crossRefnummer: '0e9d8c7b-6a5f-4e4d-9c3b-2a1f0e9d8c7b',
    });
    expect(received[0]!.unwrapped.parameters).toMatchObject({
      referentienummerBericht: 'R-508',
      crossRefnummerBericht: 'WMO507-0001',
    });
  });

  it('does not send a retour whose heen envelope referentienummer is unknown, and says why', async () => {
    const scope = ggkAnswering(bv03);
    const m = message(build('WMO508'), {
      standard: 'ipgb',
      release: '2.1',
      messageName: 'WMO508',
      direction: 'retour',
      correlatedTo: 'heen',
    });
    const outcome = await deliver(m);
    expect(outcome).toMatchObject({
      kind: 'failed',
      reason: expect.stringMatching(
        /WMO508 is a retour and travels in a ggk_Du01, whose crossRefnummer .* is not known/,
      ),
    });
    expect(scope.isDone()).toBe(false);
  });

  it('refuses a message that does not travel through the GGK', async () => {
    const outcome = await deliver(message('<a/>', { standard: 'stuf-jz', messageName: 'vtoDi01' }));
    expect(outcome).toMatchObject({
      kind: 'failed',
      reason: 'vtoDi01 does not travel through the GGK (iWmo, iJw, iEb and iPgb berichten do)',
    });
  });
});

describe('GGK adapter: the referentienummer', () => {
  it('is the message id (a UUID v4), the same on every retry; a StUF016 on the resend means the first copy arrived', async () => {
    ggkAnswering(() => [503, 'Service Unavailable', { 'content-type': 'text/plain' }]);
    ggkAnswering(() => [200, '', { 'content-type': 'text/plain' }]);
    ggkAnswering(fo03('StUF016', 'Combinatie zender en referentienummer niet uniek'));
    const first = await deliver(message(WMO405, { attempt: 1 }));
    const second = await deliver(message(WMO405, { attempt: 2 }));
    const third = await deliver(message(WMO405, { attempt: 3 }));
    expect(first).toMatchObject({ kind: 'retry', status: 503 });
    expect(second).toMatchObject({
      kind: 'retry',
      status: 200,
      reason: expect.stringContaining('the outcome is unclear'),
    });
    expect(third).toMatchObject({ kind: 'delivered', status: 500 });
    expect(third.kind === 'delivered' && third.answer).toMatch(
      /StUF016 .* was received before: the first copy arrived/,
    );
    expect(received.map((r) => r.unwrapped.stuurgegevens.referentienummer)).toEqual([
      MESSAGE_ID,
      MESSAGE_ID,
      MESSAGE_ID,
    ]);
  });

  it('IB216 on a resend is a duplicate too', async () => {
    ggkAnswering(fo03('IB216', 'Referentienummer niet uniek'));
    expect(await deliver(message(WMO405))).toMatchObject({
      kind: 'delivered',
      answer: expect.stringMatching(/^Fo03 IB216 .*the first copy arrived/),
    });
  });

  it('a message id of another form gives a stable UUID v4 of its own', () => {
    const ref = ggkReferentienummer('bericht-42');
    expect(ref).toMatch(UUID_V4);
    expect(ggkReferentienummer('bericht-42')).toBe(ref);
    expect(ggkReferentienummer('bericht-43')).not.toBe(ref);
    expect(ggkReferentienummer(MESSAGE_ID)).toBe(MESSAGE_ID);
  });
});

describe('GGK adapter: answers', () => {
  it('Fo03 with a client-side code → failed, not retried, with code and omschrijving', async () => {
    ggkAnswering(fo03('IB213', 'Ontvanger onbekend'));
    expect(await deliver(message(WMO405))).toEqual({
      kind: 'failed',
      status: 500,
      reason: 'Fo03 IB213 (client): Ontvanger onbekend',
      answer: 'Fo03 IB213 (client): Ontvanger onbekend',
    });
  });

  it('IB103 (berichttype temporarily blocked) and a server-side Fo03 → retry', async () => {
    ggkAnswering(fo03('IB103', 'Berichttype tijdelijk geblokkeerd'));
    expect(await deliver(message(WMO405))).toMatchObject({
      kind: 'retry',
      reason: 'Fo03 IB103 (client): Berichttype tijdelijk geblokkeerd',
    });
    ggkAnswering(fo03('StUF058', 'Interne fout', 'server'));
    expect(await deliver(message(WMO405))).toMatchObject({
      kind: 'retry',
      reason: 'Fo03 StUF058 (server): Interne fout',
    });
  });

  it('a Fo01-style fault is read like a Fo03', async () => {
    ggkAnswering((r) => [
      500,
      buildSoapFault({
        side: 'client',
        text: 'schema',
        detail: buildFo01(answered(r), {
          code: 'StUF055',
          plek: 'client',
          omschrijving: 'Bericht voldoet niet aan schema',
        }),
      }),
    ]);
    expect(await deliver(message(WMO405))).toMatchObject({
      kind: 'failed',
      reason: 'Fo01 StUF055 (client): Bericht voldoet niet aan schema',
    });
  });

  it('other SOAP faults: Server → retry, Client → failed', async () => {
    ggkAnswering(() => [500, buildSoapFault({ side: 'server', text: 'GGK in onderhoud' })]);
    expect(await deliver(message(WMO405))).toMatchObject({
      kind: 'retry',
      reason: 'SOAP fault Server: GGK in onderhoud',
    });
    ggkAnswering(() => [500, buildSoapFault({ side: 'client', text: 'Onbekende SOAPAction' })]);
    expect(await deliver(message(WMO405))).toMatchObject({
      kind: 'failed',
      reason: 'SOAP fault Client: Onbekende SOAPAction',
    });
  });

  it('503 → retry (Retry-After passed on); 400 → failed without retry', async () => {
    ggkAnswering(() => [503, 'Service Unavailable', { 'content-type': 'text/plain', 'retry-after': '30' }]);
    expect(await deliver(message(WMO405))).toMatchObject({ kind: 'retry', status: 503, retryAfterMs: 30_000 });
    ggkAnswering(() => [400, 'Bad Request', { 'content-type': 'text/plain' }]);
    expect(await deliver(message(WMO405))).toMatchObject({
      kind: 'failed',
      status: 400,
      reason: expect.stringMatching(/^HTTP 400/),
    });
  });

  it('a timeout → retry', async () => {
    nock(GGK).post('/OntvangAsynchroon').delay(2000).reply(200, 'late');
    expect(await deliver(message(WMO405), destination({ timeoutMs: 50 }))).toEqual({
      kind: 'retry',
      reason: 'timeout after 50 ms',
    });
  });

  it('an envelope over 25 MB is not sent: failed with IB007', async () => {
    const scope = ggkAnswering(bv03);
    // 19 MB of comment: base64 makes the envelope larger than 25,000,000 bytes.
    const big = WMO405.replace('?>\n', `?>\n<!-- ${'x'.repeat(19_000_000)} -->\n`);
    const outcome = await deliver(message(big));
    expect(outcome).toMatchObject({
      kind: 'failed',
      reason: expect.stringMatching(/^IB007: the GGK message would be \d+ bytes; the GGK takes at most 25000000/),
    });
    const size = Number(/would be (\d+) bytes/.exec(outcome.kind === 'failed' ? outcome.reason : '')![1]);
    expect(size).toBeGreaterThan(GGK_MAX_ENVELOPE_BYTES);
    expect(scope.isDone()).toBe(false);
  });
});

describe("GGK adapter: dai endpoint (the gemeente's Digikoppeling adapter)", () => {
  const endpoint = {
    kind: 'dai' as const,
    service: 'urn:nl:ggk:OntvangAsynchroon',
    services: { WMO405: 'urn:nl:ggk:ieb' },
  };

  it('posts the envelope inside dai:bericht with SOAPAction "" and the Appendix B headers; Bv04 is delivered', async () => {
    const seen: { headers: Record<string, unknown>; body: string }[] = [];
    nock(GGK)
      .post('/OntvangAsynchroon')
      .reply(function (_uri, body) {
        seen.push({ headers: { ...this.req.headers }, body: body as string });
        const dai = readDaiRequest(Buffer.from(body as string), { maxBytes: 30 * 1024 * 1024 });
        const bv04 = buildBv03(answeredFrom(dai.root), {
          referentienummer: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
        }).replace(/Bv03/g, 'Bv04');
        return [200, buildSoapEnvelope(bv04), SOAP_TYPE];
      });
    const outcome = await deliver(
      message(WMO405),
      destination({ endpoint, administratie: 'sociaal-domein', ontvangerApplicatie: 'GGk' }),
    );
    expect(outcome).toMatchObject({
      kind: 'delivered',
      status: 200,
      answer: `Bv04 referentienummer=1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d crossRefnummer=${MESSAGE_ID}`,
    });
    expect(seen[0]!.headers).toMatchObject({ soapaction: '""', 'content-type': 'text/xml; charset=utf-8' });
    const dai = readDaiRequest(Buffer.from(seen[0]!.body), { maxBytes: 30 * 1024 * 1024 });
    expect(dai.addressing).toEqual({
      to: 'urn:dkintern:CAK:GGk:',
      from: 'urn:dkintern:0363:Schakel:sociaal-domein',
      action:
        'urn:dkintern:urn:nl:ggk:ieb:http://www.stufstandaarden.nl/sectormodel/ggk/0210/envelopHeenbericht-ggk_Di01',
      messageId: `urn:dkintern:${MESSAGE_ID}@0363.Schakel.sociaal-domein.dkintern.nl`,
      conversationId: `urn:dkintern:${MESSAGE_ID}@0363.Schakel.sociaal-domein.dkintern.nl`,
    });
    const unwrapped = unwrap(dai.message, packs);
    expect(unwrapped.payload.equals(Buffer.from(WMO405))).toBe(true);
    expect(unwrapped.stuurgegevens).toMatchObject({
      zender: { organisatie: '0363', applicatie: 'Schakel', administratie: 'sociaal-domein' },
    });
    if (hasGgkReference) expect(officialVerdict(OFFICIAL_ENVELOPE_XSD, dai.message)).toBe(true);
  });
});

describe('GGK adapter: the heen envelope referentienummer from the store', () => {
  it('reads it from a heenbericht stored as the ggk_Di01 it arrived in, and nothing from a bare bericht', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'schakel-ggk-'));
    const store = openSqliteStore({ file: path.join(dir, 'store.sqlite') });
    try {
      const heenRef = '4b3a2918-0f1e-4d2c-8b3a-291807f6e5d4';
      const envelope = wrap(Buffer.from(build('WMO507')), {
        zender: { organisatie: 'SVB', applicatie: 'SVB-Pgb' },
        ontvanger: { organisatie: '0363' },
        functie: 'WMO507',
        referentienummer: heenRef,
        versions: {
          applicatieVersie: '0001',
          applicatieSubversie: '0000',
          functieVersie: '0002',
          functieSubversie: '0001',
        },
      });
      const stored = (body: string) =>
        store.insertMessage(
          {
            standard: 'ipgb',
            release: '2.1',
            messageName: 'WMO507',
            direction: 'heen',
            dedup: null,
            body,
            source: { kind: 'inbound', id: 'ggk' },
            status: 'received',
          },
          'test',
        );
      const inEnvelope = await stored(envelope);
      const bare = await stored(build('WMO507', { identificatie: 'B-2' }));
      const lookup = storedHeenReferentienummer(store);
      expect(await lookup(inEnvelope.id)).toBe(heenRef);
      expect(await lookup(bare.id)).toBeUndefined();
      expect(await lookup('00000000-0000-4000-8000-000000000000')).toBeUndefined();
      expect(di01Referentienummer(Buffer.from('not xml'))).toBeUndefined();
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
