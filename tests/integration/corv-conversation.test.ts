/**
 * One CORV conversation through a real gateway: a VTO handed in by the gemeente's system goes to a simulated
 * CORV (a local HTTP server answering a Bv03 in SOAP), then CORV posts back on /inbound/corv a Bv01 (crossRefnummer
 * = the VTO's referentienummer), notificaties that name the VTO's zaak (plain XML and in SOAP), and a Fo01 for a
 * second VTO. `GET /berichten/{id}` of a VTO shows it all as one conversation, in order, without content; a
 * linked message points back to its VTO. A notificatie about an unknown zaak, or about another gemeente's zaak,
 * is delivered but linked to nothing.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';
import { build, PARTIES, TEST_BSNS } from '../../src/examples/stuf-jz.ts';
import { Gateway } from '../../src/gateway.ts';
import { createLogger } from '../../src/log.ts';
import { hashApiKey } from '../../src/security/api-keys.ts';
import { answeredFrom, buildBv03 } from '../../src/stuf/replies.ts';
import { buildSoapEnvelope } from '../../src/stuf/soap.ts';
import { parseToTree } from '../../src/xml/parse.ts';
import { child } from '../../src/xml/tree.ts';
import { eventually, replaceOnce } from '../helpers/gateway.ts';
import { type Receiver, startReceiver } from '../helpers/http-receiver.ts';

const KEYS = { wijkteam: 'test-key-jeugdteam', anders: 'test-key-ander-team', corv: 'test-key-corv' } as const;
const GEMEENTE = PARTIES.gemeente.organisatie;
/** The builders' zaak identificatie, replaced per VTO. */
const BUILDER_ZAAK = 'ZAAK-2026-000123';

let corv: Receiver;
let inbox: Receiver;
let gateway: Gateway;
let base: string;
let dataDir: string;
const logs: string[] = [];

/** The simulated CORV: a SOAP Bv03 for every message, answering the message in the Body. */
function corvAnswer(body: Buffer) {
  const envelope = parseToTree(body);
  const message = child(envelope, 'Body')!.children[0]!;
  return {
    status: 200,
    headers: { 'content-type': 'text/xml; charset=utf-8' },
    body: buildSoapEnvelope(buildBv03(answeredFrom(message))).toString('utf8'),
  };
}

beforeAll(async () => {
  corv = await startReceiver((request) => corvAnswer(request.body));
  inbox = await startReceiver(() => ({ status: 200 }));
  dataDir = mkdtempSync(join(tmpdir(), 'schakel-corv-'));
  const config = parseConfig(
    `
server: { port: 0, host: 127.0.0.1 }
dataDir: ${JSON.stringify(dataDir)}
parties:
  external:
    - { id: corv, kind: corv, codes: { organisatie: ["${PARTIES.rvdk.organisatie}"] } }
callers:
  - { id: jeugdteam, apiKeys: ["${hashApiKey(KEYS.wijkteam)}"], afzenders: ["${GEMEENTE}"], messages: [vtoDi01] }
  - { id: ander-team, apiKeys: ["${hashApiKey(KEYS.anders)}"], afzenders: ["${GEMEENTE}"], messages: [vtoDi01] }
inbound:
  - { party: corv, apiKeys: ["${hashApiKey(KEYS.corv)}"], messages: [Bv01, Fo01, notificatieDi01] }
destinations:
  - { id: corv, adapter: corv, url: "${corv.url}/corv", oin: "${GEMEENTE}", timeoutMs: 5000 }
  - { id: jeugd-inbox, adapter: webhook, url: "${inbox.url}/inbox", timeoutMs: 5000 }
routes:
  - { standard: stuf-jz, message: vtoDi01, destination: corv }
  - { standard: stuf-jz, message: notificatieDi01, destination: jeugd-inbox }
  - { standard: stuf, direction: retour, destination: jeugd-inbox }
retry: { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 100, jitter: 0 }
transport: { kind: embedded, pollIntervalMs: 20 }
`,
    join(dataDir, 'test.yaml'),
    { env: {} },
  );
  const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void logs.push(line) } });
  gateway = new Gateway({ config, logger, today: () => new Date('2026-11-01T12:00:00') });
  await gateway.start();
  base = `http://127.0.0.1:${gateway.port}`;
});

afterAll(async () => {
  await gateway?.stop();
  await corv?.close();
  await inbox?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function call(method: 'GET' | 'POST', path: string, key: string, body?: string, contentType = 'application/xml') {
  const res = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': contentType } : {}) },
    ...(body !== undefined ? { body } : {}),
  });
  const text = await res.text();
  return { status: res.status, text, body: text.startsWith('{') ? JSON.parse(text) : text };
}

/** A VTO about `zaak`, with its own referentienummer. */
function vto(zaak: string, referentienummer: string): string {
  return replaceOnce(build('vtoDi01', { referentienummer }), new RegExp(`>${BUILDER_ZAAK}<`), `>${zaak}<`);
}

/** A notificatie whose own zaak identificatie is `zaak` (as the builders make it). */
function notificatie(zaak: string): string {
  return replaceOnce(build('notificatieDi01'), new RegExp(`>${BUILDER_ZAAK}<`), `>${zaak}<`);
}

/** A notificatie about the RvdK's own zaak that names the gemeente's zaak as the one it relates to. */
function notificatieOverAndereZaak(rvdkZaak: string, gemeenteZaak: string): string {
  const related =
    `<ZKN:heeftBetrekkingOpAndere StUF:entiteittype="ZAKZAKBTR"><ZKN:gerelateerde StUF:entiteittype="ZAK">` +
    `<ZKN:identificatie>${gemeenteZaak}</ZKN:identificatie><ZKN:isVan StUF:entiteittype="ZAKZKT">` +
    `<ZKN:gerelateerde StUF:entiteittype="ZKT"><ZKN:omschrijvingGeneriek>Overwegen kinderbeschermingsmaatregel</ZKN:omschrijvingGeneriek>` +
    `</ZKN:gerelateerde></ZKN:isVan></ZKN:gerelateerde></ZKN:heeftBetrekkingOpAndere>`;
  return replaceOnce(notificatie(rvdkZaak), /(\s*<ZKN:heeft StUF:entiteittype="ZAKSTT">)/, `${related}$1`);
}

async function statusOf(id: string, key: string = KEYS.wijkteam) {
  const r = await call('GET', `/berichten/${id}`, key);
  expect(r.status).toBe(200);
  return r.body;
}

async function postInbound(xml: string, contentType = 'application/xml'): Promise<string> {
  const r = await call('POST', '/inbound/corv', KEYS.corv, xml, contentType);
  if (contentType === 'application/xml') {
    expect(r.status, r.text).toBe(202);
    return r.body.id as string;
  }
  expect(r.status, r.text).toBe(200);
  // The SOAP answer is a Bv03 whose crossRefnummer is the notificatie's referentienummer; find the stored message by it.
  const referentienummer = /<(?:\w+:)?referentienummer>([^<]+)</.exec(xml)![1]!;
  const page = await gateway.store.listMessages({ referentienummer });
  expect(page.items).toHaveLength(1);
  return page.items[0]!.id;
}

/** Distinct receipt times, so the conversation's order is the order of this test. */
const tick = () => delay(3);

describe('a CORV conversation in GET /berichten/{id}', () => {
  const zaak = `ZAAK-${randomUUID().slice(0, 8)}`;
  const referentienummer = randomUUID();
  let vtoId: string;
  let bv01Id: string;
  let notificatieId: string;
  let soapNotificatieId: string;

  it('sends the VTO to CORV, whose synchronous Bv03 means delivered', async () => {
    const r = await call('POST', '/berichten', KEYS.wijkteam, vto(zaak, referentienummer));
    expect(r.status, r.text).toBe(202);
    vtoId = r.body.id;
    await eventually(async () => expect((await statusOf(vtoId)).status).toBe('delivered'));
    expect(corv.requests).toHaveLength(1);
    expect(corv.requests[0]!.body.toString('utf8')).toContain(referentienummer);
    const s = await statusOf(vtoId);
    expect(s.attempts).toEqual([
      expect.objectContaining({ attemptNo: 1, outcome: 'delivered', httpStatus: 200, answerMessage: 'Bv03' }),
    ]);
  });

  it('links the Bv01 (crossRefnummer) and the notificaties (zaak identificatie, plain and in SOAP) to the VTO', async () => {
    await tick();
    bv01Id = await postInbound(build('Bv01', { crossRefnummer: referentienummer }));
    await tick();
    notificatieId = await postInbound(notificatie(zaak));
    await tick();
    const soap = buildSoapEnvelope(notificatieOverAndereZaak(`RVDK-${randomUUID().slice(0, 8)}`, zaak)).toString(
      'utf8',
    );
    soapNotificatieId = await postInbound(soap, 'text/xml; charset=utf-8');

    for (const id of [bv01Id, notificatieId, soapNotificatieId]) {
      expect((await gateway.store.getMessage(id))!.correlatedTo).toBe(vtoId);
    }
    await eventually(() => inbox.requests.length >= 3);
  });

  it('shows one conversation on the VTO: the VTO, its attempt with the Bv03, the Bv01 and the notificaties, in order', async () => {
    const s = await statusOf(vtoId);
    // The Bv01 is the VTO's answer; notificaties belong to the conversation without being the answer.
    expect(s.answer).toEqual({ id: bv01Id, summary: null });
    expect(s.conversation.map((c: { id: string; message: string }) => [c.id, c.message])).toEqual([
      [bv01Id, 'Bv01'],
      [notificatieId, 'notificatieDi01'],
      [soapNotificatieId, 'notificatieDi01'],
    ]);
    expect(s.thread.heen).toEqual({ id: vtoId, message: 'vtoDi01', status: 'delivered' });
    const events = s.thread.events as {
      type: string;
      id: string;
      message?: string;
      answerMessage?: string;
      status?: string;
      at: string;
    }[];
    expect(events.map((e) => [e.type, e.id, e.message ?? e.answerMessage])).toEqual([
      ['received', vtoId, 'vtoDi01'],
      ['attempt', vtoId, 'Bv03'],
      ['linked', bv01Id, 'Bv01'],
      ['linked', notificatieId, 'notificatieDi01'],
      ['linked', soapNotificatieId, 'notificatieDi01'],
    ]);
    const times = events.map((e) => Date.parse(e.at));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    await eventually(async () => {
      const linked = (await statusOf(vtoId)).thread.events.filter((e: { type: string }) => e.type === 'linked');
      expect(linked.map((e: { status: string }) => e.status)).toEqual(['delivered', 'delivered', 'delivered']);
    });
  });

  it('points a linked message back to its VTO, with the same conversation', async () => {
    const vtoView = await statusOf(vtoId);
    const n = await statusOf(notificatieId);
    expect(n.correlatedTo).toBe(vtoId);
    expect(n.thread).toEqual(vtoView.thread);
    expect((await statusOf(bv01Id)).thread.heen.id).toBe(vtoId);
    // Another system of the same gemeente did not send the VTO: neither it nor its conversation is visible to it.
    expect((await call('GET', `/berichten/${notificatieId}`, KEYS.anders)).status).toBe(404);
  });

  it('is described by /openapi.json: every field of the answer, its attempts and its conversation', async () => {
    const doc = (await (
      await fetch(`${base}/openapi.json`, { headers: { authorization: `Bearer ${KEYS.corv}` } })
    ).json()) as {
      paths: Record<
        string,
        { get: { responses: Record<string, { content: Record<string, { schema: { $ref: string } }> }> } }
      >;
      components: { schemas: Record<string, { properties: Record<string, unknown> }> };
    };
    expect(doc.paths['/berichten/{id}']!.get.responses['200']!.content['application/json']!.schema.$ref).toBe(
      '#/components/schemas/Bericht',
    );
    const fields = (schema: string) => Object.keys(doc.components.schemas[schema]!.properties);
    const s = await statusOf(vtoId);
    expect(fields('Bericht')).toEqual(expect.arrayContaining(Object.keys(s)));
    expect(fields('Attempt')).toEqual(expect.arrayContaining(Object.keys(s.attempts[0])));
    expect(fields('LinkedMessage')).toEqual(expect.arrayContaining(Object.keys(s.conversation[0])));
    for (const e of s.thread.events) expect(fields('ThreadEvent')).toEqual(expect.arrayContaining(Object.keys(e)));
  });

  it('shows no content: no BSN, no zaak identificatie, in the answers or the logs', async () => {
    const texts = [
      (await call('GET', `/berichten/${vtoId}`, KEYS.wijkteam)).text,
      (await call('GET', `/berichten/${soapNotificatieId}`, KEYS.wijkteam)).text,
      logs.join('\n'),
    ];
    for (const text of texts) {
      for (const bsn of TEST_BSNS) expect(text).not.toContain(bsn);
      expect(text).not.toContain(zaak);
    }
  });

  it("keeps conversations apart: a Fo01 for a second VTO, notificaties about an unknown or another gemeente's zaak", async () => {
    const zaak2 = `ZAAK-${randomUUID().slice(0, 8)}`;
    const ref2 = randomUUID();
    const second = await call('POST', '/berichten', KEYS.wijkteam, vto(zaak2, ref2));
    expect(second.status, second.text).toBe(202);
    const vto2 = second.body.id as string;
    await eventually(async () => expect((await statusOf(vto2)).status).toBe('delivered'));
    await tick();
    const fo01 = await postInbound(build('Fo01', { crossRefnummer: ref2 }));
    await tick();
    const n2 = await postInbound(notificatie(zaak2));
    const unknown = await postInbound(notificatie(`ZAAK-${randomUUID().slice(0, 8)}`));
    // The right zaak, but sent to another gemeente: not this gemeente's VTO.
    const elsewhere = await postInbound(
      replaceOnce(
        notificatie(zaak2),
        /<StUF:ontvanger>\s*<StUF:organisatie>[^<]+</,
        `<StUF:ontvanger><StUF:organisatie>00000099000000099999<`,
      ),
    );

    const s2 = await statusOf(vto2);
    expect(s2.answer).toEqual({ id: fo01, summary: 'StUF010' });
    expect(
      s2.thread.events.filter((e: { type: string }) => e.type === 'linked').map((e: { id: string }) => e.id),
    ).toEqual([fo01, n2]);
    expect(s2.conversation.find((c: { id: string }) => c.id === fo01).summary).toBe('StUF010');
    expect((await gateway.store.getMessage(unknown))!.correlatedTo).toBeNull();
    expect((await gateway.store.getMessage(elsewhere))!.correlatedTo).toBeNull();
    // The first conversation is unchanged.
    expect((await statusOf(vtoId)).conversation).toHaveLength(3);
  });
});
