/**
 * TR507 across instances (issue 13, "Must show"): two `schakel serve` processes share one PostgreSQL schema and
 * one RabbitMQ queue prefix. TKB #1 for a budget goes to instance a, TKB #2 for the same (Afzender, Bsn,
 * BudgetIdentificatie) to instance b: the SVB gets #1 only, #2 is held (on_hold, "wacht op retour van <#1>")
 * as both instances report it, until the SVB's WMO502 for #1 arrives at instance b; then #2 is delivered, after
 * #1. The single-process version is in chain-memory.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build, DEFAULT_FUNCTIE, TEST_BSN } from '../../src/examples/ieb-ipgb.ts';
import { hashApiKey } from '../../src/security/api-keys.ts';
import { topology } from '../../src/transport/rabbitmq-topology.ts';
import { eventually, KEYS, testConfigYaml } from '../helpers/gateway.ts';
import { type Receiver, startReceiver } from '../helpers/http-receiver.ts';
import { removeTopology } from '../helpers/rabbitmq.ts';
import { freePort, type Instance, instanceConfigYaml, startInstance } from '../helpers/scale-out.ts';
import {
  AMQP_URL,
  brokerLock,
  createSchema,
  PG_URL,
  probePostgres,
  probeRabbitMq,
  servicesAvailable,
  uniqueName,
} from '../helpers/services.ts';

const available = await servicesAvailable('scale-out TR507', probePostgres(), probeRabbitMq());

const SVB_KEY = 'test-key-svb-scale-out-tr507';
const RETRY = { baseDelayMs: 20, maxDelayMs: 200 };
const MAX_ATTEMPTS = 5;
const DESTINATIONS = ['zorg', 'jeugd', 'gemeente-retour', 'gemeente-inbox', 'svb'];
const WAIT = { timeoutMs: 60_000, intervalMs: 200 };

describe.skipIf(!available)('TR507 with two gateway processes on PostgreSQL and RabbitMQ', () => {
  const schema = uniqueName('schakel_tr507');
  const prefix = uniqueName('schakel-tr507');
  const instances: Instance[] = [];
  let dropSchema: (() => Promise<void>) | undefined;
  let releaseBroker: (() => Promise<void>) | undefined;
  let receiver: Receiver;
  let dir: string;

  /** The chain-memory configuration (SVB party, its inbound key, the iPgb route), on the shared services. */
  async function start(name: string): Promise<Instance> {
    const port = await freePort();
    const dataDir = join(dir, `data-${name}`);
    const embedded = testConfigYaml({
      dataDir,
      port,
      maxAttempts: MAX_ATTEMPTS,
      destinations: {
        zorg: `${receiver.url}/zorg`,
        jeugd: `${receiver.url}/jeugd`,
        gemeenteRetour: `${receiver.url}/gemeente-retour`,
        gemeenteInbox: `${receiver.url}/gemeente-inbox`,
      },
      extraParties: ['{ id: svb, kind: svb, codes: { organisatie: [SVB] } }'],
      extraInbound: [`{ party: svb, apiKeys: ["${hashApiKey(SVB_KEY)}"], messages: [WMO502] }`],
      extraDestinations: [`{ id: svb, adapter: webhook, url: "${receiver.url}/svb", timeoutMs: 5000 }`],
      routes: [
        '{ direction: retour, afzender: "0363", destination: gemeente-retour }',
        '{ standard: ipgb, message: WMO501, destination: svb }',
      ],
    });
    // The store and transport sections of the scale-out helper replace the embedded transport.
    const scaleOut = instanceConfigYaml({
      port,
      dataDir,
      receiverUrl: receiver.url,
      mode: 'scale-out',
      pgUrl: PG_URL,
      schema,
      amqpUrl: AMQP_URL,
      queuePrefix: prefix,
      concurrency: 4,
    });
    const transport = /\ntransport:\n {2}kind: embedded\n(?: {2}.*\n)*/;
    expect(embedded).toMatch(transport);
    const yaml = `${embedded.replace(transport, '\n')}\n${scaleOut.slice(scaleOut.indexOf('\nstore:\n') + 1)}`;
    const instance = await startInstance(name, yaml, join(dir, `${name}.yaml`), port);
    instances.push(instance);
    return instance;
  }

  beforeAll(async () => {
    releaseBroker = await brokerLock('shared');
    dir = mkdtempSync(join(tmpdir(), 'schakel-tr507-'));
    dropSchema = await createSchema(schema);
    receiver = await startReceiver(() => ({ status: 200, body: 'ontvangen' }));
    // One after the other: the first runs the schema's migrations.
    await start('a');
    await start('b');
  }, 180_000);

  afterAll(async () => {
    for (const i of instances) await i.stop();
    await receiver?.close();
    await dropSchema?.();
    await removeTopology(topology(prefix, RETRY, MAX_ATTEMPTS), DESTINATIONS).catch(() => undefined);
    await releaseBroker?.();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  const call = async (base: string, path: string, key: string, body?: string) => {
    const res = await fetch(base + path, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/xml' }) },
      ...(body === undefined ? {} : { body }),
    });
    const text = await res.text();
    return { status: res.status, text, body: text.startsWith('{') ? JSON.parse(text) : text };
  };
  const statusOf = async (base: string, id: string) => {
    const r = await call(base, `/berichten/${id}`, KEYS.andereGemeente);
    expect(r.status, r.text).toBe(200);
    return r.body as { status: string; statusReason: string | null; answer: { id: string } | null };
  };
  /** The TKB identificaties the SVB received, in order. */
  const toSvb = () =>
    receiver.requests
      .filter((r) => r.path === '/svb')
      .map((r) => /TKB-507-[12]/.exec(r.body.toString('utf8'))?.[0])
      .filter((x) => x !== undefined);

  it("holds the second TKB on a budget, posted to the other instance, until the first one's retour arrives", async () => {
    const [a, b] = [instances[0]!, instances[1]!];
    const client = { bsn: TEST_BSN, budget: 'PGB-507-S', functies: [DEFAULT_FUNCTIE] };
    const first = await call(
      a.url,
      '/berichten',
      KEYS.andereGemeente,
      build('WMO501', { identificatie: 'TKB-507-1', tkb: [client] }),
    );
    expect(first.status, first.text).toBe(202);
    const firstId = first.body.id as string;
    const second = await call(
      b.url,
      '/berichten',
      KEYS.andereGemeente,
      build('WMO501', { identificatie: 'TKB-507-2', tkb: [client] }),
    );
    expect(second.status, second.text).toBe(202);
    const secondId = second.body.id as string;
    await eventually(async () => (await statusOf(b.url, firstId)).status === 'delivered', WAIT);
    // Both instances read the same store: #2 is held, waiting for #1's retour.
    for (const base of [a.url, b.url]) {
      const held = await statusOf(base, secondId);
      expect(held.status).toBe('on_hold');
      expect(held.statusReason).toBe(`wacht op retour van ${firstId}`);
    }
    // Held, not delivered: give the transports time to do something wrong, then the SVB still has #1 only.
    await new Promise((r) => setTimeout(r, 2000));
    expect((await statusOf(a.url, secondId)).status).toBe('on_hold');
    expect(toSvb()).toEqual(['TKB-507-1']);

    const retour = await call(
      b.url,
      '/inbound/svb',
      SVB_KEY,
      build('WMO502', { identificatie: 'TKB-507-1', tkb: [client] }),
    );
    expect(retour.status, retour.text).toBe(202);
    await eventually(async () => (await statusOf(a.url, firstId)).answer?.id === retour.body.id, WAIT);
    await eventually(async () => (await statusOf(b.url, secondId)).status === 'delivered', WAIT);
    expect((await statusOf(a.url, secondId)).status).toBe('delivered');
    await eventually(() => toSvb().length >= 2, WAIT);
    expect(toSvb()).toEqual(['TKB-507-1', 'TKB-507-2']);
  }, 240_000);
});
