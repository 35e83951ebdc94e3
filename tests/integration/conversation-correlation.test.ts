/**
 * Conversations over real HTTP (standards.md §5, "Correlation" and "Who may answer"): a gateway with two
 * gemeenten (0363, 0384), two aanbieders (42420001, 65656055), the CAK, the SVB and the GGK, its destinations
 * nock'd. Only the addressee of a heenbericht may answer it; exactly one retour per heenbericht (IV028); every
 * flow correlates: iWmo 302 → 301, 316 → 315, 325 → 323, iEb 406 → 405 and 408 → 407, iPgb 502 → 501 and
 * 508 → 507 (also the whole GGK path: a 507 in a ggk_Di01, its 508 out as a ggk_Du01), StUF-JZ terugkoppeling
 * → zorgmelding.
 */
import fs from 'node:fs';
import path from 'node:path';
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build as buildModelled, type ModelledName, mutate } from '../../src/examples/ieb-ipgb.ts';
import { build as buildJz, PARTIES } from '../../src/examples/stuf-jz.ts';
import { hashApiKey } from '../../src/security/api-keys.ts';
import { type Unwrapped, unwrap, wrap } from '../../src/stuf/ggk-envelope.ts';
import { answeredFrom, buildBv03 } from '../../src/stuf/replies.ts';
import { buildSoapEnvelope, readSoap, readSoapFault } from '../../src/stuf/soap.ts';
import { readSoapRequest } from '../../src/stuf/soap-request.ts';
import { parseToTree } from '../../src/xml/parse.ts';
import { textAt } from '../../src/xml/tree.ts';
import { eventually, KEYS, startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { hasReference, referenceDir, skipReason } from '../helpers/reference.ts';

if (!hasReference) console.warn(`SKIPPED integration/conversation-correlation: ${skipReason}`);

const KEY = {
  aanbiederB: 'test-key-aanbieder-b-65656055',
  beide: 'test-key-beide-gemeenten',
  cak: 'test-key-cak',
  svb: 'test-key-svb',
  ggk: 'test-key-ggk',
  corv: 'test-key-corv',
  jeugdzorg: 'test-key-gemeente-jeugdzorg',
} as const;
const bounded = { timeoutMs: 15_000 };
const VERSIONS = {
  applicatieVersie: '0001',
  applicatieSubversie: '0000',
  functieVersie: '0002',
  functieSubversie: '0001',
};

const example = (name: string) =>
  fs.readFileSync(path.join(referenceDir, 'istandaarden-3.2/wmo', `${name}.xml`), 'utf8');
/** Replaces each `from` once; a replacement that finds nothing throws (the test would prove nothing). */
const edit = (xml: string, ...edits: [string | RegExp, string][]) => mutate(xml, ...edits);

interface Received {
  path: string;
  message: string;
  correlation: string;
  body: string;
}
const received: Received[] = [];
const toGgk: Unwrapped[] = [];

function webhook(origin: string): void {
  nock(origin)
    .persist()
    .post(/.*/)
    .reply(function (uri, body) {
      received.push({
        path: `${origin}${uri}`,
        message: String(this.req.headers['x-schakel-message']),
        correlation: String(this.req.headers['x-schakel-correlation']),
        body: String(body),
      });
      return [200, 'ontvangen'];
    });
}

describe.skipIf(!hasReference)('conversations: who may answer, and correlation for every flow', () => {
  let g: TestGateway;
  /** The stored metadata (read from the store: GET /berichten shows a caller only its own conversations). */
  const statusOf = async (id: string) => (await g.gateway.store.getMessage(id))!;

  beforeAll(async () => {
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
    for (const origin of [
      'http://zorg.example',
      'http://jeugd.example',
      'http://gemeente.example',
      'http://cak.example',
      'http://svb.example',
      'http://corv.example',
    ]) {
      webhook(origin);
    }
    nock('https://ggk.example')
      .persist()
      .post('/OntvangAsynchroon')
      .reply((_uri, body) => {
        const request = readSoapRequest(Buffer.from(body as string), { maxBytes: 30 * 1024 * 1024 })!;
        toGgk.push(unwrap(request.message));
        return [
          200,
          buildSoapEnvelope(buildBv03(answeredFrom(request.root))),
          { 'content-type': 'text/xml; charset=utf-8' },
        ];
      });
    g = await startTestGateway({
      extraParties: [
        '{ id: aanbieder-b, kind: aanbieder, codes: { agb: ["65656055"] } }',
        '{ id: cak, kind: cak, codes: { organisatie: [CAK] } }',
        '{ id: svb, kind: svb, codes: { organisatie: [SVB] } }',
        '{ id: ggk, kind: ggk }',
        '{ id: corv, kind: corv }',
      ],
      extraInbound: [
        `{ party: aanbieder-b, apiKeys: ["${hashApiKey(KEY.aanbiederB)}"], messages: [WMO302, WMO323] }`,
        `{ party: cak, apiKeys: ["${hashApiKey(KEY.cak)}"], messages: [WMO406, WMO408] }`,
        `{ party: svb, apiKeys: ["${hashApiKey(KEY.svb)}"], messages: [WMO502, JW502, WMO507, JW507] }`,
        `{ party: ggk, apiKeys: ["${hashApiKey(KEY.ggk)}"], messages: [WMO507, WMO302] }`,
        `{ party: corv, apiKeys: ["${hashApiKey(KEY.corv)}"], messages: [zorgmeldingDi01] }`,
      ],
      extraCallers: [
        `{ id: beide, apiKeys: ["${hashApiKey(KEY.beide)}"], afzenders: ["0363", "0384"], messages: ["*"] }`,
        `{ id: jeugdzorg, apiKeys: ["${hashApiKey(KEY.jeugdzorg)}"], afzenders: ["${PARTIES.gemeente.organisatie}"], messages: [zorgmeldingTerugkoppelingDi01] }`,
      ],
      extraDestinations: [
        '{ id: cak, adapter: webhook, url: "http://cak.example/berichten", timeoutMs: 5000 }',
        '{ id: svb, adapter: webhook, url: "http://svb.example/berichten", timeoutMs: 5000 }',
        '{ id: corv-uit, adapter: webhook, url: "http://corv.example/uit", timeoutMs: 5000 }',
        '{ id: ggk, adapter: ggk, url: "https://ggk.example/OntvangAsynchroon", timeoutMs: 5000, applicatie: "Schakel-test" }',
      ],
      routes: [
        // In: heenberichten for a gemeente and retours to its heenberichten.
        '{ direction: heen, ontvanger: "0384", destination: gemeente-inbox }',
        '{ direction: heen, ontvanger: "0363", destination: gemeente-inbox }',
        '{ direction: retour, afzender: "0384", destination: gemeente-retour }',
        '{ direction: retour, afzender: "0363", destination: gemeente-retour }',
        '{ standard: stuf-jz, message: zorgmeldingDi01, destination: gemeente-inbox }',
        // Out: to the aanbieders (heen on Ontvanger, retours on the copied Afzender, a 325 on its Ontvanger).
        '{ standard: iwmo, ontvanger: "42420001", destination: zorg }',
        '{ standard: iwmo, afzender: "42420001", destination: zorg }',
        '{ standard: iwmo, ontvanger: "65656055", destination: jeugd }',
        '{ standard: iwmo, afzender: "65656055", destination: jeugd }',
        '{ standard: ieb, destination: cak }',
        '{ standard: ipgb, message: WMO508, destination: ggk }',
        '{ standard: ipgb, destination: svb }',
        '{ standard: stuf-jz, message: zorgmeldingTerugkoppelingDi01, destination: corv-uit }',
      ],
    });
  });

  afterAll(async () => {
    await g?.stop();
    nock.cleanAll();
    nock.enableNetConnect();
  });

  describe('who may answer (iWmo)', () => {
    /** A WMO301 from gemeente 0363 to aanbieder A (42420001) and the retours on it. */
    const wmo301 = edit(
      example('WMO301'),
      ['<wmo301:Afzender>0384<', '<wmo301:Afzender>0363<'],
      ['>123456789012<', '>CONV-301-A<'],
    );
    const wmo302 = (ontvanger: string, identificatieRetour = 'RET-A-1') =>
      edit(
        example('WMO302'),
        ['<wmo302:Afzender>0384<', '<wmo302:Afzender>0363<'],
        ['<wmo302:Ontvanger>42420001<', `<wmo302:Ontvanger>${ontvanger}<`],
        ['>123456789012<', '>CONV-301-A<'],
        ['>123456TT<', `>${identificatieRetour}<`],
      );
    let heenId: string;
    let answerId: string;

    it('refuses the WMO302 of aanbieder B for a WMO301 addressed to aanbieder A: 403 NOT_THE_ADDRESSEE, stored as rejected, never the answer', async () => {
      const heen = await g.post('/berichten', wmo301, KEYS.andereGemeente);
      expect(heen.status).toBe(202);
      heenId = heen.body.id;

      const forged = await g.post('/inbound/aanbieder-b', wmo302('65656055', 'FORGED-1'), KEY.aanbiederB);
      expect(forged.status).toBe(403);
      expect(forged.body.error).toMatchObject({ code: 'NOT_THE_ADDRESSEE' });
      const refusedId = forged.body.refused.replace('/berichten/', '');
      // The refusal names neither the heen's id nor its addressee.
      expect(forged.text).not.toContain(heenId);
      expect(forged.text).not.toContain('42420001');

      const refused = (await g.gateway.store.getMessage(refusedId))!;
      expect(refused).toMatchObject({
        status: 'rejected',
        correlatedTo: null,
        destination: null,
        messageName: 'WMO302',
      });
      expect(refused.statusReason).toMatch(/^NOT_THE_ADDRESSEE: /);
      expect((await g.gateway.store.getMessage(heenId))!.answeredBy).toBeNull();

      // Pretending to be A does not help either: B may not send as A.
      const asA = await g.post('/inbound/aanbieder-b', wmo302('42420001', 'FORGED-2'), KEY.aanbiederB);
      expect(asA.status).toBe(403);
      expect(asA.body.error.code).toBe('AFZENDER_NOT_ALLOWED');
    });

    it("links the addressee's WMO302 as the WMO301's answer and delivers it to the gemeente with the WMO301's correlation", async () => {
      const r = await g.post('/inbound/zorg', wmo302('42420001'), KEYS.zorg);
      expect(r.status).toBe(202);
      answerId = r.body.id;
      expect(await statusOf(answerId)).toMatchObject({
        correlatedTo: heenId,
        status: expect.stringMatching(/queued|delivering|delivered/),
      });
      expect((await g.gateway.store.getMessage(heenId))!.answeredBy).toBe(answerId);
      const delivered = await eventually(() => {
        const d = received.filter((x) => x.message === 'WMO302' && x.correlation === heenId);
        expect(d).toHaveLength(1);
        return d[0]!;
      }, bounded);
      expect(delivered.path).toBe('http://gemeente.example/retour');
      expect(delivered.body).toContain('RET-A-1');
      // The forged ones never went anywhere.
      expect(received.some((x) => x.body.includes('FORGED-'))).toBe(false);
    });

    it('refuses a second WMO302 for the same WMO301 (409 RETOUR_ALREADY_RECEIVED); the first stays the answer; a resend of the first is a repeat', async () => {
      const second = await g.post('/inbound/zorg', wmo302('42420001', 'RET-A-2'), KEYS.zorg);
      expect(second.status).toBe(409);
      expect(second.body.error.code).toBe('RETOUR_ALREADY_RECEIVED');
      const refused = (await g.gateway.store.getMessage(second.body.refused.replace('/berichten/', '')))!;
      expect(refused).toMatchObject({ status: 'rejected', correlatedTo: null });
      expect((await g.gateway.store.getMessage(heenId))!.answeredBy).toBe(answerId);

      const again = await g.post('/inbound/zorg', wmo302('42420001'), KEYS.zorg);
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ id: answerId, repeat: true });
    });

    it('lets a caller that may only send as 0363 not answer a WMO315 addressed to 0384, and a caller of both not with a changed header', async () => {
      const wmo315 = edit(example('WMO315'), ['>123456789012<', '>CONV-315-A<']);
      const heen = await g.post('/inbound/zorg', wmo315, KEYS.zorg);
      expect(heen.status).toBe(202);
      const wmo316 = (ontvanger: string, id: string) =>
        edit(
          example('WMO316'),
          ['<wmo316:Ontvanger>0384<', `<wmo316:Ontvanger>${ontvanger}<`],
          ['>123456789012<', '>CONV-315-A<'],
          [/>bf385732-a6f[^<]*</, `>${id}<`],
        );

      const from0363 = await g.post('/berichten', wmo316('0363', 'R316-1'), KEYS.andereGemeente);
      expect(from0363.status).toBe(403);
      expect(from0363.body.error.code).toBe('NOT_THE_ADDRESSEE');
      const unchanged = await g.post('/berichten', wmo316('0384', 'R316-2'), KEYS.andereGemeente);
      expect(unchanged.status).toBe(403);
      expect(unchanged.body.error.code).toBe('AFZENDER_NOT_ALLOWED');
      const mismatch = await g.post('/berichten', wmo316('0363', 'R316-3'), KEY.beide);
      expect(mismatch.status).toBe(403);
      expect(mismatch.body.error.code).toBe('ANSWER_PARTIES_MISMATCH');
      expect((await g.gateway.store.getMessage(heen.body.id))!.answeredBy).toBeNull();

      const right = await g.post('/berichten', wmo316('0384', 'R316-4'), KEYS.wijkteam);
      expect(right.status).toBe(202);
      expect((await g.gateway.store.getMessage(heen.body.id))!.answeredBy).toBe(right.body.id);
      await eventually(
        () =>
          expect(
            received.filter((x) => x.message === 'WMO316' && x.correlation === heen.body.id).map((x) => x.path),
          ).toEqual(['http://zorg.example/berichten']),
        bounded,
      );
    });
  });

  describe('who may answer, over SOAP from the GGK', () => {
    const wmo301 = edit(
      example('WMO301'),
      ['<wmo301:Afzender>0384<', '<wmo301:Afzender>0363<'],
      ['>123456789012<', '>CONV-301-SP<'],
    );
    const du01 = (ontvanger: string, identificatieRetour: string) =>
      buildSoapEnvelope(
        wrap(
          Buffer.from(
            edit(
              example('WMO302'),
              ['<wmo302:Afzender>0384<', '<wmo302:Afzender>0363<'],
              ['<wmo302:Ontvanger>42420001<', `<wmo302:Ontvanger>${ontvanger}<`],
              ['>123456789012<', '>CONV-301-SP<'],
              ['>123456TT<', `>${identificatieRetour}<`],
            ),
          ),
          {
            zender: { organisatie: ontvanger, applicatie: 'Zorgsysteem' },
            ontvanger: { organisatie: '0363' },
            functie: 'WMO302',
            crossRefnummer: '0b1c7d4e-8f2a-4c3b-9d5e-6f7a8b9c0d1e',
            versions: VERSIONS,
          },
        ),
      );
    /** The Fo03 in a SOAP fault: its code and details. */
    const fo03Of = (text: string) => {
      const soap = readSoap(parseToTree(text))!;
      const fo03 = readSoapFault(soap.body![0]!, soap.version)!.detail.find((d) => d.name === 'Fo03Bericht')!;
      return { code: textAt(fo03, 'body/code'), details: textAt(fo03, 'body/details') };
    };

    it('answers a Du01 whose WMO302 does not carry the heen’s Ontvanger with a Fo03 IB002 (ANSWER_PARTIES_MISMATCH), a second one with Fo03 CC11', async () => {
      const heen = await g.post('/berichten', wmo301, KEYS.andereGemeente);
      expect(heen.status, heen.text).toBe(202);
      const forged = await g.post('/inbound/ggk', du01('65656055', 'SOAP-FORGED'), KEY.ggk, 'text/xml; charset=utf-8');
      expect(forged.status).toBe(500);
      expect(fo03Of(forged.text)).toEqual({ code: 'IB002', details: 'ANSWER_PARTIES_MISMATCH' });
      expect((await g.gateway.store.getMessage(heen.body.id))!.answeredBy).toBeNull();

      const right = await g.post('/inbound/ggk', du01('42420001', 'SOAP-1'), KEY.ggk, 'text/xml; charset=utf-8');
      expect(right.status, right.text).toBe(200);
      const rightId = right.headers.get('location')!.replace('/berichten/', '');
      expect((await g.gateway.store.getMessage(heen.body.id))!.answeredBy).toBe(rightId);

      const second = await g.post('/inbound/ggk', du01('42420001', 'SOAP-2'), KEY.ggk, 'text/xml; charset=utf-8');
      expect(second.status).toBe(500);
      expect(fo03Of(second.text)).toEqual({ code: 'CC11', details: 'RETOUR_ALREADY_RECEIVED' });
      expect((await g.gateway.store.getMessage(heen.body.id))!.answeredBy).toBe(rightId);
    });
  });

  describe('every flow correlates', () => {
    it('WMO325 → WMO323 (DeclaratieIdentificatie), delivered to the aanbieder; a second 325 is refused (IV028, VECOZO CC11)', async () => {
      const decl = await g.post('/inbound/jeugd', example('WMO323'), KEYS.jeugd);
      expect(decl.status).toBe(202);
      const antwoord = await g.post('/berichten', example('WMO325'), KEYS.wijkteam);
      expect(antwoord.status).toBe(202);
      expect(await statusOf(antwoord.body.id)).toMatchObject({ correlatedTo: decl.body.id });
      await eventually(
        () =>
          expect(received.filter((x) => x.message === 'WMO325').map((x) => [x.path, x.correlation])).toEqual([
            ['http://jeugd.example/berichten', decl.body.id],
          ]),
        bounded,
      );

      const tweede = await g.post('/berichten', edit(example('WMO325'), ['>654321987<', '>654321988<']), KEYS.wijkteam);
      expect(tweede.status).toBe(409);
      expect(tweede.body.error.code).toBe('RETOUR_ALREADY_RECEIVED');
    });

    const modelled: [
      heen: ModelledName,
      retour: ModelledName,
      heenKey: string,
      retourKey: string,
      heenPath: string,
      retourPath: string,
    ][] = [
      ['WMO405', 'WMO406', KEYS.wijkteam, KEY.cak, 'http://cak.example/berichten', 'http://gemeente.example/retour'],
      ['WMO407', 'WMO408', KEYS.wijkteam, KEY.cak, 'http://cak.example/berichten', 'http://gemeente.example/retour'],
      ['WMO501', 'WMO502', KEYS.wijkteam, KEY.svb, 'http://svb.example/berichten', 'http://gemeente.example/retour'],
      ['JW507', 'JW508', KEY.svb, KEYS.wijkteam, 'http://gemeente.example/inbox', 'http://svb.example/berichten'],
    ];
    for (const [heenName, retourName, heenKey, retourKey, heenPath, retourPath] of modelled) {
      it(`${retourName} → ${heenName}, each delivered the way it goes`, async () => {
        const opts = { gemeente: '0384', identificatie: `CONV-${heenName}` };
        const post = (xml: string, key: string) =>
          key === KEY.cak
            ? g.post('/inbound/cak', xml, key)
            : key === KEY.svb
              ? g.post('/inbound/svb', xml, key)
              : g.post('/berichten', xml, key);
        const heen = await post(buildModelled(heenName, opts), heenKey);
        expect(heen.status, heen.text).toBe(202);
        const retour = await post(buildModelled(retourName, opts), retourKey);
        expect(retour.status, retour.text).toBe(202);
        expect(await statusOf(retour.body.id)).toMatchObject({ correlatedTo: heen.body.id });
        expect((await g.gateway.store.getMessage(heen.body.id))!.answeredBy).toBe(retour.body.id);
        await eventually(() => {
          expect(
            received.filter((x) => x.message === heenName && x.body.includes(`CONV-${heenName}`)).map((x) => x.path),
          ).toEqual([heenPath]);
          expect(
            received.filter((x) => x.message === retourName && x.correlation === heen.body.id).map((x) => x.path),
          ).toEqual([retourPath]);
        }, bounded);
      });
    }

    it('WMO508 → WMO507 through the GGK: the 507 arrives in a ggk_Di01, the 508 goes out as a ggk_Du01 with crossRefnummer = that Di01', async () => {
      const opts = { gemeente: '0384', identificatie: 'CONV-BAB-GGK' };
      const di01 = wrap(Buffer.from(buildModelled('WMO507', opts)), {
        zender: { organisatie: 'SVB', applicatie: 'SVB-PGB' },
        ontvanger: { organisatie: '0384' },
        functie: 'WMO507',
        versions: VERSIONS,
      });
      const di01Ref = textAt(parseToTree(di01), 'stuurgegevens/referentienummer')!;
      const heen = await g.post('/inbound/ggk', buildSoapEnvelope(di01), KEY.ggk, 'text/xml; charset=utf-8');
      expect(heen.status, heen.text).toBe(200);
      const heenId = heen.headers.get('location')!.replace('/berichten/', '');
      expect((await g.gateway.store.getMessage(heenId))!).toMatchObject({
        messageName: 'WMO507',
        afzender: 'SVB',
        ontvanger: '0384',
      });

      const retour = await g.post('/berichten', buildModelled('WMO508', opts), KEYS.wijkteam);
      expect(retour.status, retour.text).toBe(202);
      expect(await statusOf(retour.body.id)).toMatchObject({ correlatedTo: heenId });
      const du01 = await eventually(() => {
        const sent = toGgk.find((e) => e.stuurgegevens.functie === 'WMO508');
        expect(sent).toBeDefined();
        return sent!;
      }, bounded);
      expect(du01.message).toBe('ggk_Du01');
      expect(du01.stuurgegevens).toMatchObject({
        crossRefnummer: di01Ref,
        zender: { organisatie: '0384' },
        ontvanger: { organisatie: 'SVB' },
      });
      await eventually(async () => expect((await statusOf(retour.body.id)).status).toBe('delivered'), bounded);
    });

    it('zorgmeldingTerugkoppelingDi01 (a Di01 of its own, no crossRefnummer) is linked to its zorgmelding by kenmerk and goes to CORV, not back to the gemeente', async () => {
      const melding = await g.post('/inbound/corv', buildJz('zorgmeldingDi01'), KEY.corv);
      expect(melding.status, melding.text).toBe(202);
      const terug = await g.post('/berichten', buildJz('zorgmeldingTerugkoppelingDi01'), KEY.jeugdzorg);
      expect(terug.status, terug.text).toBe(202);
      const s = await statusOf(terug.body.id);
      expect(s).toMatchObject({
        messageName: 'zorgmeldingTerugkoppelingDi01',
        direction: 'heen',
        correlatedTo: melding.body.id,
      });
      // Part of the zorgmelding's conversation, not a retour answering it.
      expect((await g.gateway.store.getMessage(melding.body.id))!.answeredBy).toBeNull();
      await eventually(
        () =>
          expect(received.filter((x) => x.message === 'zorgmeldingTerugkoppelingDi01').map((x) => x.path)).toEqual([
            'http://corv.example/uit',
          ]),
        bounded,
      );
    });
  });
});
