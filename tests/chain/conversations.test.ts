/**
 * Conversations in the chain, over real HTTP: a gateway (SQLite, embedded transport) between the internal systems
 * of gemeenten 0384 and 0363, a simulated GGK and CORV (tests/helpers/chain-sim.ts: a real local server that
 * checks EVERY message it receives against the official StUF-GGK / StUF-JZ / iStandaarden schemas) and webhook
 * receivers for the internal systems. One test per flow, and one per row of the table "Answers per channel"
 * (standards.md §5). The last test asserts that every envelope the simulated parties received was valid.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build as buildModelled, GEMEENTE as GEMEENTE_0363 } from '../../src/examples/ieb-ipgb.ts';
import { build as buildJz, PARTIES } from '../../src/examples/stuf-jz.ts';
import { hashApiKey } from '../../src/security/api-keys.ts';
import { hashPassword } from '../../src/security/passwords.ts';
import type { MessageStore } from '../../src/store/types.ts';
import { buildSoapEnvelope, readSoap, readSoapFault } from '../../src/stuf/soap.ts';
import { parseToTree } from '../../src/xml/parse.ts';
import { textAt, type XNode } from '../../src/xml/tree.ts';
import { type ChainSim, ggkSoap, type SimReceived, startChainSim } from '../helpers/chain-sim.ts';
import {
  eventually,
  KEYS,
  replaceOnce,
  startTestGateway,
  type TestGateway,
  withIdentificatie,
} from '../helpers/gateway.ts';
import { type ReceivedRequest, type Receiver, startReceiver } from '../helpers/http-receiver.ts';
import { hasReference, referenceDir, skipReason } from '../helpers/reference.ts';

if (!hasReference) {
  if (process.env.CI === 'true') throw new Error(`chain tests need the reference data: ${skipReason}`);
  console.warn(`SKIPPED chain/conversations: ${skipReason}`);
}

const KEY = {
  ggk: 'test-key-chain-ggk',
  corv: 'test-key-chain-corv',
  jeugdteam: 'test-key-chain-jeugdteam',
  aanbiederB: 'test-key-chain-aanbieder-b',
} as const;
/** An aanbieder that is not the addressee of the WMO301 (forgery test). */
const AGB_B = '23232323';
const GEMEENTE_OIN = PARTIES.gemeente.organisatie;
const bounded = { timeoutMs: 20_000 };
const BROKEN_BSN = '123456789';
const BEHEER = { name: 'fb', password: 'fb-wachtwoord-chain' };

const example = (dir: 'wmo' | 'jw', name: string) =>
  fs.readFileSync(path.join(referenceDir, 'istandaarden-3.2', dir, `${name}.xml`), 'utf8');
/** The official JW315 has an impossible date (2027-06-31, the pack's known quirk); this one is schema-valid. */
const validJw315 = () => example('jw', 'JW315').replaceAll('2027-06-31', '2027-06-30');

let sim: ChainSim;
let internal: Receiver;
let g: TestGateway;
/** When set, the store refuses every insert (the "store down" column). */
let storeDown = false;

/** What the internal systems received, by destination path. */
const inbox = (p: string) => internal.requests.filter((r) => r.path === p);
const bodyOf = (r: ReceivedRequest) => r.body.toString('utf8');

function failingStore(store: MessageStore): MessageStore {
  return new Proxy(store, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (prop === 'insertMessage') {
        return (...args: Parameters<MessageStore['insertMessage']>) => {
          if (storeDown) return Promise.reject(new Error('store unavailable (test)'));
          return target.insertMessage(...args);
        };
      }
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** The one message in a SOAP answer's Body, and the Fo03 when it is a fault. */
function soapAnswer(text: string): { first: XNode; fault: ReturnType<typeof readSoapFault>; fo03: XNode | undefined } {
  const soap = readSoap(parseToTree(text))!;
  const first = soap.body![0]!;
  const fault = readSoapFault(first, soap.version);
  return { first, fault, fo03: fault?.detail.find((d) => d.name === 'Fo03Bericht') };
}

const postGgk = (soap: Buffer | string) => g.post('/inbound/ggk', soap, KEY.ggk, 'text/xml; charset=utf-8');
const postCorv = (soap: Buffer | string) => g.post('/inbound/corv', soap, KEY.corv, 'text/xml; charset=utf-8');
const idFrom = (location: string | null) => location!.replace('/berichten/', '');

/** The first message the simulated party received that matches. */
function receivedBy(channel: 'ggk' | 'corv', match: (r: SimReceived) => boolean): Promise<SimReceived> {
  return eventually(() => {
    const found = sim.received.find((r) => r.channel === channel && match(r));
    expect(found, `the simulated ${channel} received no such message`).toBeDefined();
    return found!;
  }, bounded);
}

const describeChain = describe.skipIf(!hasReference);

describeChain('conversations in the chain', () => {
  beforeAll(async () => {
    sim = await startChainSim();
    internal = await startReceiver(() => ({ status: 200 }));
    g = await startTestGateway({
      destinations: {
        zorg: `${internal.url}/zorg`,
        jeugd: `${internal.url}/jeugd`,
        gemeenteRetour: `${internal.url}/gemeente-retour`,
        gemeenteInbox: `${internal.url}/gemeente-inbox`,
      },
      wrapStore: failingStore,
      extraParties: [
        '{ id: ggk, kind: ggk }',
        `{ id: corv, kind: corv, codes: { organisatie: ["${PARTIES.rvdk.organisatie}"] } }`,
        `{ id: aanbieder-b, kind: aanbieder, codes: { agb: ["${AGB_B}"] } }`,
      ],
      extraInbound: [
        // Not WMO317: a message the GGK may not hand in here (the "unauthorised" column).
        `{ party: ggk, apiKeys: ["${hashApiKey(KEY.ggk)}"], messages: [WMO302, WMO315, JW315, WMO323, WMO406, WMO502, WMO507, Fo01, Bv01] }`,
        `{ party: corv, apiKeys: ["${hashApiKey(KEY.corv)}"], messages: [Bv01, Fo01, notificatieDi01, zorgmeldingDi01] }`,
        `{ party: aanbieder-b, apiKeys: ["${hashApiKey(KEY.aanbiederB)}"], messages: [WMO302] }`,
      ],
      extraYaml: `beheer:\n  users:\n    - { name: ${BEHEER.name}, role: viewer, passwordHash: "${await hashPassword(BEHEER.password)}" }\n`,
      extraCallers: [
        `{ id: jeugdteam, apiKeys: ["${hashApiKey(KEY.jeugdteam)}"], afzenders: ["${GEMEENTE_OIN}"], messages: ["*"] }`,
      ],
      extraDestinations: [
        `{ id: ggk, adapter: ggk, url: "${sim.ggkUrl}", timeoutMs: 5000, applicatie: "Schakel" }`,
        `{ id: corv, adapter: corv, url: "${sim.corvUrl}", timeoutMs: 5000, oin: "${GEMEENTE_OIN}" }`,
      ],
      routes: [
        // A 325 goes to the aanbieder (its Ontvanger) through the GGK.
        '{ standard: iwmo, message: WMO325, destination: ggk }',
        '{ standard: iwmo, direction: retour, afzender: "0384", destination: gemeente-retour }',
        '{ standard: ijw, direction: retour, afzender: "0384", destination: gemeente-retour }',
        '{ standard: iwmo, direction: retour, afzender: "42420001", destination: ggk }',
        '{ standard: ijw, direction: retour, afzender: "42420001", destination: ggk }',
        '{ standard: iwmo, direction: heen, ontvanger: "42420001", destination: ggk }',
        '{ standard: iwmo, direction: heen, ontvanger: "0384", destination: gemeente-inbox }',
        '{ standard: ijw, direction: heen, ontvanger: "0384", destination: gemeente-inbox }',
        '{ standard: ieb, message: WMO405, destination: ggk }',
        '{ standard: ieb, message: WMO406, destination: gemeente-retour }',
        '{ standard: ipgb, message: WMO501, destination: ggk }',
        '{ standard: ipgb, message: WMO502, destination: gemeente-retour }',
        '{ standard: ipgb, message: WMO507, destination: gemeente-inbox }',
        '{ standard: ipgb, message: WMO508, destination: ggk }',
        // In: what CORV brings the gemeente; out: everything the gemeente sends through CORV.
        '{ standard: stuf-jz, message: notificatieDi01, destination: gemeente-inbox }',
        '{ standard: stuf-jz, message: notificatiejrDi01, destination: gemeente-inbox }',
        '{ standard: stuf-jz, message: zorgmeldingDi01, destination: gemeente-inbox }',
        '{ standard: stuf-jz, message: meldingGeneriekDi01, destination: gemeente-inbox }',
        '{ standard: stuf-jz, message: vtMeldingDi01, destination: gemeente-inbox }',
        '{ standard: stuf-jz, destination: corv }',
        '{ standard: stuf, destination: gemeente-retour }',
      ],
    });
  });

  afterAll(async () => {
    await g?.stop();
    await sim?.close();
    await internal?.close();
  });

  describe('flows', () => {
    it('WMO301 → GGK (Di01) → WMO302 back as Du01 from the addressee: linked as its answer and delivered to the gemeente', async () => {
      const wmo301 = withIdentificatie(example('wmo', 'WMO301'), 'CHAIN0301001');
      const r = await g.post('/berichten', wmo301, KEYS.wijkteam);
      expect(r.status).toBe(202);
      const di01 = await receivedBy('ggk', (m) => m.functie === 'WMO301' && m.payload?.toString('utf8') === wmo301);
      expect(di01.root).toBe('envelopHeenbericht-ggk_Di01');

      const wmo302 = withIdentificatie(example('wmo', 'WMO302'), 'CHAIN0301001');
      const du01 = ggkSoap(wmo302, {
        zender: '42420001',
        ontvanger: '0384',
        functie: 'WMO302',
        crossRefnummer: di01.referentienummer!,
        crossRefnummerBericht: 'CHAIN0301001',
      });
      const a = await postGgk(du01.soap);
      expect(a.status).toBe(200);
      expect(soapAnswer(a.text).first.name).toBe('Bv03Bericht');
      const wmo302Id = idFrom(a.headers.get('location'));
      await eventually(
        async () => expect((await g.get(`/berichten/${r.body.id}`)).body.answer?.id).toBe(wmo302Id),
        bounded,
      );
      await eventually(() => expect(inbox('/gemeente-retour').some((d) => bodyOf(d) === wmo302)).toBe(true), bounded);
    });

    it('JW315 from the GGK that fails a rule (broken BSN): Bv03, then the JW316 (RetourCode 0001) in a ggk_Du01 with crossRefnummer = the Di01', async () => {
      const jw315 = replaceOnce(withIdentificatie(validJw315(), 'CHAINJW31501'), /999900006/, BROKEN_BSN);
      const di01 = ggkSoap(jw315, { zender: '42420001', ontvanger: '0384', functie: 'JW315' });
      const a = await postGgk(di01.soap);
      expect(a.status).toBe(200);
      expect(soapAnswer(a.text).first.name).toBe('Bv03Bericht');
      const rejectedId = idFrom(a.headers.get('location'));

      const du01 = await receivedBy('ggk', (m) => m.functie === 'JW316' && m.crossRefnummer === di01.referentienummer);
      expect(du01.root).toBe('envelopRetourbericht-ggk_Du01');
      expect(du01.payloadSchema).toBe('official istandaarden-3.2/jw/JW316.xsd');
      expect(retourCodes(du01.payload!)).toContain('0001');
      expect(textAt(du01.payloadRoot, 'Header/BerichtIdentificatie/Identificatie')).toBe('CHAINJW31501');
      // The envelope goes back the way the Di01 came: from the gemeente to the aanbieder.
      expect([
        textAt(du01.message, 'stuurgegevens/zender/organisatie'),
        textAt(du01.message, 'stuurgegevens/ontvanger/organisatie'),
      ]).toEqual(['0384', '42420001']);

      // Kept as rejected, with its findings and the answer sent; nothing reached the gemeente's inbox.
      const detail = await eventually(async () => {
        const d = await beheerDetail(rejectedId);
        expect(d.answerSent?.status).toBe('delivered');
        return d;
      }, bounded);
      expect(detail).toMatchObject({
        status: 'rejected',
        message: 'JW315',
        answerSent: { message: 'JW316', summary: expect.stringContaining('0001'), destination: 'ggk' },
      });
      // Beheer's search lists it among the rejected ones, with no personal data in the list.
      const list = await beheer('/api/beheer/berichten?status=rejected&message=JW315&limit=500');
      expect(list.items.map((m: { id: string }) => m.id)).toContain(rejectedId);
      expect(JSON.stringify(list)).not.toMatch(new RegExp(`${BROKEN_BSN}|999900006`));
      expect(detail.findings).toEqual(
        expect.arrayContaining([expect.objectContaining({ code: 'CS002', retourcode: '0001' })]),
      );
      expect(inbox('/gemeente-inbox').some((d) => bodyOf(d).includes('CHAINJW31501'))).toBe(false);
    });

    it('XSD-invalid payload from the GGK: Bv03, then an asynchronous Fo01 StUF055 to the GGK, no retourbericht', async () => {
      const jw315 = withIdentificatie(example('jw', 'JW315'), 'CHAINXSD0001'); // 2027-06-31: not a date
      const di01 = ggkSoap(jw315, { zender: '42420001', ontvanger: '0384', functie: 'JW315' });
      const a = await postGgk(di01.soap);
      expect(a.status).toBe(200);
      expect(soapAnswer(a.text).first.name).toBe('Bv03Bericht');
      const fo01 = await receivedBy(
        'ggk',
        (m) => m.root === 'Fo01Bericht' && m.crossRefnummer === di01.referentienummer,
      );
      expect(fo01.soapAction).toBe('"http://www.egem.nl/StUF/StUF0301/Fo01"');
      expect(textAt(fo01.message, 'body/code')).toBe('StUF055');
      expect(textAt(fo01.message, 'body/plek')).toBe('client');
      expect(sim.received.some((m) => m.functie === 'JW316' && m.crossRefnummer === di01.referentienummer)).toBe(false);
      const kept = await g.gateway.store.getMessage(idFrom(a.headers.get('location')));
      expect(kept).toMatchObject({ status: 'rejected', messageName: 'JW315', answerSummary: 'StUF055' });
    });

    it('TR056 from the GGK (same Identificatie, other content): Bv03, then the WMO316 with RetourCode 9056 in a ggk_Du01', async () => {
      const wmo315 = withIdentificatie(example('wmo', 'WMO315'), 'CHAINTR05601');
      const first = await postGgk(ggkSoap(wmo315, { zender: '42420001', ontvanger: '0384', functie: 'WMO315' }).soap);
      expect(first.status).toBe(200);
      await eventually(() => expect(inbox('/gemeente-inbox').some((d) => bodyOf(d) === wmo315)).toBe(true), bounded);

      const other = replaceOnce(wmo315, /Commentaar client/, 'Ander commentaar');
      const di01 = ggkSoap(other, { zender: '42420001', ontvanger: '0384', functie: 'WMO315' });
      const a = await postGgk(di01.soap);
      expect(a.status).toBe(200);
      expect(soapAnswer(a.text).first.name).toBe('Bv03Bericht');
      const du01 = await receivedBy('ggk', (m) => m.functie === 'WMO316' && m.crossRefnummer === di01.referentienummer);
      expect(retourCodes(du01.payload!)).toEqual(['9056']);
      expect(inbox('/gemeente-inbox').filter((d) => bodyOf(d).includes('CHAINTR05601'))).toHaveLength(1);
    });

    it('WMO323 from the GGK → gemeente; its WMO325 goes back to the aanbieder as a ggk_Du01 answering that Di01', async () => {
      const wmo323 = withIdentificatie(example('wmo', 'WMO323'), 'CHAIN0323001');
      const di01 = ggkSoap(wmo323, { zender: '65656055', ontvanger: '0384', functie: 'WMO323' });
      const a = await postGgk(di01.soap);
      expect(a.status).toBe(200);
      const heenId = idFrom(a.headers.get('location'));
      await eventually(() => expect(inbox('/gemeente-inbox').some((d) => bodyOf(d) === wmo323)).toBe(true), bounded);

      const wmo325 = replaceOnce(
        example('wmo', 'WMO325'),
        /(<(?:[\w-]+:)?DeclaratieIdentificatie>\s*<(?:[\w-]+:)?Identificatie>)[^<]*(<)/,
        '$1CHAIN0323001$2',
      );
      const r = await g.post('/berichten', wmo325, KEYS.wijkteam);
      expect(r.status).toBe(202);
      const du01 = await receivedBy('ggk', (m) => m.functie === 'WMO325');
      expect(du01.root).toBe('envelopRetourbericht-ggk_Du01');
      expect(du01.crossRefnummer).toBe(di01.referentienummer);
      expect((await g.get(`/berichten/${r.body.id}`)).body.correlatedTo).toBe(heenId);
    });

    it("iPgb TKB: WMO501 to the SVB through the GGK; the SVB's WMO502 comes back as a Du01 and is its answer", async () => {
      const tkb = buildModelled('WMO501', { identificatie: 'CHAINTKB0001' });
      const r = await g.post('/berichten', tkb, KEYS.andereGemeente);
      expect(r.status).toBe(202);
      const di01 = await receivedBy('ggk', (m) => m.functie === 'WMO501');
      expect(textAt(di01.message, 'stuurgegevens/ontvanger/organisatie')).toBe('SVB');
      const wmo502 = buildModelled('WMO502', { identificatie: 'CHAINTKB0001' });
      const a = await postGgk(
        ggkSoap(wmo502, {
          zender: 'SVB',
          ontvanger: GEMEENTE_0363,
          functie: 'WMO502',
          crossRefnummer: di01.referentienummer!,
          crossRefnummerBericht: 'CHAINTKB0001',
        }).soap,
      );
      expect(a.status).toBe(200);
      const retourId = idFrom(a.headers.get('location'));
      await eventually(
        async () =>
          expect((await g.get(`/berichten/${r.body.id}`, KEYS.andereGemeente)).body.answer?.id).toBe(retourId),
        bounded,
      );
    });

    it("iPgb BAB: the SVB's WMO507 through the GGK → gemeente; the gemeente's WMO508 goes back as a Du01 answering that Di01", async () => {
      const bab = buildModelled('WMO507', { identificatie: 'CHAINBAB0001' });
      const di01 = ggkSoap(bab, { zender: 'SVB', ontvanger: GEMEENTE_0363, functie: 'WMO507' });
      const a = await postGgk(di01.soap);
      expect(a.status).toBe(200);
      const heenId = idFrom(a.headers.get('location'));
      const wmo508 = buildModelled('WMO508', { identificatie: 'CHAINBAB0001' });
      const r = await g.post('/berichten', wmo508, KEYS.andereGemeente);
      expect(r.status).toBe(202);
      expect((await g.get(`/berichten/${r.body.id}`, KEYS.andereGemeente)).body.correlatedTo).toBe(heenId);
      const du01 = await receivedBy('ggk', (m) => m.functie === 'WMO508');
      expect(du01.crossRefnummer).toBe(di01.referentienummer);
    });

    it("iEb: WMO405 to the CAK through the GGK; the CAK's WMO406 comes back as a Du01 and is its answer", async () => {
      const ieb = buildModelled('WMO405', { identificatie: 'CHAINIEB0001' });
      const r = await g.post('/berichten', ieb, KEYS.andereGemeente);
      expect(r.status).toBe(202);
      const di01 = await receivedBy('ggk', (m) => m.functie === 'WMO405');
      expect(textAt(di01.message, 'stuurgegevens/ontvanger/organisatie')).toBe('CAK');
      const wmo406 = buildModelled('WMO406', { identificatie: 'CHAINIEB0001' });
      const a = await postGgk(
        ggkSoap(wmo406, {
          zender: 'CAK',
          ontvanger: GEMEENTE_0363,
          functie: 'WMO406',
          crossRefnummer: di01.referentienummer!,
          crossRefnummerBericht: 'CHAINIEB0001',
        }).soap,
      );
      expect(a.status).toBe(200);
      const retourId = idFrom(a.headers.get('location'));
      await eventually(
        async () =>
          expect((await g.get(`/berichten/${r.body.id}`, KEYS.andereGemeente)).body.answer?.id).toBe(retourId),
        bounded,
      );
    });

    it('VTO → CORV (Bv03) → Bv01 from CORV (its answer) → a notificatie about its zaak (in its conversation)', async () => {
      const vtoRef = '7b1c2d3e-4f50-4a61-8b72-93a4b5c6d7e8';
      const vto = buildJz('vtoDi01', { referentienummer: vtoRef });
      const r = await g.post('/berichten', vto, KEY.jeugdteam);
      expect(r.status).toBe(202);
      const sent = await receivedBy('corv', (m) => m.root === 'vtoDi01' && m.referentienummer === vtoRef);
      expect(sent.soapAction).toBe('"http://www.stufstandaarden.nl/koppelvlak/jz0100/vtoDi01"');
      await eventually(
        async () => expect((await g.get(`/berichten/${r.body.id}`, KEY.jeugdteam)).body.status).toBe('delivered'),
        bounded,
      );

      const b = await postCorv(buildSoapEnvelope(buildJz('Bv01', { crossRefnummer: vtoRef })));
      expect(b.status).toBe(200);
      const bv01Id = idFrom(b.headers.get('location'));
      const notificatie = buildJz('notificatieDi01');
      const n = await postCorv(buildSoapEnvelope(notificatie));
      expect(n.status).toBe(200);
      const notificatieId = idFrom(n.headers.get('location'));
      const heen = await g.get(`/berichten/${r.body.id}`, KEY.jeugdteam);
      expect(heen.body.answer?.id).toBe(bv01Id);
      expect(heen.body.conversation.map((c: { id: string }) => c.id)).toEqual(
        expect.arrayContaining([bv01Id, notificatieId]),
      );
    });

    it("zorgmelding from CORV → the gemeente; the gemeente's terugkoppeling → CORV", async () => {
      const melding = buildJz('zorgmeldingDi01', { zender: PARTIES.politie, ontvanger: PARTIES.gemeente });
      const m = await postCorv(buildSoapEnvelope(melding));
      expect(m.status).toBe(200);
      expect(soapAnswer(m.text).first.name).toBe('Bv03Bericht');
      const meldingRef = textAt(parseToTree(melding), 'stuurgegevens/referentienummer');
      await eventually(
        () => expect(inbox('/gemeente-inbox').some((d) => bodyOf(d).includes(meldingRef!))).toBe(true),
        bounded,
      );

      const terugkoppeling = buildJz('zorgmeldingTerugkoppelingDi01');
      const t = await g.post('/berichten', terugkoppeling, KEY.jeugdteam);
      expect(t.status).toBe(202);
      const tRef = textAt(parseToTree(terugkoppeling), 'stuurgegevens/referentienummer');
      await receivedBy('corv', (x) => x.root === 'zorgmeldingTerugkoppelingDi01' && x.referentienummer === tRef);
    });
  });

  describe('forgeries are refused', () => {
    it("a WMO302 from an aanbieder that was not the WMO301's addressee gets a 4xx and never becomes its answer", async () => {
      const wmo301 = withIdentificatie(example('wmo', 'WMO301'), 'CHAINFORGE01');
      const r = await g.post('/berichten', wmo301, KEYS.wijkteam);
      expect(r.status).toBe(202);
      const forged = replaceOnce(
        withIdentificatie(example('wmo', 'WMO302'), 'CHAINFORGE01'),
        /<wmo302:Ontvanger>42420001</,
        `<wmo302:Ontvanger>${AGB_B}<`,
      );
      const f = await g.post('/inbound/aanbieder-b', forged, KEY.aanbiederB);
      expect(f.status).toBeGreaterThanOrEqual(400);
      expect(f.status).toBeLessThan(500);
      expect((await g.get(`/berichten/${r.body.id}`)).body.answer).toBeNull();
      expect(inbox('/gemeente-retour').some((d) => bodyOf(d).includes('CHAINFORGE01'))).toBe(false);
    });

    it('a WMO315 with a foreign Afzender and a broken BSN: 403, no retour built, nothing sent to the foreign party', async () => {
      const before = (await g.gateway.store.listMessages({ messageName: 'WMO316', limit: 500 })).total;
      const forged = replaceOnce(
        replaceOnce(
          withIdentificatie(example('wmo', 'WMO315'), 'CHAINFORGE02'),
          /<wmo315:Afzender>42420001</,
          '<wmo315:Afzender>65656055<',
        ),
        /999900006/,
        BROKEN_BSN,
      );
      const r = await g.post('/inbound/zorg', forged, KEYS.zorg);
      expect(r.status).toBe(403);
      expect(r.body.error.code).toBe('AFZENDER_NOT_ALLOWED');
      expect(r.body.retour).toBeUndefined();
      expect((await g.gateway.store.listMessages({ messageName: 'WMO316', limit: 500 })).total).toBe(before);
      const kept = await g.gateway.store.listMessages({ berichtIdentificatie: 'CHAINFORGE02' });
      expect(kept.items.map((m) => [m.status, m.answeredBy, m.destination])).toEqual([['rejected', null, null]]);
      expect(inbox('/jeugd')).toHaveLength(0);
    });
  });

  describe('answers per channel (standards.md §5): one test per cell', () => {
    describe('internal system, POST /berichten', () => {
      it('cannot take: 403 for an Afzender the caller may not use; 5xx while the store is down, nothing stored', async () => {
        const r = await g.post(
          '/berichten',
          withIdentificatie(example('wmo', 'WMO301'), 'CHAININT0001'),
          KEYS.andereGemeente,
        );
        expect([r.status, r.body.error.code]).toEqual([403, 'AFZENDER_NOT_ALLOWED']);
        storeDown = true;
        try {
          const d = await g.post(
            '/berichten',
            withIdentificatie(example('wmo', 'WMO301'), 'CHAININT0002'),
            KEYS.wijkteam,
          );
          expect(d.status).toBeGreaterThanOrEqual(500);
        } finally {
          storeDown = false;
        }
        expect((await g.gateway.store.listMessages({ berichtIdentificatie: 'CHAININT0002' })).total).toBe(0);
      });

      it('level 1: 422 with findings and no retour', async () => {
        const r = await g.post(
          '/berichten',
          replaceOnce(
            withIdentificatie(example('wmo', 'WMO301'), 'CHAININT0003'),
            /<wmo301:Ontvanger>42420001</,
            '<wmo301:Ontvanger>4242<',
          ),
          KEYS.wijkteam,
        );
        expect([r.status, r.body.error.code]).toEqual([422, 'XSD_INVALID']);
        expect(r.body.findings.length).toBeGreaterThan(0);
        expect(r.body.retour).toBeUndefined();
      });

      it('level 2–4: 422 with findings and the retour (0001); TR056: 409 with the retour (9056)', async () => {
        const r = await g.post(
          '/berichten',
          replaceOnce(withIdentificatie(example('wmo', 'WMO301'), 'CHAININT0004'), /999900006/, BROKEN_BSN),
          KEYS.wijkteam,
        );
        expect([r.status, r.body.error.code]).toEqual([422, 'RULES_FAILED']);
        expect(r.body.retour).toMatch(/<wmo302:RetourCode>0001</);
        const xml = withIdentificatie(example('wmo', 'WMO301'), 'CHAININT0005');
        expect((await g.post('/berichten', xml, KEYS.wijkteam)).status).toBe(202);
        const c = await g.post('/berichten', replaceOnce(xml, /Client commentaar/, 'Ander commentaar'), KEYS.wijkteam);
        expect([c.status, c.body.error.code, c.body.error.retourcode]).toEqual([409, 'TR056', '9056']);
        expect(c.body.retour).toMatch(/<wmo302:RetourCode>9056</);
      });

      it('accepted: 202', async () => {
        const r = await g.post(
          '/berichten',
          withIdentificatie(example('wmo', 'WMO301'), 'CHAININT0006'),
          KEYS.wijkteam,
        );
        expect(r.status).toBe(202);
      });
    });

    describe('from the GGK (ggk_Di01)', () => {
      it('cannot take: an envelope that is not valid, a message the GGK may not hand in, the store down → Fo03', async () => {
        const wmo315 = withIdentificatie(example('wmo', 'WMO315'), 'CHAINGGK0001');
        const broken = ggkSoap(wmo315, { zender: '42420001', ontvanger: '0384', functie: 'WMO315' })
          .soap.toString('utf8')
          .replace(/<StUF:functie>WMO315<\/StUF:functie>/, '');
        const e = await postGgk(broken);
        expect(e.status).toBe(500);
        expect(soapAnswer(e.text).fo03).toBeDefined();

        const wmo317 = withIdentificatie(example('wmo', 'WMO317'), 'CHAINGGK0002');
        const u = await postGgk(ggkSoap(wmo317, { zender: '42420001', ontvanger: '0384', functie: 'WMO317' }).soap);
        expect(u.status).toBe(500);
        expect(textAt(soapAnswer(u.text).fo03, 'body/code')).toBe('IB002');

        storeDown = true;
        try {
          const d = await postGgk(
            ggkSoap(withIdentificatie(example('wmo', 'WMO315'), 'CHAINGGK0003'), {
              zender: '42420001',
              ontvanger: '0384',
              functie: 'WMO315',
            }).soap,
          );
          expect(d.status).toBe(500);
          const a = soapAnswer(d.text);
          expect(a.fault?.side).toBe('server');
          expect(textAt(a.fo03, 'body/plek')).toBe('server');
        } finally {
          storeDown = false;
        }
      });

      it('a repeat of (zender, referentienummer) → Fo03 StUF016, also for a Di01 that was rejected', async () => {
        const di01 = ggkSoap(withIdentificatie(example('wmo', 'WMO315'), 'CHAINGGK0004'), {
          zender: '42420001',
          ontvanger: '0384',
          functie: 'WMO315',
        });
        expect((await postGgk(di01.soap)).status).toBe(200);
        const again = await postGgk(di01.soap);
        expect(again.status).toBe(500);
        expect(textAt(soapAnswer(again.text).fo03, 'body/code')).toBe('StUF016');

        const invalid = ggkSoap(withIdentificatie(example('jw', 'JW315'), 'CHAINGGK0005'), {
          zender: '42420001',
          ontvanger: '0384',
          functie: 'JW315',
        });
        expect((await postGgk(invalid.soap)).status).toBe(200);
        await receivedBy('ggk', (m) => m.root === 'Fo01Bericht' && m.crossRefnummer === invalid.referentienummer);
        const resend = await postGgk(invalid.soap);
        expect(resend.status).toBe(500);
        expect(textAt(soapAnswer(resend.text).fo03, 'body/code')).toBe('StUF016');
        // Answered once.
        expect(sim.received.filter((m) => m.crossRefnummer === invalid.referentienummer)).toHaveLength(1);
      });

      it('accepted: Bv03, then routed inward', async () => {
        const wmo315 = withIdentificatie(example('wmo', 'WMO315'), 'CHAINGGK0006');
        const a = await postGgk(ggkSoap(wmo315, { zender: '42420001', ontvanger: '0384', functie: 'WMO315' }).soap);
        expect([a.status, soapAnswer(a.text).first.name]).toEqual([200, 'Bv03Bericht']);
        await eventually(() => expect(inbox('/gemeente-inbox').some((d) => bodyOf(d) === wmo315)).toBe(true), bounded);
      });
      // Level 1 and level 2–4 from the GGK: the flows above (Fo01 StUF055; JW316 0001 and WMO316 9056 in a Du01).
    });

    describe('from CORV', () => {
      it('cannot take: a message CORV may not hand in, the store down → Fo03', async () => {
        const vto = buildJz('vtoDi01', { zender: PARTIES.rvdk, ontvanger: PARTIES.gemeente });
        const u = await postCorv(buildSoapEnvelope(vto));
        expect(u.status).toBe(500);
        expect(textAt(soapAnswer(u.text).fo03, 'body/code')).toBe('IB002');
        storeDown = true;
        try {
          const d = await postCorv(buildSoapEnvelope(buildJz('notificatieDi01')));
          expect(d.status).toBe(500);
          expect(textAt(soapAnswer(d.text).fo03, 'body/plek')).toBe('server');
        } finally {
          storeDown = false;
        }
      });

      it('level 1: Bv03, then an asynchronous Fo01 StUF055 to CORV; a resend of it → Fo03 StUF016', async () => {
        const invalid = buildJz('notificatieDi01', { tijdstipBericht: '2026-10-15T09:30:00' }); // not [0-9]{8,17}
        const ref = textAt(parseToTree(invalid), 'stuurgegevens/referentienummer');
        const a = await postCorv(buildSoapEnvelope(invalid));
        expect([a.status, soapAnswer(a.text).first.name]).toEqual([200, 'Bv03Bericht']);
        const fo01 = await receivedBy('corv', (m) => m.root === 'Fo01Bericht' && m.crossRefnummer === ref);
        expect(textAt(fo01.message, 'body/code')).toBe('StUF055');
        const again = await postCorv(buildSoapEnvelope(invalid));
        expect(again.status).toBe(500);
        expect(textAt(soapAnswer(again.text).fo03, 'body/code')).toBe('StUF016');
      });

      it('accepted: Bv03; a repeat of (zender, referentienummer) → Fo03 StUF016', async () => {
        const notificatie = buildSoapEnvelope(buildJz('notificatieDi01'));
        const a = await postCorv(notificatie);
        expect([a.status, soapAnswer(a.text).first.name]).toEqual([200, 'Bv03Bericht']);
        const again = await postCorv(notificatie);
        expect(again.status).toBe(500);
        expect(textAt(soapAnswer(again.text).fo03, 'body/code')).toBe('StUF016');
      });
    });
  });

  it('rejected berichten are counted by standard, message and code, without personal data in the labels', async () => {
    const text = (await g.gateway.metrics.render()).text;
    const rejected = text.split('\n').filter((l) => l.startsWith('schakel_rejected_total{'));
    expect(rejected).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^schakel_rejected_total\{standard="ijw",message="JW315",code="CS002"\} [1-9]/),
        expect.stringMatching(/^schakel_rejected_total\{standard="ijw",message="JW315",code="XSD_INVALID"\} [1-9]/),
        expect.stringMatching(
          /^schakel_rejected_total\{standard="iwmo",message="WMO315",code="AFZENDER_NOT_ALLOWED"\} [1-9]/,
        ),
        expect.stringMatching(/^schakel_rejected_total\{standard="iwmo",message="WMO315",code="TR056"\} [1-9]/),
      ]),
    );
    expect(text).not.toMatch(/999900006|123456789/);
  });

  it('every message the simulated GGK and CORV received was valid against the official schemas', () => {
    expect(sim.received.length).toBeGreaterThan(10);
    expect(sim.invalid().map((r) => ({ root: r.root, functie: r.functie, errors: r.schemaErrors }))).toEqual([]);
  });
});

let beheerCookie: string | undefined;

/** GET on the beheer API as a logged-in functioneel beheerder (viewer), over HTTP; the JSON it answers. */
async function beheer(p: string): Promise<any> {
  if (!beheerCookie) {
    const form = await fetch(`${g.url}/beheer/login`);
    const loginCookie = form.headers
      .getSetCookie()
      .find((c) => c.startsWith('schakel_login='))!
      .split(';')[0]!;
    const token = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
    const res = await fetch(`${g.url}/beheer/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: loginCookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: token, name: BEHEER.name, password: BEHEER.password }),
    });
    expect(res.status).toBe(303);
    beheerCookie = res.headers
      .getSetCookie()
      .find((c) => c.startsWith('schakel_beheer='))!
      .split(';')[0]!;
  }
  const r = await fetch(g.url + p, { headers: { cookie: beheerCookie } });
  expect(r.status).toBe(200);
  return r.json();
}

/** The beheer detail of a message: GET /api/beheer/berichten/{id}. */
function beheerDetail(id: string) {
  return beheer(`/api/beheer/berichten/${id}`);
}

/** The RetourCode values of a retourbericht, in order. */
function retourCodes(retour: Buffer): string[] {
  return [...retour.toString('utf8').matchAll(/<(?:[\w-]+:)?RetourCode>([^<]+)</g)].map((m) => m[1]!);
}
