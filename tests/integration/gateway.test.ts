/**
 * The gateway end to end: real HTTP on a random port, a real SQLite file in a temp dataDir, the destinations'
 * HTTP endpoints intercepted with nock. Official iWmo examples; the clock is pinned to 2026-11-01.
 */

import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../../src/security/api-keys.ts';
import {
  bsnsIn,
  eventually,
  type HttpResult,
  KEYS,
  replaceOnce,
  type StartOptions,
  startTestGateway,
  type TestGateway,
  withIdentificatie,
} from '../helpers/gateway.ts';
import { hasReference, istandaardExample, skipReason } from '../helpers/reference.ts';

const example = istandaardExample;

/** A Bsn that fails the elfproef: the example's 999900006 with its last digit changed. */
const BROKEN_BSN = '999900007';

// ---- the destinations (nock) -----------------------------------------------------------------------------

interface Delivery {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** The header's BerichtIdentificatie/Identificatie (for a retour: the heen's). */
  identificatie: string | null;
  status: number;
}

const deliveries: Delivery[] = [];
/** How a destination answers deliveries of the bericht with this Identificatie: by 0-based hit number. */
const plans = new Map<string, (hit: number) => number>();

function identificatieOf(xml: string): string | null {
  return /<(?:[\w-]+:)?BerichtIdentificatie>\s*<(?:[\w-]+:)?Identificatie>([^<]*)</.exec(xml)?.[1] ?? null;
}

function intercept(origin: string, pathname: string): void {
  nock(origin)
    .persist()
    .post(pathname)
    .reply(function (_uri, body) {
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      const identificatie = identificatieOf(text);
      const hit = deliveries.filter((d) => d.identificatie === identificatie && d.url === origin + pathname).length;
      const plan = identificatie ? plans.get(identificatie) : undefined;
      const status = plan ? plan(hit) : 200;
      deliveries.push({ url: origin + pathname, headers: { ...this.req.headers }, body: text, identificatie, status });
      return [status, status < 300 ? 'ontvangen' : 'tijdelijk niet beschikbaar'];
    });
}

const deliveriesTo = (url: string, identificatie: string) =>
  deliveries.filter((d) => d.url === url && d.identificatie === identificatie);

// ---- gateways ---------------------------------------------------------------------------------------------

/** Every gateway this file started: their logs and traffic feed the privacy test at the end. */
const started: TestGateway[] = [];

async function gatewayFor(options: StartOptions = {}): Promise<TestGateway> {
  const g = await startTestGateway(options);
  started.push(g);
  return g;
}

const bounded = { timeoutMs: 15_000 };
/** A caller that may send as any Afzender (an aanbieder's bericht posted by a test system). */
const ANY_AFZENDER_KEY = 'test-key-any-afzender';

async function statusOf(g: TestGateway, id: string, key: string = KEYS.wijkteam) {
  const r = await g.get(`/berichten/${id}`, key);
  expect(r.status).toBe(200);
  return r.body as {
    id: string;
    message: string;
    status: string;
    direction: string;
    correlatedTo: string | null;
    answer: { id: string; summary: string | null } | null;
    conversation: { id: string; message: string; direction: string; status: string }[];
    attempts: {
      attemptNo: number;
      startedAt: string;
      durationMs: number;
      outcome: string;
      httpStatus: number | null;
      nextAttemptAt: string | null;
    }[];
  };
}

/** The shape every error answer has, and its request id agrees with the X-Request-Id header. */
function expectErrorShape(r: HttpResult, status: number, code: string): void {
  expect({ status: r.status, code: r.body?.error?.code }).toEqual({ status, code });
  expect(r.headers.get('content-type')).toMatch(/^application\/json/);
  expect(typeof r.body.error.message).toBe('string');
  expect(r.body.error.message.length).toBeGreaterThan(0);
  const requestId = r.headers.get('x-request-id');
  expect(requestId).toMatch(/^[\w.-]{1,64}$/);
  expect(r.body.error.requestId).toBe(requestId);
}

beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
  intercept('http://zorg.example', '/berichten');
  intercept('http://jeugd.example', '/berichten');
  intercept('http://gemeente.example', '/retour');
  intercept('http://gemeente.example', '/inbox');
});

afterAll(async () => {
  for (const g of started) await g.stop();
  nock.cleanAll();
  nock.enableNetConnect();
});

describe.skipIf(!hasReference)(`gateway over HTTP${hasReference ? '' : ` (${skipReason})`}`, () => {
  let main: TestGateway;
  /** Small body limit, maxAttempts 3, and a route only for heenberichten to aanbieder 42420001. */
  let strict: TestGateway;

  beforeAll(async () => {
    main = await gatewayFor({
      extraCallers: [`{ id: overal, apiKeys: ["${hashApiKey(ANY_AFZENDER_KEY)}"], afzenders: ["*"], messages: ["*"] }`],
    });
    strict = await gatewayFor({
      bodyLimitBytes: 64 * 1024,
      maxAttempts: 3,
      routes: ['{ standard: iwmo, direction: heen, ontvanger: "42420001", destination: zorg }'],
    });
  });

  describe('delivery', () => {
    it('accepts the official WMO301 (202, receipt) and delivers the exact bytes with the X-Schakel headers', async () => {
      const xml = example('WMO301');
      const r = await main.post('/berichten', xml, KEYS.wijkteam);
      expect(r.status).toBe(202);
      expect(r.body).toMatchObject({
        message: 'WMO301',
        standard: 'iwmo',
        release: '3.2',
        statusUrl: `/berichten/${r.body.id}`,
      });
      expect(r.body.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(r.headers.get('location')).toBe(`/berichten/${r.body.id}`);
      const id = r.body.id as string;

      const [delivery] = await eventually(() => {
        const got = deliveriesTo('http://zorg.example/berichten', '123456789012');
        expect(got).toHaveLength(1);
        return got;
      }, bounded);
      expect(delivery!.body).toBe(xml);
      expect(delivery!.headers).toMatchObject({
        'content-type': 'application/xml',
        'x-schakel-id': id,
        'x-schakel-message': 'WMO301',
        'x-schakel-correlation': id,
        'x-schakel-attempt': '1',
      });

      const status = await eventually(async () => {
        const s = await statusOf(main, id);
        expect(s.status).toBe('delivered');
        return s;
      }, bounded);
      expect(status.attempts).toHaveLength(1);
      expect(status.attempts[0]).toMatchObject({
        attemptNo: 1,
        outcome: 'delivered',
        httpStatus: 200,
        nextAttemptAt: null,
      });
      // Nothing was delivered twice.
      expect(deliveriesTo('http://zorg.example/berichten', '123456789012')).toHaveLength(1);
    });

    it('retries a destination that answers 503 three times with growing delays, then delivers (4 attempts)', async () => {
      const ident = 'RETRY0000001';
      plans.set(ident, (hit) => (hit < 3 ? 503 : 200));
      const r = await main.post('/berichten', withIdentificatie(example('WMO301'), ident), KEYS.wijkteam);
      expect(r.status).toBe(202);

      const s = await eventually(async () => {
        const s = await statusOf(main, r.body.id);
        expect(s.status).toBe('delivered');
        return s;
      }, bounded);
      expect(s.attempts.map((a) => [a.attemptNo, a.outcome, a.httpStatus])).toEqual([
        [1, 'retry', 503],
        [2, 'retry', 503],
        [3, 'retry', 503],
        [4, 'delivered', 200],
      ]);
      expect(
        deliveriesTo('http://zorg.example/berichten', ident).map((d) => [d.status, d.headers['x-schakel-attempt']]),
      ).toEqual([
        [503, '1'],
        [503, '2'],
        [503, '3'],
        [200, '4'],
      ]);

      // The scheduled wait after each failure: nextAttemptAt minus the end of that attempt.
      const delays = s.attempts.slice(0, 3).map((a) => {
        expect(a.nextAttemptAt).not.toBeNull();
        return Date.parse(a.nextAttemptAt!) - (Date.parse(a.startedAt) + a.durationMs);
      });
      expect(delays[0]).toBeGreaterThan(0);
      expect(delays[1]).toBeGreaterThan(delays[0]!);
      expect(delays[2]).toBeGreaterThan(delays[1]!);
      for (const d of delays) expect(d).toBeLessThanOrEqual(200); // retry.maxDelayMs
      // No attempt started before it was due.
      for (let i = 1; i < 4; i++) {
        expect(Date.parse(s.attempts[i]!.startedAt)).toBeGreaterThanOrEqual(
          Date.parse(s.attempts[i - 1]!.nextAttemptAt!),
        );
      }
      expect(s.attempts[3]!.nextAttemptAt).toBeNull();
    });

    it('gives up after maxAttempts (3) against a destination that stays down: status dead', async () => {
      const ident = 'DEAD00000001';
      plans.set(ident, () => 503);
      const r = await strict.post('/berichten', withIdentificatie(example('WMO301'), ident), KEYS.wijkteam);
      expect(r.status).toBe(202);

      const s = await eventually(async () => {
        const s = await statusOf(strict, r.body.id);
        expect(s.status).toBe('dead');
        return s;
      }, bounded);
      expect(s.attempts.map((a) => [a.attemptNo, a.outcome, a.httpStatus])).toEqual([
        [1, 'retry', 503],
        [2, 'retry', 503],
        [3, 'retry', 503],
      ]);
      expect(s.attempts[2]!.nextAttemptAt).toBeNull();
      expect(deliveriesTo('http://zorg.example/berichten', ident)).toHaveLength(3);
    });
  });

  describe('duplicates (TR056)', () => {
    it('answers an exact repeat with the first receipt (200, repeat) and other content with 409 TR056/9056', async () => {
      const ident = 'DUP000000001';
      const xml = withIdentificatie(example('WMO301'), ident);
      const first = await main.post('/berichten', xml, KEYS.wijkteam);
      expect(first.status).toBe(202);

      const again = await main.post('/berichten', xml, KEYS.wijkteam);
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({
        id: first.body.id,
        message: 'WMO301',
        statusUrl: first.body.statusUrl,
        repeat: true,
      });

      const other = replaceOnce(xml, /Client commentaar/, 'Ander commentaar');
      const conflict = await main.post('/berichten', other, KEYS.wijkteam);
      expectErrorShape(conflict, 409, 'TR056');
      expect(conflict.body.error.retourcode).toBe('9056');
      expect(conflict.body.existing).toBe(`/berichten/${first.body.id}`);
      // TR056 is a level-3 rejection: the answer carries the retour with RetourCode 9056, like other rules.
      expect(conflict.body.retour).toMatch(/<wmo302:RetourCode>9056<\/wmo302:RetourCode>/);
      expect(conflict.body.retour).toContain(`<iwmo:Identificatie>${ident}</iwmo:Identificatie>`);

      // One message delivered once, whatever the repeats; the conflicting one is kept as rejected, with TR056.
      const stored = await main.gateway.store.listMessages({ berichtIdentificatie: ident });
      expect(stored.items.filter((m) => m.status !== 'rejected').map((m) => m.id)).toEqual([first.body.id]);
      const rejected = stored.items.filter((m) => m.status === 'rejected');
      expect(rejected.map((m) => `/berichten/${m.id}`)).toEqual([conflict.body.rejected]);
      expect((await main.gateway.store.getMessage(rejected[0]!.id))!.findings).toEqual([
        expect.objectContaining({ code: 'TR056', retourcode: '9056' }),
      ]);
      await eventually(async () => expect((await statusOf(main, first.body.id)).status).toBe('delivered'), bounded);
      expect(deliveriesTo('http://zorg.example/berichten', ident)).toHaveLength(1);
    });
  });

  describe('authorisation', () => {
    it('refuses an Afzender the caller may not use (403 AFZENDER_NOT_ALLOWED)', async () => {
      const ident = 'FORBID000001';
      const r = await main.post('/berichten', withIdentificatie(example('WMO301'), ident), KEYS.andereGemeente);
      expectErrorShape(r, 403, 'AFZENDER_NOT_ALLOWED');
      // Kept as a refused bericht (a fact of the chain), never queued.
      const kept = await main.gateway.store.listMessages({ berichtIdentificatie: ident });
      expect(kept.items.map((m) => [m.status, m.destination])).toEqual([['rejected', null]]);
    });

    it('refuses a message type the caller may not send (403 MESSAGE_NOT_ALLOWED), also on the inbound side', async () => {
      const ident = 'FORBID000002';
      const r = await main.post('/berichten', withIdentificatie(example('WMO301'), ident), KEYS.alleenJw);
      expectErrorShape(r, 403, 'MESSAGE_NOT_ALLOWED');
      // Party "jeugd" may send WMO323 and WMO315, not a WMO302.
      const retour = await main.post('/inbound/jeugd', example('WMO302'), KEYS.jeugd);
      expectErrorShape(retour, 403, 'MESSAGE_NOT_ALLOWED');
      expect((await main.gateway.store.listMessages({ berichtIdentificatie: ident, status: 'rejected' })).total).toBe(
        1,
      );
      expect((await main.gateway.store.listMessages({ messageName: 'WMO302' })).items.map((m) => m.status)).toEqual([
        'rejected',
      ]);
    });

    it('refuses an external party sending as another party (inbound Afzender must be one of its codes)', async () => {
      // WMO323's Afzender is 65656055, which is party "jeugd"'s AGB code, not "zorg"'s.
      const r = await main.post('/inbound/zorg', example('WMO323'), KEYS.zorg);
      expectErrorShape(r, 403, 'AFZENDER_NOT_ALLOWED');
      expect(r.body.error.message).toMatch(/65656055/);
    });
  });

  describe('bad input: status and machine code', () => {
    const errors: HttpResult[] = [];
    const keep = (r: HttpResult) => (errors.push(r), r);
    const wmo301 = () => withIdentificatie(example('WMO301'), 'BAD000000001');

    it('401 UNAUTHENTICATED without a key, with a wrong key, and with a key that belongs elsewhere', async () => {
      const none = keep(await main.post('/berichten', wmo301(), null));
      expectErrorShape(none, 401, 'UNAUTHENTICATED');
      expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expectErrorShape(keep(await main.post('/berichten', wmo301(), 'not-a-key')), 401, 'UNAUTHENTICATED');
      // An external party's key is no caller key, and a party's key works only on its own inbound path.
      expectErrorShape(keep(await main.post('/berichten', wmo301(), KEYS.zorg)), 401, 'UNAUTHENTICATED');
      expectErrorShape(keep(await main.post('/inbound/jeugd', example('WMO323'), KEYS.zorg)), 401, 'UNAUTHENTICATED');
      expectErrorShape(
        keep(await main.post('/inbound/zorg', example('WMO302'), KEYS.wijkteam)),
        401,
        'UNAUTHENTICATED',
      );
      expectErrorShape(keep(await main.get('/berichten/anything', null)), 401, 'UNAUTHENTICATED');
    });

    it('415 UNSUPPORTED_MEDIA_TYPE for JSON, 415 NOT_XML for a non-XML body sent as XML', async () => {
      expectErrorShape(
        keep(await main.post('/berichten', JSON.stringify({ bericht: 'WMO301' }), KEYS.wijkteam, 'application/json')),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      );
      expectErrorShape(
        keep(await main.post('/berichten', 'Bsn=999900006; this is no XML', KEYS.wijkteam)),
        415,
        'NOT_XML',
      );
    });

    it('413 BODY_TOO_LARGE over server.bodyLimitBytes (64 KiB), while a bericht just under it is accepted', async () => {
      const pad = (xml: string, size: number) => xml.replace('?>', `?>\n<!--${'x'.repeat(size - xml.length - 20)}-->`);
      const base = withIdentificatie(example('WMO301'), 'LIMIT0000001');
      const under = pad(base, 60 * 1024);
      const over = pad(base, 70 * 1024);
      expect(Buffer.byteLength(under)).toBeLessThan(64 * 1024);
      expect(Buffer.byteLength(over)).toBeGreaterThan(64 * 1024);
      expectErrorShape(keep(await strict.post('/berichten', over, KEYS.wijkteam)), 413, 'BODY_TOO_LARGE');
      expect((await strict.post('/berichten', under, KEYS.wijkteam)).status).toBe(202);
    });

    it('400 XML_NOT_WELL_FORMED with the line and column of the error', async () => {
      const xml = replaceOnce(wmo301(), /<\/wmo301:Geslacht>/, '</wmo301:Geslachtt>');
      const line = xml.slice(0, xml.indexOf('</wmo301:Geslachtt>')).split('\n').length;
      const r = keep(await main.post('/berichten', xml, KEYS.wijkteam));
      expectErrorShape(r, 400, 'XML_NOT_WELL_FORMED');
      expect(r.body.error.line).toBe(line);
      expect(r.body.error.column).toBeGreaterThan(0);
    });

    it('400 XML_DTD_FORBIDDEN for a DOCTYPE', async () => {
      const xml = wmo301().replace('?>', '?>\n<!DOCTYPE wmo301:Bericht [<!ENTITY bsn "999900006">]>');
      expectErrorShape(keep(await main.post('/berichten', xml, KEYS.wijkteam)), 400, 'XML_DTD_FORBIDDEN');
    });

    it('422 UNKNOWN_NAMESPACE for a root in a namespace no standard uses', async () => {
      const xml = wmo301().replaceAll(
        'http://www.istandaarden.nl/iwmo/3_2/wmo301/schema',
        'http://example.org/onbekend',
      );
      expectErrorShape(keep(await main.post('/berichten', xml, KEYS.wijkteam)), 422, 'UNKNOWN_NAMESPACE');
    });

    it('422 XSD_INVALID with findings for the official JW315 (invalid date on line 44)', async () => {
      // The JW315 is the aanbieder's (Afzender 12345678): posted by a caller that may send as anyone.
      const r = keep(await main.post('/berichten', example('JW315'), ANY_AFZENDER_KEY));
      expectErrorShape(r, 422, 'XSD_INVALID');
      expect(r.body.message).toBe('JW315');
      expect(r.body.error.line).toBe(44);
      expect(r.body.findings.length).toBeGreaterThan(0);
      expect(r.body.findings[0]).toMatchObject({ level: 'xsd', code: 'XSD_INVALID', retourcode: null, line: 44 });
      expect(r.body.findings[0].text).toContain('2027-06-31');
      expect(r.body.retour).toBeUndefined(); // level 1: no retourbericht
    });

    it('422 RULES_FAILED for a broken Bsn (CS002, retourcode 0001) with the WMO302 retour in the body', async () => {
      const ident = 'RULES0000001';
      const xml = replaceOnce(withIdentificatie(example('WMO301'), ident), /999900006/, BROKEN_BSN);
      const r = keep(await main.post('/berichten', xml, KEYS.wijkteam));
      expectErrorShape(r, 422, 'RULES_FAILED');
      expect(r.body.findings).toEqual([expect.objectContaining({ level: 'rule', code: 'CS002', retourcode: '0001' })]);
      const retour = r.body.retour as string;
      expect(retour).toMatch(/<wmo302:Bericht /);
      expect(retour).toContain(`<iwmo:Identificatie>${ident}</iwmo:Identificatie>`);
      expect(retour).toMatch(/<wmo302:RetourCode>0001<\/wmo302:RetourCode>/);
      const verdict = await main.gateway.validation.validate(Buffer.from(retour));
      expect({ message: verdict.message, xsdValid: verdict.xsdValid }).toEqual({ message: 'WMO302', xsdValid: true });
      // The rejected bericht is kept as rejected; the retour is not handed to an internal system (it is in the answer).
      const kept = await main.gateway.store.listMessages({ berichtIdentificatie: ident });
      expect(kept.items.map((m) => [m.messageName, m.status, m.answeredBy])).toEqual([['WMO301', 'rejected', null]]);
      expect(r.body.rejected).toBe(`/berichten/${kept.items[0]!.id}`);
    });

    it('422 NO_ROUTE when the route table has no destination for the bericht', async () => {
      const xml = replaceOnce(
        withIdentificatie(example('WMO301'), 'NOROUTE00001'),
        /<wmo301:Ontvanger>42420001</,
        '<wmo301:Ontvanger>65656055<',
      );
      const r = keep(await strict.post('/berichten', xml, KEYS.wijkteam));
      expectErrorShape(r, 422, 'NO_ROUTE');
      expect(r.body.message).toBe('WMO301');
    });

    it('every error answer carried code, message and requestId, and the gateways stay healthy', async () => {
      expect(errors.length).toBeGreaterThanOrEqual(14);
      const ids = errors.map((e) => e.body.error.requestId as string);
      expect(new Set(ids).size).toBe(ids.length);
      for (const g of [main, strict]) {
        const h = await g.get('/healthz', null);
        expect({ status: h.status, body: h.body }).toEqual({ status: 200, body: { status: 'ok' } });
      }
    });
  });

  describe('retours: correlation and delivery back', () => {
    /** A fresh gateway, so the official pairs are used unchanged without meeting earlier tests' copies. */
    let conv: TestGateway;
    beforeAll(async () => {
      conv = await gatewayFor();
    });

    it('correlates the official WMO302 to its WMO301 and delivers it to the gemeente', async () => {
      const heen = await conv.post('/berichten', example('WMO301'), KEYS.wijkteam);
      expect(heen.status).toBe(202);
      const heenId = heen.body.id as string;
      await eventually(async () => expect((await statusOf(conv, heenId)).status).toBe('delivered'), bounded);

      const wmo302 = example('WMO302');
      const retour = await conv.post('/inbound/zorg', wmo302, KEYS.zorg);
      expect(retour.status).toBe(202);
      expect(retour.body.message).toBe('WMO302');
      const retourId = retour.body.id as string;

      const s = await statusOf(conv, heenId);
      // The summary is the retour's RetourCodes: the Header's 0200 and the body's codes.
      const codes = [...new Set([...wmo302.matchAll(/RetourCode>([0-9A-Z]{4})</g)].map((m) => m[1]))];
      expect(codes).toContain('0200');
      expect(s.answer).toEqual({ id: retourId, summary: codes.join(' ') });
      expect(s.conversation).toEqual([
        expect.objectContaining({ id: retourId, message: 'WMO302', direction: 'retour' }),
      ]);

      const delivery = await eventually(() => {
        const got = deliveries.filter((d) => d.headers['x-schakel-id'] === retourId);
        expect(got).toHaveLength(1);
        return got[0]!;
      }, bounded);
      expect(delivery.url).toBe('http://gemeente.example/retour');
      expect(delivery.body).toBe(wmo302);
      expect(delivery.headers).toMatchObject({ 'x-schakel-message': 'WMO302', 'x-schakel-correlation': heenId });

      // The gemeente's system sees the retour it received through its heenbericht.
      const r = await eventually(async () => {
        const r = await statusOf(conv, retourId);
        expect(r.status).toBe('delivered');
        return r;
      }, bounded);
      expect(r).toMatchObject({ message: 'WMO302', direction: 'retour', correlatedTo: heenId });
      // … but another gemeente's system does not.
      expect((await conv.get(`/berichten/${retourId}`, KEYS.andereGemeente)).status).toBe(404);
      expect((await conv.get(`/berichten/${heenId}`, KEYS.andereGemeente)).status).toBe(404);
    });

    it('correlates the official WMO325 to its WMO323 (DeclaratieIdentificatie) and delivers it to the aanbieder', async () => {
      const wmo323 = example('WMO323');
      const declaratie = await conv.post('/inbound/jeugd', wmo323, KEYS.jeugd);
      expect(declaratie.status).toBe(202);
      const declaratieId = declaratie.body.id as string;
      const inbox = await eventually(() => {
        const got = deliveries.filter((d) => d.headers['x-schakel-id'] === declaratieId);
        expect(got).toHaveLength(1);
        return got[0]!;
      }, bounded);
      expect(inbox.url).toBe('http://gemeente.example/inbox');
      expect(inbox.body).toBe(wmo323);

      const wmo325 = example('WMO325');
      const antwoord = await conv.post('/berichten', wmo325, KEYS.wijkteam);
      expect(antwoord.status).toBe(202);
      const antwoordId = antwoord.body.id as string;

      const s = await statusOf(conv, antwoordId);
      expect(s).toMatchObject({ message: 'WMO325', direction: 'retour', correlatedTo: declaratieId });
      const heen = await conv.gateway.store.getMessage(declaratieId);
      expect(heen).toMatchObject({ answeredBy: antwoordId });
      expect(heen!.answerSummary?.split(' ')).toContain('0200');

      const delivery = await eventually(() => {
        const got = deliveries.filter((d) => d.headers['x-schakel-id'] === antwoordId);
        expect(got).toHaveLength(1);
        return got[0]!;
      }, bounded);
      expect(delivery.url).toBe('http://jeugd.example/berichten');
      expect(delivery.body).toBe(wmo325);
      expect(delivery.headers).toMatchObject({ 'x-schakel-message': 'WMO325', 'x-schakel-correlation': declaratieId });
    });

    it("answers an aanbieder's WMO315 that fails a rule with 422 and the WMO316, which is stored and delivered back", async () => {
      const ident = 'AANVRAAG0001';
      const xml = replaceOnce(withIdentificatie(example('WMO315'), ident), /999900006/, BROKEN_BSN);
      const r = await conv.post('/inbound/zorg', xml, KEYS.zorg);
      expectErrorShape(r, 422, 'RULES_FAILED');
      expect(r.body.findings).toEqual([expect.objectContaining({ code: 'CS002', retourcode: '0001' })]);
      const retour = r.body.retour as string;
      expect(retour).toMatch(/<wmo316:Bericht /);
      expect(retour).toContain(`<iwmo:Identificatie>${ident}</iwmo:Identificatie>`);
      expect(retour).toMatch(/<wmo316:RetourCode>0001<\/wmo316:RetourCode>/);
      // The aanbieder cannot read /berichten (caller keys only): the answer carries the retour itself, no status URL.
      expect(r.body.retourStatusUrl).toBeUndefined();
      const built = await conv.gateway.store.listMessages({ messageName: 'WMO316' });
      expect(built.total).toBe(1);
      const retourId = built.items[0]!.id;

      const stored = await conv.gateway.store.getMessage(retourId);
      expect(stored).toMatchObject({
        messageName: 'WMO316',
        direction: 'retour',
        afzender: '42420001',
        ontvanger: '0384',
        berichtIdentificatie: expect.any(String),
        destination: 'zorg',
      });
      expect((await conv.gateway.store.getBody(retourId))?.toString('utf8')).toBe(retour);
      // The rejected heenbericht is kept as rejected, with the retour the gateway sent as its answer.
      const kept = await conv.gateway.store.listMessages({ messageName: 'WMO315' });
      expect(kept.items.map((m) => [m.status, m.answeredBy])).toEqual([['rejected', retourId]]);

      const delivery = await eventually(() => {
        const got = deliveries.filter((d) => d.headers['x-schakel-id'] === retourId);
        expect(got).toHaveLength(1);
        return got[0]!;
      }, bounded);
      expect(delivery.url).toBe('http://zorg.example/berichten');
      expect(delivery.body).toBe(retour);
      expect(delivery.headers['x-schakel-message']).toBe('WMO316');
      await eventually(
        async () => expect((await conv.gateway.store.getMessage(retourId))?.status).toBe('delivered'),
        bounded,
      );
    });
  });

  describe('service endpoints', () => {
    it('serves /openapi.json as JSON with the API paths to a key holder (401 without), and /readyz 200', async () => {
      expect((await main.get('/openapi.json', null)).status).toBe(401);
      const doc = await main.get('/openapi.json', KEYS.wijkteam);
      expect(doc.status).toBe(200);
      expect(doc.headers.get('content-type')).toMatch(/^application\/json/);
      const parsed = JSON.parse(doc.text) as { openapi: string; paths: Record<string, Record<string, unknown>> };
      expect(parsed.openapi).toMatch(/^3\./);
      expect(Object.keys(parsed.paths)).toEqual(
        expect.arrayContaining(['/berichten', '/berichten/{id}', '/inbound/{party}', '/healthz', '/readyz']),
      );
      expect(Object.keys(parsed.paths['/berichten']!)).toContain('post');
      expect(Object.keys(parsed.paths['/berichten/{id}']!)).toContain('get');
      const ready = await main.get('/readyz', null);
      expect({ status: ready.status, body: ready.body }).toEqual({ status: 200, body: { status: 'ready' } });
    });
  });

  describe('privacy', () => {
    it('no BSN sent in any bericht appears in a log line or an error answer', () => {
      const bsns = new Set(started.flatMap((g) => g.sent.flatMap(bsnsIn)));
      // The test means something only when BSNs were sent and the gateways logged about those requests.
      expect(bsns).toContain('999900006');
      expect(bsns).toContain(BROKEN_BSN);
      expect(bsns).toContain('999900018');
      const logs = started.flatMap((g) => g.logs);
      expect(logs.filter((l) => l.includes('"msg":"bericht"')).length).toBeGreaterThan(10);
      expect(logs.some((l) => l.includes('"msg":"delivered"'))).toBe(true);

      const leaks = logs.filter((line) => [...bsns].some((b) => line.includes(b)));
      expect(leaks).toEqual([]);
      const errorAnswers = started.flatMap((g) => g.answers.filter((a) => a.status >= 400));
      expect(errorAnswers.length).toBeGreaterThan(10);
      const leakingAnswers = errorAnswers.filter((a) => [...bsns].some((b) => a.text.includes(b)));
      expect(leakingAnswers.map((a) => a.text)).toEqual([]);
    });
  });
});
