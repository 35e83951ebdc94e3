/**
 * Answer deadlines over real HTTP (standards.md §5 Expectations, OP090): a WMO301 that the aanbieder does not
 * answer within 3 working days appears in beheer's "Wacht op antwoord" (per party and per gemeente), in the
 * metric `schakel_answers_overdue` and as an alert. The store's clock and beheer's clock are injected; Good
 * Friday, Easter Monday and King's Day are not working days (without them the berichten would be late a day
 * or two earlier, which the test checks does not happen).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultAdapterRegistry } from '../../adapters/registry.ts';
import { parseConfig } from '../../src/config/load.ts';
import { buildIstandaard } from '../../src/examples/istandaarden.ts';
import { Gateway } from '../../src/gateway.ts';
import { createLogger } from '../../src/log.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import { EmbeddedTransport } from '../../src/transport/embedded.ts';
import { type BeheerClient, beheerUsersYaml, loginBeheer } from '../helpers/beheer-client.ts';
import { eventually, KEYS, testConfigYaml } from '../helpers/gateway.ts';
import { hasReference, skipReason } from '../helpers/reference.ts';

if (!hasReference) console.warn(`SKIPPED integration/answer-deadlines: ${skipReason}`);

const BSN = '999990019';
const PASSWORD = 'wacht-op-antwoord-test-1';

describe.skipIf(!hasReference)('answer deadlines: Wacht op antwoord, metric and alert', () => {
  let gateway: Gateway;
  let dataDir: string;
  let url: string;
  /** The store's clock (received, delivered) and beheer's clock (what is overdue now). */
  let storeNow = Date.parse('2027-03-25T09:00:00Z');
  let beheerNow = storeNow;
  const ids: Record<string, string> = {};

  const login = (): Promise<BeheerClient> => loginBeheer(url, 'beheerder', PASSWORD);

  /** Sends a WMO301 from gemeente 0384 to aanbieder 42420001 at `at` and waits until it is delivered. */
  async function sendAt(at: string, identificatie: string): Promise<string> {
    storeNow = Date.parse(at);
    const xml = buildIstandaard('iwmo', '301', {
      gemeente: '0384',
      aanbieder: '42420001',
      identificatie,
      dagtekening: '2026-10-30',
      bsn: BSN,
    });
    const res = await fetch(`${url}/berichten`, {
      method: 'POST',
      headers: { 'content-type': 'application/xml', authorization: `Bearer ${KEYS.wijkteam}` },
      body: xml,
    });
    const body = (await res.json()) as { id: string };
    expect(res.status, JSON.stringify(body)).toBe(202);
    const id = body.id as string;
    await eventually(async () => (await gateway.store.getMessage(id))?.status === 'delivered', {
      timeoutMs: 20_000,
    }).catch(async (e) => {
      console.log(await gateway.store.getMessage(id), await gateway.store.deliveryAttempts(id));
      throw e;
    });
    return id;
  }

  /** "Wacht op antwoord", the metric and the alerts at beheer's clock `at`. */
  async function lookAt(at: string) {
    beheerNow = Date.parse(at);
    const client = await login();
    const list = await client.call('GET', '/api/beheer/wacht-op-antwoord');
    expect(list.status).toBe(200);
    const metrics = await client.call('GET', '/metrics');
    expect(metrics.status).toBe(200);
    const alerts = await client.call('GET', '/api/beheer/meldingen');
    const metric = /^schakel_answers_overdue\{standard="iwmo"\} (\d+)$/m.exec(metrics.text)?.[1];
    return {
      list: list.body,
      ids: (list.body.items as { id: string }[]).map((i) => i.id),
      metric: metric === undefined ? 0 : Number(metric),
      alerts: (alerts.body.alerts as { alert: string; destination: string }[]).filter(
        (a) => a.alert === 'answers-overdue',
      ),
      text: list.text + metrics.text,
    };
  }

  beforeAll(async () => {
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
    nock('http://zorg.example').persist().post(/.*/).reply(200, 'ontvangen');
    dataDir = mkdtempSync(join(tmpdir(), 'schakel-deadlines-'));
    const yaml = testConfigYaml({
      dataDir,
      extraYaml: await beheerUsersYaml({ beheerder: { password: PASSWORD, role: 'beheerder' } }),
    });
    const config = parseConfig(yaml, join(dataDir, 'test.yaml'), { env: {} });
    gateway = new Gateway({
      config,
      logger: createLogger({ level: 'silent', name: 'schakel' }),
      store: new SqliteStore({ file: join(dataDir, 'schakel.sqlite'), clock: () => storeNow }),
      today: () => new Date('2026-11-01T12:00:00Z'),
      now: () => new Date(beheerNow),
      // The transport reads the same clock as its store (leases, retries).
      transport: (store, logger) =>
        new EmbeddedTransport({
          store,
          adapters: defaultAdapterRegistry({ store }),
          destinations: config.destinations,
          retry: config.retry,
          concurrency: config.transport.concurrency,
          pollIntervalMs: config.transport.kind === 'embedded' ? config.transport.pollIntervalMs : 20,
          leaseMs: config.transport.leaseMs,
          logger,
          clock: () => storeNow,
        }),
    });
    await gateway.start();
    url = `http://127.0.0.1:${gateway.port}`;
  });

  afterAll(async () => {
    await gateway?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    nock.cleanAll();
    nock.enableNetConnect();
  });

  it('Easter: a WMO301 sent on Maundy Thursday is due at the end of the Thursday after Easter', async () => {
    // Thu 2027-03-25; Good Friday 26, Easter Monday 29: working days 30, 31 and 1 April.
    ids.easter = await sendAt('2027-03-25T09:00:00Z', 'DL-EASTER');
    const before = await lookAt('2027-04-01T21:00:00Z'); // Thu 1 April, 23:00 in Amsterdam
    expect(before.ids).not.toContain(ids.easter);
    expect(before.metric).toBe(0);
    expect(before.alerts).toEqual([]);

    const after = await lookAt('2027-04-02T07:00:00Z'); // Fri 2 April, 09:00
    expect(after.ids).toEqual([ids.easter]);
    expect(after.list.items[0]).toMatchObject({
      message: 'WMO301',
      answer: 'WMO302',
      party: '42420001',
      gemeente: '0384',
      workingDays: 3,
      due: '2027-04-01T22:00:00.000Z',
    });
    expect(after.list.perParty).toEqual([{ party: '42420001', count: 1 }]);
    expect(after.list.perGemeente).toEqual([{ gemeente: '0384', count: 1 }]);
    expect(after.metric).toBe(1);
    expect(after.alerts).toEqual([expect.objectContaining({ alert: 'answers-overdue', destination: '42420001' })]);
    expect(after.text).not.toContain(BSN);
  });

  it("King's Day: a WMO301 sent on the Friday before 27 April is due at the end of Thursday", async () => {
    // Fri 2027-04-23; Mon 26 (1), Tue 27 King's Day, Wed 28 (2), Thu 29 (3).
    ids.koning = await sendAt('2027-04-23T09:00:00Z', 'DL-KONING');
    const before = await lookAt('2027-04-29T21:00:00Z');
    expect(before.ids).toEqual([ids.easter]);
    const after = await lookAt('2027-04-30T07:00:00Z');
    expect(after.ids).toEqual([ids.easter, ids.koning]);
    expect(after.metric).toBe(2);
    expect(after.list.perParty).toEqual([{ party: '42420001', count: 2 }]);
    expect(after.alerts).toHaveLength(1);
  });
});
