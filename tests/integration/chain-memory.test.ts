/**
 * The chain's memory in the running gateway (issue 13 item 1): the iEb (TR102–TR104) and iPgb (TR574) rules
 * that need earlier berichten reject across messages over HTTP, with their retourcodes, because the gateway
 * reads the store's history (keyed on hashed BSNs) in a second rule pass. Destinations are nock'd; the berichten
 * are built against the project's modelled iEb/iPgb packs (no reference pack needed).
 */

import { join } from 'node:path';
import Database from 'better-sqlite3';
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  build,
  DEFAULT_FUNCTIE,
  DEFAULT_IEB_PERIOD,
  type IebPeriod,
  OTHER_BSN,
  TEST_BSN,
} from '../../src/examples/ieb-ipgb.ts';
import { hashApiKey } from '../../src/security/api-keys.ts';
import { parseToTree } from '../../src/xml/parse.ts';
import { child, descendants } from '../../src/xml/tree.ts';
import { beheerUsersYaml, loginBeheer } from '../helpers/beheer-client.ts';
import { eventually, type HttpResult, KEYS, startTestGateway, type TestGateway } from '../helpers/gateway.ts';

const SVB_KEY = 'test-key-svb-chain-memory';
const BEHEER_PASSWORD = 'chain-memory-beheer-1';

let seq = 0;
/** A fresh BerichtIdentificatie (TR056 wants one per bericht). */
const nextId = (prefix: string) => `${prefix}-${String(++seq).padStart(4, '0')}`;

const wmo405 = (period: Partial<IebPeriod>, bsn = TEST_BSN) =>
  build('WMO405', { identificatie: nextId('EB'), ieb: [{ bsn, periods: [{ ...DEFAULT_IEB_PERIOD, ...period }] }] });

const tkb = (bsn: string, budget: string) =>
  build('WMO501', { identificatie: nextId('TKB'), tkb: [{ bsn, budget, functies: [DEFAULT_FUNCTIE] }] });

/** The rule codes and retourcodes of a rejection. */
const rejectedWith = (r: HttpResult) =>
  (r.body.findings as { code: string; retourcode: string | null }[]).map((f) => `${f.code}/${f.retourcode}`);

/** What the nock'd destinations received, in order. */
const delivered: { to: string; message: string; body: string }[] = [];

describe('chain memory: iEb and iPgb history rules across messages, over HTTP', () => {
  let g: TestGateway;
  const send = (xml: string) => g.post('/berichten', xml, KEYS.andereGemeente);

  /** The answer carries the level-3 retour: valid against its XSD, the rule's code on the failing class. */
  async function expectRetour(r: HttpResult, name: string, cls: string, code: string): Promise<void> {
    const retour = r.body.retour as string;
    expect(retour, 'the rejection carries its retour').toBeTypeOf('string');
    const verdict = await g.gateway.validation.validate(new TextEncoder().encode(retour));
    expect(verdict.message).toBe(name);
    expect(verdict.findings).toEqual([]);
    const root = parseToTree(retour);
    const failing = descendants(root, cls).map((n) => child(n, 'RetourCodes')?.children.map((c) => c.text));
    expect(failing).toContainEqual([code]);
    expect(child(child(root, 'Header'), 'RetourCodes')?.children.map((c) => c.text)).toEqual(['0200']);
  }

  beforeAll(async () => {
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
    for (const origin of ['http://cak.example', 'http://svb.example', 'http://gemeente.example']) {
      nock(origin)
        .persist()
        .post(/.*/)
        .reply(function (uri, body) {
          delivered.push({
            to: `${origin}${uri}`,
            message: String(this.req.headers['x-schakel-message']),
            body: String(body),
          });
          return [200, 'ontvangen'];
        });
    }
    g = await startTestGateway({
      extraParties: ['{ id: svb, kind: svb, codes: { organisatie: [SVB] } }'],
      extraInbound: [`{ party: svb, apiKeys: ["${hashApiKey(SVB_KEY)}"], messages: [WMO502] }`],
      extraDestinations: [
        '{ id: cak, adapter: webhook, url: "http://cak.example/berichten", timeoutMs: 5000 }',
        '{ id: svb, adapter: webhook, url: "http://svb.example/berichten", timeoutMs: 5000 }',
      ],
      extraYaml: await beheerUsersYaml({ beheerder: { password: BEHEER_PASSWORD, role: 'beheerder' } }),
      routes: [
        '{ direction: retour, afzender: "0363", destination: gemeente-retour }',
        '{ direction: retour, afzender: "0384", destination: gemeente-retour }',
        '{ standard: ieb, destination: cak }',
        '{ standard: ipgb, message: WMO501, destination: svb }',
      ],
    });
  });

  afterAll(async () => {
    await g?.stop();
    nock.cleanAll();
    nock.enableNetConnect();
  });

  it('TR102: a first delivery (StatusAanlevering 1) of a key delivered before is rejected with 9102', async () => {
    const first = await send(wmo405({ nummer: '1021', status: '1' }));
    expect(first.status, first.text).toBe(202);
    const again = await send(wmo405({ nummer: '1021', status: '1' }));
    expect(again.status).toBe(422);
    expect(again.body.error.code).toBe('RULES_FAILED');
    expect(rejectedWith(again)).toEqual(['TR102/9102']);
    // iEb's BerichtCodes are not established (standards.md §4.4), so no WMO406 can be built: findings only.
    expect(again.body.retour).toBeUndefined();
    // Another key of the same client is new.
    expect((await send(wmo405({ nummer: '1022', status: '1' }))).status).toBe(202);
  });

  it('TR103: a change (2) of a key never delivered is rejected with 9103; after a first delivery it is accepted', async () => {
    const change = await send(wmo405({ nummer: '1031', status: '2' }));
    expect(change.status).toBe(422);
    expect(rejectedWith(change)).toEqual(['TR103/9103']);
    expect((await send(wmo405({ nummer: '1031', status: '1' }))).status).toBe(202);
    const later = await send(wmo405({ nummer: '1031', status: '2' }));
    expect(later.status, later.text).toBe(202);
  });

  it('TR104: a change after a delete is rejected with 9104', async () => {
    expect((await send(wmo405({ nummer: '1041', status: '1' }))).status).toBe(202);
    expect((await send(wmo405({ nummer: '1041', status: '3' }))).status).toBe(202);
    const change = await send(wmo405({ nummer: '1041', status: '2' }));
    expect(change.status).toBe(422);
    expect(rejectedWith(change)).toEqual(['TR104/9104']);
  });

  it('a rejected bericht adds nothing to the history', async () => {
    // The TR103 rejection above did not count as a delivery: key 1051 changed twice is rejected twice.
    expect(rejectedWith(await send(wmo405({ nummer: '1051', status: '2' })))).toEqual(['TR103/9103']);
    expect(rejectedWith(await send(wmo405({ nummer: '1051', status: '2' })))).toEqual(['TR103/9103']);
  });

  it('TR574: a BudgetIdentificatie the Afzender used for another client is rejected with 9574', async () => {
    const first = await send(tkb(TEST_BSN, 'PGB-574-A'));
    expect(first.status, first.text).toBe(202);
    const other = await send(tkb(OTHER_BSN, 'PGB-574-A'));
    expect(other.status).toBe(422);
    expect(rejectedWith(other)).toEqual(['TR574/9574']);
    await expectRetour(other, 'WMO502', 'Budget', '9574');
    // The same budget number for the other client under a fresh budget is fine.
    expect((await send(tkb(OTHER_BSN, 'PGB-574-B'))).status).toBe(202);
  });

  it("TR507: the second TKB on a budget is held until the first one's retour arrives, then delivered", async () => {
    const client = { bsn: TEST_BSN, budget: 'PGB-507-A', functies: [DEFAULT_FUNCTIE] };
    const first = await send(build('WMO501', { identificatie: 'TKB-507-1', tkb: [client] }));
    expect(first.status, first.text).toBe(202);
    const second = await send(build('WMO501', { identificatie: 'TKB-507-2', tkb: [client] }));
    expect(second.status, second.text).toBe(202);
    const store = g.gateway.store;
    await eventually(async () => (await store.getMessage(first.body.id))!.status === 'delivered');
    expect(await store.getMessage(second.body.id)).toMatchObject({
      status: 'on_hold',
      statusReason: `wacht op retour van ${first.body.id}`,
    });
    // Held, not refused: nothing went to the SVB for it, and it stays held while the retour is missing.
    expect(delivered.filter((d) => d.body.includes('TKB-507-2'))).toEqual([]);

    const retour = await g.post(
      '/inbound/svb',
      build('WMO502', { identificatie: 'TKB-507-1', tkb: [client] }),
      SVB_KEY,
    );
    expect(retour.status, retour.text).toBe(202);
    expect((await store.getMessage(first.body.id))!.answeredBy).toBe(retour.body.id);
    await eventually(async () => (await store.getMessage(second.body.id))!.status === 'delivered');
    const history = await store.statusHistory(second.body.id);
    expect(history.map((h) => [h.from, h.to, h.actor])).toEqual([
      [null, 'on_hold', 'caller:andere-gemeente'],
      ['on_hold', 'queued', 'schakel:tr507'],
      ['queued', 'delivered', 'transport'],
    ]);
    const toSvb = delivered
      .filter((d) => d.to === 'http://svb.example/berichten' && /TKB-507-[12]/.test(d.body))
      .map((d) => /TKB-507-[12]/.exec(d.body)![0]);
    expect(toSvb).toEqual(['TKB-507-1', 'TKB-507-2']);
  });

  it('TR507 in beheer: the queue per budget, and a held TKB released by hand (audited)', async () => {
    const client = { bsn: OTHER_BSN, budget: 'PGB-507-B', functies: [DEFAULT_FUNCTIE] };
    const ids: string[] = [];
    for (const n of [1, 2, 3]) {
      const r = await send(build('WMO501', { identificatie: `TKB-507-B${n}`, tkb: [client] }));
      expect(r.status, r.text).toBe(202);
      ids.push(r.body.id);
    }
    const beheer = await loginBeheer(g.url, 'beheerder', BEHEER_PASSWORD);
    const queue = await beheer.call('GET', '/api/beheer/budgetwachtrij');
    expect(queue.status).toBe(200);
    expect(queue.body.queues).toEqual([
      expect.objectContaining({
        afzender: '0363',
        budget: 'PGB-507-B',
        waitingFor: ids[0],
        held: [expect.objectContaining({ id: ids[1] }), expect.objectContaining({ id: ids[2] })],
      }),
    ]);
    expect(queue.text).not.toContain(OTHER_BSN);

    const job = await beheer.call(
      'POST',
      '/api/beheer/jobs',
      { action: 'release', ids: [ids[2]] },
      { 'x-csrf-token': beheer.csrf },
    );
    expect(job.status, job.text).toBe(202);
    await eventually(async () => (await g.gateway.store.getMessage(ids[2]!))!.status === 'delivered');
    expect((await g.gateway.store.getMessage(ids[1]!))!.status).toBe('on_hold');
    const audit = await g.gateway.store.listAudit({ targetId: ids[2]!, action: 'message.release' });
    expect(audit.map((a) => a.actor)).toEqual([expect.stringContaining('beheerder')]);
  });

  it('keeps the BSN out of the history: only an HMAC is stored', () => {
    const db = new Database(join(g.dataDir, 'schakel.sqlite'), { readonly: true });
    try {
      const periods = db.prepare('SELECT * FROM history_periods').all() as Record<string, unknown>[];
      const budgets = db.prepare('SELECT * FROM history_budgets').all() as Record<string, unknown>[];
      expect(periods.length).toBeGreaterThan(0);
      expect(budgets.length).toBeGreaterThan(0);
      const text = JSON.stringify([...periods, ...budgets]);
      expect(text).not.toContain(TEST_BSN);
      expect(text).not.toContain(OTHER_BSN);
      for (const row of [...periods, ...budgets]) expect(row.bsn_hash).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      db.close();
    }
  });
});
