/**
 * GGK and CORV over real HTTP: a gateway (SQLite, embedded transport) with a GGK and a CORV destination whose
 * endpoints are nock'd (they read the SOAP request and answer Bv03 as the real parties would).
 *
 * - A WMO301 posted to the gateway goes out as a SOAP ggk_Di01 (referentienummer = the message id) and is
 *   delivered on the GGK's Bv03.
 * - The WMO302 coming back from the GGK as a SOAP ggk_Du01 on /inbound/ggk is accepted, answered with a SOAP
 *   Bv03 (crossRefnummer = the Du01's referentienummer) and correlated to the WMO301 (GET /berichten/{id}).
 * - The same Du01 again is answered with a fault carrying Fo03 StUF016; a schema-invalid CORV message is taken
 *   (Bv03) and answered with an asynchronous Fo01 StUF055; a plain (non-SOAP) post and a post without a key are
 *   answered as before.
 * - A vtoDi01 goes to CORV in SOAP and is delivered on CORV's Bv03; a notificatieDi01 from CORV in SOAP is
 *   answered with Bv03.
 */
import fs from 'node:fs';
import path from 'node:path';
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build, PARTIES } from '../../src/examples/stuf-jz.ts';
import { hashApiKey } from '../../src/security/api-keys.ts';
import { type Unwrapped, unwrap, wrap } from '../../src/stuf/ggk-envelope.ts';
import { ggkReferentienummer } from '../../src/stuf/ggk-referentienummer.ts';
import { answeredFrom, buildBv03, buildFo01 } from '../../src/stuf/replies.ts';
import { buildSoapEnvelope, readSoap, readSoapFault } from '../../src/stuf/soap.ts';
import { readSoapRequest } from '../../src/stuf/soap-request.ts';
import { parseToTree } from '../../src/xml/parse.ts';
import { textAt, type XNode } from '../../src/xml/tree.ts';
import { eventually, KEYS, startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { hasReference, referenceDir, skipReason } from '../helpers/reference.ts';

if (!hasReference) console.warn(`SKIPPED integration/ggk-corv: ${skipReason}`);

const GGK_KEY = 'test-key-ggk-gegevensknooppunt';
const CORV_KEY = 'test-key-corv-jubes';
const GGK_URL = 'https://ggk.example/OntvangAsynchroon';
const CORV_URL = 'https://corv.example/jubes';
const example = (name: string) => fs.readFileSync(path.join(referenceDir, 'istandaarden-3.2/wmo', `${name}.xml`));
const bounded = { timeoutMs: 15_000 };
const VERSIONS = {
  applicatieVersie: '0004',
  applicatieSubversie: '0003',
  functieVersie: '0003',
  functieSubversie: '0002',
};

/** What the nock'd parties received. */
const toGgk: { soapAction: string | undefined; envelope: Unwrapped; raw: Buffer }[] = [];
const toCorv: { soapAction: string | undefined; message: XNode }[] = [];
const toGemeente: string[] = [];

/** A party that reads the SOAP request and answers Bv03 (zender/ontvanger swapped, crossRefnummer = its referentienummer). */
function soapParty(
  origin: string,
  pathname: string,
  onRequest: (message: Buffer, soapAction: string | undefined) => void,
): void {
  nock(origin)
    .persist()
    .post(pathname)
    .reply(function (_uri, body) {
      const request = readSoapRequest(Buffer.from(body as string), { maxBytes: 30 * 1024 * 1024 })!;
      onRequest(request.message, this.req.headers.soapaction as string | undefined);
      return [
        200,
        buildSoapEnvelope(buildBv03(answeredFrom(request.root))),
        { 'content-type': 'text/xml; charset=utf-8' },
      ];
    });
}

const soapPost = (
  g: TestGateway,
  party: string,
  soap: Buffer | string,
  key: string | null = party === 'ggk' ? GGK_KEY : CORV_KEY,
  type = 'text/xml; charset=utf-8',
) => g.post(`/inbound/${party}`, soap, key, type);

/** The one message in a SOAP answer's Body, and the fault when it is one. */
function soapAnswer(text: string) {
  const soap = readSoap(parseToTree(text))!;
  const first = soap.body![0]!;
  const fault = readSoapFault(first, soap.version);
  return { version: soap.version, first, fault, fo03: fault?.detail.find((d) => d.name === 'Fo03Bericht') };
}

describe.skipIf(!hasReference)('GGK and CORV over HTTP', () => {
  let g: TestGateway;

  beforeAll(async () => {
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
    soapParty('https://ggk.example', '/OntvangAsynchroon', (message, soapAction) =>
      toGgk.push({ soapAction, envelope: unwrap(message), raw: message }),
    );
    soapParty('https://corv.example', '/jubes', (message, soapAction) =>
      toCorv.push({ soapAction, message: parseToTree(message) }),
    );
    nock('http://gemeente.example')
      .persist()
      .post('/retour')
      .reply((_uri, body) => {
        toGemeente.push(String(body));
        return [200, 'ontvangen'];
      });
    g = await startTestGateway({
      extraParties: ['{ id: ggk, kind: ggk }', `{ id: corv, kind: corv, oin: "${PARTIES.rvdk.organisatie}" }`],
      extraInbound: [
        `{ party: ggk, apiKeys: ["${hashApiKey(GGK_KEY)}"], messages: [WMO302, WMO315, Fo01] }`,
        `{ party: corv, apiKeys: ["${hashApiKey(CORV_KEY)}"], messages: [notificatieDi01, Bv01, Fo01] }`,
      ],
      extraDestinations: [
        `{ id: ggk, adapter: ggk, url: "${GGK_URL}", timeoutMs: 5000, applicatie: "Schakel-test" }`,
        `{ id: corv, adapter: corv, url: "${CORV_URL}", timeoutMs: 5000, oin: "${PARTIES.gemeente.organisatie}" }`,
      ],
      routes: [
        '{ standard: iwmo, direction: heen, ontvanger: "42420001", destination: ggk }',
        '{ standard: iwmo, direction: retour, afzender: "0384", destination: gemeente-retour }',
        '{ standard: stuf-jz, direction: heen, ontvanger: "00000099000000020001", destination: corv }',
        '{ standard: stuf-jz, destination: gemeente-retour }',
        '{ standard: stuf, destination: gemeente-retour }',
      ],
    });
  });

  afterAll(async () => {
    await g?.stop();
    nock.cleanAll();
    nock.enableNetConnect();
  });

  let wmo301Id: string;
  let di01Referentienummer: string;
  let du01Soap: Buffer;
  /** The example WMO302 as the GGK delivers it: in a ggk_Du01 answering our Di01. */
  const wmo302Du01 = () =>
    wrap(example('WMO302'), {
      zender: { organisatie: '42420001', applicatie: 'Zorgsysteem' },
      ontvanger: { organisatie: '0384' },
      functie: 'WMO302',
      crossRefnummer: di01Referentienummer,
      crossRefnummerBericht: '123456789012',
      versions: VERSIONS,
    });

  it('sends a WMO301 to the GGK as SOAP ggk_Di01 and takes its Bv03 as delivered', async () => {
    const wmo301 = example('WMO301');
    const r = await g.post('/berichten', wmo301, KEYS.wijkteam);
    expect(r.status).toBe(202);
    wmo301Id = r.body.id;

    const status = await eventually(async () => {
      const s = await g.get(`/berichten/${wmo301Id}`);
      expect(s.body.status).toBe('delivered');
      return s.body;
    }, bounded);
    expect(toGgk).toHaveLength(1);
    const [sent] = toGgk;
    expect(sent!.soapAction).toBe('"http://www.stufstandaarden.nl/sectormodel/ggk/0210/ggk_Di01"');
    expect(sent!.envelope.message).toBe('ggk_Di01');
    expect(sent!.envelope.payload.equals(wmo301)).toBe(true);
    expect(sent!.envelope.stuurgegevens).toMatchObject({
      zender: { organisatie: '0384', applicatie: 'Schakel-test' },
      ontvanger: { organisatie: '42420001', applicatie: 'GGk' },
      functie: 'WMO301',
    });
    di01Referentienummer = sent!.envelope.stuurgegevens.referentienummer;
    expect(di01Referentienummer).toBe(ggkReferentienummer(wmo301Id));
    expect(status.attempts).toMatchObject([
      { attemptNo: 1, outcome: 'delivered', httpStatus: 200, answerMessage: 'Bv03' },
    ]);
  });

  it('accepts the WMO302 coming back as SOAP ggk_Du01 on /inbound/ggk, answers Bv03 and correlates it to the WMO301', async () => {
    const du01 = wmo302Du01();
    const du01Ref = textAt(parseToTree(du01), 'stuurgegevens/referentienummer')!;
    du01Soap = buildSoapEnvelope(du01);
    const r = await soapPost(g, 'ggk', du01Soap);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/xml/);
    const a = soapAnswer(r.text);
    expect(a.fault).toBeUndefined();
    expect(a.first.name).toBe('Bv03Bericht');
    expect(textAt(a.first, 'stuurgegevens/crossRefnummer')).toBe(du01Ref);
    expect(textAt(a.first, 'stuurgegevens/zender/organisatie')).toBe('0384');
    expect(textAt(a.first, 'stuurgegevens/ontvanger/organisatie')).toBe('42420001');
    const wmo302Id = r.headers.get('location')!.replace('/berichten/', '');

    const heen = await eventually(async () => {
      const s = await g.get(`/berichten/${wmo301Id}`);
      expect(s.body.answer?.id).toBe(wmo302Id);
      return s.body;
    }, bounded);
    expect(heen.conversation.map((c: { id: string; message: string }) => [c.id, c.message])).toContainEqual([
      wmo302Id,
      'WMO302',
    ]);
    const retour = await g.get(`/berichten/${wmo302Id}`);
    expect(retour.body).toMatchObject({ message: 'WMO302', direction: 'retour', correlatedTo: wmo301Id });
    // The retour travels on to the gemeente's system as the WMO302 itself, without the GGK envelope.
    await eventually(() => expect(toGemeente).toHaveLength(1), bounded);
    expect(toGemeente[0]).toBe(example('WMO302').toString('utf8'));
  });

  it("correlates a GGK Fo01 to the Di01 it refers to (crossRefnummer = the envelope's referentienummer, made from the message id)", async () => {
    const fo01 = buildFo01(
      {
        zender: { organisatie: '0384', applicatie: 'Schakel-test' },
        ontvanger: { organisatie: 'GGK', applicatie: 'GGk' },
        referentienummer: di01Referentienummer,
      },
      { code: 'IB213', plek: 'client', omschrijving: 'Ontvanger onbekend' },
    );
    const r = await soapPost(g, 'ggk', buildSoapEnvelope(fo01));
    expect(r.status).toBe(200);
    expect(soapAnswer(r.text).first.name).toBe('Bv03Bericht');
    const fo01Id = r.headers.get('location')!.replace('/berichten/', '');
    const stored = await g.get(`/berichten/${fo01Id}`);
    expect(stored.body).toMatchObject({ message: 'Fo01', correlatedTo: wmo301Id });
    const heen = await g.get(`/berichten/${wmo301Id}`);
    expect(heen.body.conversation.map((c: { id: string }) => c.id)).toContain(fo01Id);
  });

  it('answers the same Du01 again with a SOAP fault carrying Fo03 StUF016 (the first copy arrived)', async () => {
    const r = await soapPost(g, 'ggk', du01Soap);
    expect(r.status).toBe(500);
    const a = soapAnswer(r.text);
    expect(a.fault).toMatchObject({ code: 'Client', side: 'client' });
    expect(textAt(a.fo03, 'body/code')).toBe('StUF016');
    expect(textAt(a.fo03, 'body/plek')).toBe('client');
    expect(textAt(a.fo03, 'stuurgegevens/crossRefnummer')).toBe(
      textAt(parseToTree(readSoapRequest(du01Soap, { maxBytes: 1 << 24 })!.message), 'stuurgegevens/referentienummer'),
    );
  });

  it('takes the same WMO302 in a new envelope (new referentienummer, as a GGK resend has) as a repeat: Fo03 StUF016', async () => {
    const again = wmo302Du01(); // a new envelope: wrap() gives every one its own referentienummer
    const firstRef = textAt(
      parseToTree(readSoapRequest(du01Soap, { maxBytes: 1 << 24 })!.message),
      'stuurgegevens/referentienummer',
    );
    expect(textAt(parseToTree(again), 'stuurgegevens/referentienummer')).not.toBe(firstRef);
    const r = await soapPost(g, 'ggk', buildSoapEnvelope(again));
    expect(r.status).toBe(500);
    expect(textAt(soapAnswer(r.text).fo03, 'body/code')).toBe('StUF016');
  });

  it('takes a schema-invalid CORV message (Bv03) and answers it with an asynchronous Fo01 StUF055; a SOAP request it cannot read gets a plain fault', async () => {
    const invalid = build('notificatieDi01', { omit: ['functie'] });
    const r = await soapPost(g, 'corv', buildSoapEnvelope(invalid));
    expect(r.status).toBe(200);
    const a = soapAnswer(r.text);
    expect(a.first.name).toBe('Bv03Bericht');
    const rejectedId = r.headers.get('location')!.replace('/berichten/', '');
    expect(await g.gateway.store.getMessage(rejectedId)).toMatchObject({
      messageName: 'notificatieDi01',
      status: 'rejected',
    });
    const fo01 = await eventually(() => {
      const found = toCorv.find((m) => m.message.name === 'Fo01Bericht');
      expect(found).toBeDefined();
      return found!;
    }, bounded);
    expect(textAt(fo01.message, 'body/code')).toBe('StUF055');
    expect(textAt(fo01.message, 'stuurgegevens/crossRefnummer')).toBe(
      textAt(parseToTree(invalid), 'stuurgegevens/referentienummer'),
    );

    const twoMessages = `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><a/><b/></s:Body></s:Envelope>`;
    const r2 = await soapPost(g, 'corv', twoMessages, CORV_KEY, 'application/soap+xml; charset=utf-8');
    expect(r2.status).toBe(400);
    expect(r2.headers.get('content-type')).toMatch(/^application\/soap\+xml/);
    expect(soapAnswer(r2.text)).toMatchObject({
      version: '1.2',
      fault: { code: 'Sender', text: 'the SOAP Body must carry exactly one message; it carries 2' },
      fo03: undefined,
    });
  });

  it('refuses a SOAP envelope around a bare iStandaarden bericht before storing anything (no stuurgegevens to answer)', async () => {
    const before = (await g.gateway.store.listMessages({ limit: 500 })).items.length;
    const r = await soapPost(g, 'ggk', buildSoapEnvelope(example('WMO315')));
    expect(r.status).toBe(500);
    const a = soapAnswer(r.text);
    expect(a.fault).toMatchObject({ side: 'client' });
    expect(a.fault!.text).toMatch(/no StUF message with stuurgegevens/);
    expect((await g.gateway.store.listMessages({ limit: 500 })).items.length).toBe(before);
  });

  it('keeps the same authentication, and plain (non-SOAP) posts are answered as before', async () => {
    const noKey = await soapPost(g, 'ggk', du01Soap, null);
    // Over SOAP the refusal is a SOAP fault with a Fo03 IB002 (docs/conversations.md), still with status 401.
    expect(noKey.status).toBe(401);
    const refused = soapAnswer(noKey.text);
    expect(refused.fault).toMatchObject({ side: 'client' });
    expect(refused.fo03).toBeDefined();
    expect(noKey.text).toContain('IB002');
    const plain = await g.post('/inbound/ggk', example('WMO302'), GGK_KEY, 'text/xml');
    expect(plain.headers.get('content-type')).toMatch(/^application\/json/);
    // The WMO302 came in an envelope before; the same bericht without one is a repeat (compared on the bericht).
    expect({ status: plain.status, repeat: plain.body.repeat }).toEqual({ status: 200, repeat: true });
  });

  it('sends a vtoDi01 to CORV in SOAP (delivered on its Bv03) and answers a notificatieDi01 from CORV with Bv03', async () => {
    const vtoRef = '2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f';
    const vto = build('vtoDi01', { referentienummer: vtoRef, zender: { organisatie: '0384' } });
    const r = await g.post('/berichten', vto, KEYS.wijkteam);
    expect(r.status).toBe(202);
    const s = await eventually(async () => {
      const s = await g.get(`/berichten/${r.body.id}`);
      expect(s.body.status).toBe('delivered');
      return s.body;
    }, bounded);
    expect(s.attempts).toMatchObject([{ outcome: 'delivered', answerMessage: 'Bv03' }]);
    const vtos = toCorv.filter((m) => m.message.name === 'vtoDi01');
    expect(vtos).toHaveLength(1);
    expect(vtos[0]!.soapAction).toBe('"http://www.stufstandaarden.nl/koppelvlak/jz0100/vtoDi01"');
    expect([vtos[0]!.message.name, textAt(vtos[0]!.message, 'stuurgegevens/referentienummer')]).toEqual([
      'vtoDi01',
      vtoRef,
    ]);

    const notificatie = build('notificatieDi01', { ontvanger: { organisatie: '0384' } });
    const n = await soapPost(g, 'corv', buildSoapEnvelope(notificatie));
    expect(n.status).toBe(200);
    const a = soapAnswer(n.text);
    expect(a.first.name).toBe('Bv03Bericht');
    expect(textAt(a.first, 'stuurgegevens/crossRefnummer')).toBe(
      textAt(parseToTree(notificatie), 'stuurgegevens/referentienummer'),
    );
  });
});
