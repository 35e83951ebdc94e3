/**
 * Digikoppeling Adapter Intern over mutual TLS: a real gateway (HTTPS, client certificates required) and a test
 * Digikoppeling adapter (tests/helpers/dai-adapter.ts, a real HTTPS server with its own certificate) that behaves
 * as DAI 1.0 says. Two conversations:
 *
 * - WMO301 → WMO302 through the GGK: the gateway sends the WMO301 in a ggk_Di01 inside dai:bericht with the
 *   Appendix B headers; the adapter answers Bv04 (delivered). The adapter then delivers the WMO302 in a ggk_Du01
 *   on POST /dai/ggk with the headers an adapter sets (RelatesTo = the Di01's MessageID); the gateway answers Bv03
 *   and correlates the WMO302 to the WMO301.
 * - VTO → Bv01 through CORV: the same for a vtoDi01 and the Bv01 that answers it, on POST /dai/corv.
 *
 * Every dai:bericht and every StUF answer is checked against its official schema (StUF-GGK envelope XSD, StUF-JZ
 * pack). Then the refusals: a Fo03 from the adapter (failed with its code), StUF016 on a resend (delivered), a
 * 503 retried with the same MessageID, a wsa:From the party may not use (Fo03 IB002), headers that disagree with
 * the stuurgegevens (Fo03 WSA002), another SOAP header (Fo03 WSA001), and a certificate of another OIN.
 */

import { randomUUID } from 'node:crypto';
import fs, { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path, { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build, PARTIES } from '../../src/examples/stuf-jz.ts';
import { wrap } from '../../src/stuf/ggk-envelope.ts';
import { ggkReferentienummer } from '../../src/stuf/ggk-referentienummer.ts';
import { parseToTree } from '../../src/xml/parse.ts';
import { textAt, type XNode } from '../../src/xml/tree.ts';
import {
  type DaiTestAdapter,
  daiRequest,
  post,
  SOAP11,
  startDaiAdapter,
  type TlsFiles,
} from '../helpers/dai-adapter.ts';
import { eventually, startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { type Receiver, startReceiver } from '../helpers/http-receiver.ts';
import { officialVerdict } from '../helpers/official.ts';
import { createCa, issue } from '../helpers/pki.ts';
import { hasReference, referenceDir, skipReason } from '../helpers/reference.ts';

if (!hasReference) {
  if (process.env.CI === 'true') throw new Error(`integration/dai needs the reference schemas in CI: ${skipReason}`);
  console.warn(`SKIPPED integration/dai: ${skipReason}`);
}

const ENVELOPE_XSD = 'stuf-ggk0310/ggk0310_21/ggkberichten/ggk0310_msg.xsd';
const JZ_XSD = 'stuf-jeugdzorg-1.0.9/jzberichten/jz0100_msg_jzberichten_resolved2025.xsd';
const STUF_XSD = 'stuf-jeugdzorg-1.0.9/jzberichten/jz0100_msg_stuf_jzberichten_resolved2025.xsd';
const GGK_NS = 'http://www.stufstandaarden.nl/sectormodel/ggk/0210';
const JZ_NS = 'http://www.stufstandaarden.nl/koppelvlak/jz0100';
const STUF_NS = 'http://www.egem.nl/StUF/StUF0301';
const GGK_SERVICE = 'urn:nl:ggk:OntvangAsynchroon';
const CORV_SERVICE = 'urn:nl:jubes:corv:jz0100';
const GATEWAY_OIN = '00000099000000003841';
const ADAPTER_OIN = '00000099000000003842';
const WIJKTEAM_OIN = '00000099000000003843';
const STRANGER_OIN = '00000099000000003849';
const GEMEENTE = PARTIES.gemeente;
const RVDK = PARTIES.rvdk;
const VERSIONS = {
  applicatieVersie: '0004',
  applicatieSubversie: '0003',
  functieVersie: '0003',
  functieSubversie: '0002',
};
const bounded = { timeoutMs: 20_000 };
const example = (name: string) => fs.readFileSync(path.join(referenceDir, 'istandaarden-3.2/wmo', `${name}.xml`));

let dir: string;
let adapter: DaiTestAdapter;
let inbox: Receiver;
let g: TestGateway;
let wijkteam: TlsFiles;
let stranger: TlsFiles;
let adapterClient: TlsFiles;

/** The gateway's answer to a DAI request: the first Body element, and the Fo03 in a fault. */
function soapAnswer(text: string): { first: XNode; fo03: XNode | undefined; bericht: string } {
  const envelope = parseToTree(text);
  const body = envelope.children.find((c) => c.ns === SOAP11 && c.name === 'Body')!;
  const first = body.children[0]!;
  const fo03 =
    first.name === 'Fault'
      ? first.children.find((c) => c.name === 'detail')?.children.find((c) => c.name === 'Fo03Bericht')
      : undefined;
  const name = fo03 ? 'Fo03Bericht' : first.name;
  const start = text.search(new RegExp(`<[A-Za-z0-9]*:?${name}[ >]`));
  const end = text.indexOf('Bericht>', text.lastIndexOf(`${name.slice(0, 4)}Bericht>`)) + 'Bericht>'.length;
  return { first, fo03, bericht: text.slice(start, end) };
}

const call = (pathname: string, body: string, tls: TlsFiles, contentType = 'application/xml') =>
  post(`${g.url}${pathname}`, body, tls, { 'content-type': contentType });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'schakel-dai-'));
  const ca = createCa('DAI Test Root CA');
  const caPath = join(dir, 'ca.crt');
  writeFileSync(caPath, ca.certPem);
  const write = (name: string, commonName: string, oin: string): TlsFiles => {
    const issued = issue(ca, { commonName, oin, altNames: ['127.0.0.1', 'localhost'], usage: 'both' });
    writeFileSync(join(dir, `${name}.crt`), issued.certPem);
    writeFileSync(join(dir, `${name}.key`), issued.keyPem);
    return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`), ca: [caPath] };
  };
  const gatewayTls = write('gateway', 'schakel.gemeente.test', GATEWAY_OIN);
  const adapterTls = write('adapter', 'dk-adapter.gemeente.test', ADAPTER_OIN);
  wijkteam = write('wijkteam', 'wijkteam.gemeente.test', WIJKTEAM_OIN);
  stranger = write('stranger', 'vreemd.test', STRANGER_OIN);
  adapterClient = adapterTls;

  adapter = await startDaiAdapter(adapterTls, adapterTls);
  inbox = await startReceiver(() => ({ status: 200 }));
  g = await startTestGateway({
    serverTls: { profile: 'web', clientCertificates: 'required' },
    destinations: {
      zorg: `${inbox.url}/zorg`,
      jeugd: `${inbox.url}/jeugd`,
      gemeenteRetour: `${inbox.url}/retour`,
      gemeenteInbox: `${inbox.url}/inbox`,
    },
    maxAttempts: 3,
    extraParties: [
      '{ id: ggk, kind: ggk }',
      `{ id: corv, kind: corv, codes: { organisatie: ["${RVDK.organisatie}"] } }`,
    ],
    extraCallers: [
      `{ id: wijkteam-mtls, oins: ["${WIJKTEAM_OIN}"], afzenders: ["0384", "${GEMEENTE.organisatie}"], messages: ["*"] }`,
    ],
    extraInbound: [
      `{ party: ggk, oins: ["${ADAPTER_OIN}"], messages: [WMO302, Fo01], dai: {} }`,
      `{ party: corv, oins: ["${ADAPTER_OIN}"], messages: [Bv01, Fo01, notificatieDi01], dai: { from: ["urn:dkintern:${RVDK.organisatie}:*"] } }`,
    ],
    extraDestinations: [
      `{ id: ggk, adapter: ggk, url: "${adapter.url}/dai", tlsProfile: naar-adapter, timeoutMs: 5000, applicatie: "Schakel-test", endpoint: { kind: dai, service: "${GGK_SERVICE}" } }`,
      `{ id: corv, adapter: corv, url: "${adapter.url}/dai", tlsProfile: naar-adapter, timeoutMs: 5000, oin: "${GEMEENTE.organisatie}", endpoint: { kind: dai, service: "${CORV_SERVICE}" } }`,
    ],
    routes: [
      '{ standard: iwmo, direction: heen, ontvanger: "42420001", destination: ggk }',
      '{ standard: iwmo, direction: retour, afzender: "0384", destination: gemeente-retour }',
      `{ standard: stuf-jz, direction: heen, ontvanger: "${RVDK.organisatie}", destination: corv }`,
      '{ standard: stuf, destination: gemeente-retour }',
    ],
    extraYaml: `
tls:
  profiles:
    - { id: web, cert: "${gatewayTls.cert}", key: "${gatewayTls.key}", ca: ["${caPath}"] }
    - { id: naar-adapter, cert: "${gatewayTls.cert}", key: "${gatewayTls.key}", ca: ["${caPath}"], expectOin: "${ADAPTER_OIN}" }
`,
  });
}, 120_000);

afterAll(async () => {
  await g?.stop();
  await adapter?.close();
  await inbox?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The gateway took the bericht: 200 with a Bv03 answering it, valid against the StUF schema. */
function expectBv03(r: { status: number; text: string }, answeredReferentienummer: string): void {
  expect(r.status, r.text).toBe(200);
  const a = soapAnswer(r.text);
  expect(a.first.name).toBe('Bv03Bericht');
  expect(textAt(a.first, 'stuurgegevens/crossRefnummer')).toBe(answeredReferentienummer);
  expect(officialVerdict(STUF_XSD, a.bericht)).toBe(true);
}

/** The id of the message correlated to a heenbericht as its answer, once there is one. */
async function answerOf(heenId: string): Promise<string> {
  const s = await eventually(async () => {
    const v = await getJson(`/berichten/${heenId}`);
    expect(v.answer?.id).toBeTruthy();
    return v;
  }, bounded);
  return s.answer.id as string;
}

async function delivered(id: string): Promise<Record<string, unknown>> {
  return eventually(async () => {
    const r = await getJson(`/berichten/${id}`);
    expect(r.status).toBe('delivered');
    return r;
  }, bounded);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function getJson(pathname: string): Promise<Record<string, any>> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      `${g.url}${pathname}`,
      {
        cert: readFileSync(wijkteam.cert),
        key: readFileSync(wijkteam.key),
        ca: wijkteam.ca.map((p) => readFileSync(p)),
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe.skipIf(!hasReference)('DAI over mutual TLS: WMO301 → WMO302 through the GGK', () => {
  let wmo301Id: string;
  let di01: { referentienummer: string; messageId: string };

  it("sends the WMO301 in a ggk_Di01 inside dai:bericht with the Appendix B headers; the adapter's Bv04 = delivered", async () => {
    const r = await call('/berichten', example('WMO301').toString('utf8'), wijkteam);
    expect(r.status, r.text).toBe(202);
    wmo301Id = JSON.parse(r.text).id;
    const s = await delivered(wmo301Id);
    expect(s.attempts).toMatchObject([{ attemptNo: 1, outcome: 'delivered', httpStatus: 200, answerMessage: 'Bv04' }]);

    const taken = adapter.taken.find((t) => t.berichtRoot.name === 'envelopHeenbericht-ggk_Di01')!;
    expect(taken.soapAction).toBe('""');
    expect(taken.contentType).toMatch(/^text\/xml/);
    expect(taken.clientOin).toBe(GATEWAY_OIN);
    const ref = textAt(taken.berichtRoot, 'stuurgegevens/referentienummer')!;
    expect(ref).toBe(ggkReferentienummer(wmo301Id));
    di01 = { referentienummer: ref, messageId: `urn:dkintern:${ref}@0384.Schakel-test..dkintern.nl` };
    // No other SOAP headers than WS-Addressing, in the order of §3.1.
    expect(taken.headerBlocks).toEqual(
      ['To', 'From', 'Action', 'MessageID', 'RelatesTo'].map((n) => `{http://www.w3.org/2005/08/addressing}${n}`),
    );
    expect(taken.wsa).toEqual({
      to: 'urn:dkintern:42420001:GGk:',
      from: 'urn:dkintern:0384:Schakel-test:',
      action: `urn:dkintern:${GGK_SERVICE}:${GGK_NS}/envelopHeenbericht-ggk_Di01`,
      messageId: di01.messageId,
      conversationId: di01.messageId,
    });
    expect(officialVerdict(ENVELOPE_XSD, taken.bericht)).toBe(true);
    expect(officialVerdict(STUF_XSD, adapter.answers[adapter.taken.indexOf(taken)]!)).toBe(true);
  });

  it('takes the WMO302 the adapter delivers in a ggk_Du01 on /dai/ggk, answers Bv03 and correlates it to the WMO301', async () => {
    const du01 = wrap(example('WMO302'), {
      zender: { organisatie: '42420001', applicatie: 'Zorgsysteem' },
      ontvanger: { organisatie: '0384', applicatie: 'Schakel-test' },
      functie: 'WMO302',
      crossRefnummer: di01.referentienummer,
      crossRefnummerBericht: '123456789012',
      versions: VERSIONS,
    });
    expect(officialVerdict(ENVELOPE_XSD, du01)).toBe(true);
    const du01Ref = textAt(parseToTree(du01), 'stuurgegevens/referentienummer')!;
    const r = await adapter.deliver(`${g.url}/dai/ggk`, du01, {
      to: 'urn:dkintern:0384:Schakel-test:',
      from: 'urn:dkintern:42420001:Zorgsysteem:',
      action: `urn:dkintern:${GGK_SERVICE}:${GGK_NS}/envelopRetourbericht-ggk_Du01`,
      messageId: `urn:dkintern:${du01Ref}@42420001.Zorgsysteem..dkintern.nl`,
      relatesTo: di01.messageId,
      conversationId: di01.messageId,
    });
    expectBv03(r, du01Ref);
    const wmo302 = await getJson(`/berichten/${await answerOf(wmo301Id)}`);
    expect(wmo302).toMatchObject({ message: 'WMO302', direction: 'retour', correlatedTo: wmo301Id });
    await eventually(() => expect(inbox.requests.filter((q) => q.path === '/retour')).toHaveLength(1), bounded);
    expect(inbox.requests.find((q) => q.path === '/retour')!.body.equals(example('WMO302'))).toBe(true);
  });
});

describe.skipIf(!hasReference)('DAI over mutual TLS: VTO → Bv01 through CORV', () => {
  const vtoRef = randomUUID();
  let vtoId: string;
  const vtoMessageId = `urn:dkintern:${vtoRef}@${GEMEENTE.organisatie}.${GEMEENTE.applicatie}..dkintern.nl`;

  /** A Bv01 for the VTO as the adapter would deliver it, with `over` replacing headers. */
  const bv01Request = (over: Partial<Record<'from' | 'messageId', string>> = {}, ref = randomUUID()) => {
    return {
      ref,
      bericht: build('Bv01', { crossRefnummer: vtoRef, referentienummer: ref }),
      wsa: {
        to: `urn:dkintern:${GEMEENTE.organisatie}:${GEMEENTE.applicatie}:`,
        from: `urn:dkintern:${RVDK.organisatie}:${RVDK.applicatie}:`,
        action: `urn:dkintern:${CORV_SERVICE}:${STUF_NS}/Bv01Bericht`,
        messageId: `urn:dkintern:${ref}@${RVDK.organisatie}.${RVDK.applicatie}..dkintern.nl`,
        relatesTo: vtoMessageId,
        conversationId: vtoMessageId,
        ...over,
      },
    };
  };

  it('sends the vtoDi01 inside dai:bericht with the Appendix B headers; Bv04 = delivered', async () => {
    const r = await call('/berichten', build('vtoDi01', { referentienummer: vtoRef }), wijkteam);
    expect(r.status, r.text).toBe(202);
    vtoId = JSON.parse(r.text).id;
    const s = await delivered(vtoId);
    expect(s.attempts).toMatchObject([{ outcome: 'delivered', answerMessage: 'Bv04' }]);
    const taken = adapter.taken.find(
      (t) => t.berichtRoot.name === 'vtoDi01' && textAt(t.berichtRoot, 'stuurgegevens/referentienummer') === vtoRef,
    )!;
    expect(taken.soapAction).toBe('""');
    expect(taken.wsa).toEqual({
      to: `urn:dkintern:${RVDK.organisatie}:${RVDK.applicatie}:`,
      from: `urn:dkintern:${GEMEENTE.organisatie}:${GEMEENTE.applicatie}:`,
      action: `urn:dkintern:${CORV_SERVICE}:${JZ_NS}/vtoDi01`,
      messageId: vtoMessageId,
      conversationId: vtoMessageId,
    });
    expect(officialVerdict(JZ_XSD, taken.bericht)).toBe(true);
    expect(officialVerdict(STUF_XSD, adapter.answers[adapter.taken.indexOf(taken)]!)).toBe(true);
  });

  it('takes the Bv01 the adapter delivers on /dai/corv, answers Bv03 and links it to the VTO', async () => {
    const { ref: bv01Ref, bericht, wsa } = bv01Request();
    expect(officialVerdict(STUF_XSD, bericht)).toBe(true);
    // RelatesTo and the ConversationId are the VTO's MessageID: the Bv01 answers it.
    expect([wsa.relatesTo, wsa.conversationId]).toEqual([vtoMessageId, vtoMessageId]);
    const r = await adapter.deliver(`${g.url}/dai/corv`, bericht, wsa);
    expectBv03(r, bv01Ref);
    expect(await getJson(`/berichten/${await answerOf(vtoId)}`)).toMatchObject({
      message: 'Bv01',
      correlatedTo: vtoId,
    });
  });

  it('refuses a wsa:From the party may not deliver from with Fo03 IB002, and stores nothing', async () => {
    const before = (await g.gateway.store.listMessages({})).items.length;
    const { bericht, wsa } = bv01Request({ from: 'urn:dkintern:99999999:Elders:' });
    const r = await adapter.deliver(`${g.url}/dai/corv`, bericht, wsa);
    expect(r.status).toBe(500);
    const a = soapAnswer(r.text);
    expect(textAt(a.fo03, 'body/code')).toBe('IB002');
    expect(officialVerdict(STUF_XSD, a.bericht)).toBe(true);
    expect((await g.gateway.store.listMessages({})).items.length).toBe(before);
  });

  it('refuses headers that disagree with the stuurgegevens (Fo03 WSA002, naming the header) and a foreign SOAP header (WSA001)', async () => {
    const wrongId = bv01Request({ messageId: 'urn:dkintern:iets-anders@elders' });
    const r = await adapter.deliver(`${g.url}/dai/corv`, wrongId.bericht, wrongId.wsa);
    const a = soapAnswer(r.text);
    expect([r.status, textAt(a.fo03, 'body/code')]).toEqual([500, 'WSA002']);
    expect(textAt(a.fo03, 'body/omschrijving')).toContain('wsa:MessageID is urn:dkintern:iets-anders@elders');

    const ok = bv01Request();
    const withSecurity = daiRequest(ok.bericht, ok.wsa).replace(
      '</soap:Header>',
      '<o:Security xmlns:o="urn:wsse"/></soap:Header>',
    );
    const r2 = await post(`${g.url}/dai/corv`, withSecurity, adapterClient);
    expect([r2.status, textAt(soapAnswer(r2.text).fo03, 'body/code')]).toEqual([500, 'WSA001']);
  });

  it('refuses a client certificate of an OIN not given to the party (403) with a fault and Fo03 IB002, storing nothing', async () => {
    const before = (await g.gateway.store.listMessages({})).items.length;
    const ok = bv01Request();
    const r = await post(`${g.url}/dai/corv`, daiRequest(ok.bericht, ok.wsa), stranger);
    expect(r.status).toBe(403);
    const a = soapAnswer(r.text);
    expect(textAt(a.fo03, 'body/code')).toBe('IB002');
    expect(textAt(a.fo03, 'body/details')).toBe('OIN_UNKNOWN');
    expect(r.text).not.toContain('corv');
    expect(officialVerdict(STUF_XSD, a.bericht)).toBe(true);
    expect((await g.gateway.store.listMessages({})).items.length).toBe(before);
  });
});

describe.skipIf(!hasReference)(
  "DAI outbound: the adapter's Fo03, StUF016 on a resend, and a 503 retried with the same MessageID",
  () => {
    const send = async (referentienummer: string) => {
      const r = await call('/berichten', build('vtoDi01', { referentienummer }), wijkteam);
      expect(r.status, r.text).toBe(202);
      return JSON.parse(r.text).id as string;
    };
    const takenFor = (ref: string) =>
      adapter.taken.filter((t) => textAt(t.berichtRoot, 'stuurgegevens/referentienummer') === ref);

    it('Fo03 from the adapter → failed with its code; not sent again', async () => {
      const ref = randomUUID();
      adapter.answer = (t) =>
        textAt(t.berichtRoot, 'stuurgegevens/referentienummer') === ref
          ? { kind: 'Fo03', code: 'StUF058', omschrijving: 'Geen CPA voor deze ontvanger' }
          : { kind: 'Bv04' };
      const id = await send(ref);
      const s = await eventually(async () => {
        const v = await getJson(`/berichten/${id}`);
        expect(v.status).toBe('failed');
        return v;
      }, bounded);
      expect(JSON.stringify(s.attempts)).toContain('StUF058');
      expect(takenFor(ref)).toHaveLength(1);
      expect(officialVerdict(STUF_XSD, adapter.answers.at(-1)!)).toBe(true);
    });

    it('503 → retried with the same MessageID; Fo03 StUF016 on the resend → delivered (the first copy arrived)', async () => {
      const ref = randomUUID();
      let seen = 0;
      adapter.answer = (t) => {
        if (textAt(t.berichtRoot, 'stuurgegevens/referentienummer') !== ref) return { kind: 'Bv04' };
        seen++;
        return seen === 1
          ? { kind: 'status', status: 503 }
          : { kind: 'Fo03', code: 'StUF016', omschrijving: 'Combinatie zender en referentienummer niet uniek' };
      };
      const id = await send(ref);
      await delivered(id);
      const taken = takenFor(ref);
      expect(taken).toHaveLength(2);
      expect(taken[1]!.wsa.messageId).toBe(taken[0]!.wsa.messageId);
      expect(taken[1]!.wsa.messageId).toBe(
        `urn:dkintern:${ref}@${GEMEENTE.organisatie}.${GEMEENTE.applicatie}..dkintern.nl`,
      );
      adapter.answer = () => ({ kind: 'Bv04' });
    });
  },
);
