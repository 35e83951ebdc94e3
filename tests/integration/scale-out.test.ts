/**
 * Scale-out on the real services: two gateway instances as separate processes (`schakel serve`), one
 * PostgreSQL schema and one RabbitMQ queue prefix shared by both, a real HTTP receiver as the destination, and
 * distinct variants of the official WMO301 example posted half to each instance. Every accepted message must
 * be delivered, through a steady run, a RabbitMQ stop/start and the SIGKILL of an instance; duplicates (at
 * least once) are counted and printed.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../../src/security/api-keys.ts';
import { topology } from '../../src/transport/rabbitmq-topology.ts';
import { type Receiver, startReceiver } from '../helpers/http-receiver.ts';
import { rabbitmqctl, removeTopology } from '../helpers/rabbitmq.ts';
import {
  closeAgents,
  freePort,
  type Instance,
  instanceConfigYaml,
  OFFICIAL_WMO301,
  type PostResult,
  postBericht,
  readOfficialWmo301,
  runBounded,
  startInstance,
  wmo301Variant,
} from '../helpers/scale-out.ts';
import {
  AMQP_URL,
  brokerLock,
  createSchema,
  IN_CI,
  PG_URL,
  probePostgres,
  probeRabbitMq,
  servicesAvailable,
  uniqueName,
} from '../helpers/services.ts';

const available = await servicesAvailable('scale-out', probePostgres(), probeRabbitMq());
if (available && !existsSync(OFFICIAL_WMO301)) {
  if (IN_CI) throw new Error(`scale-out: the official example ${OFFICIAL_WMO301} is missing`);
  console.warn(`SKIPPED scale-out: the official example ${OFFICIAL_WMO301} is missing`);
}
const runnable = available && existsSync(OFFICIAL_WMO301);

const MESSAGES = 2000;
const CONCURRENCY = 32;
/** Longest wait for the deliveries of one scenario after its last post. */
const DELIVERY_DEADLINE_MS = 240_000;
const SCENARIO_TIMEOUT_MS = 600_000;
const SCRAPE_TOKEN = 'scale-out-test-scrape-token';

describe.skipIf(!runnable)('scale-out: two gateway processes sharing PostgreSQL and RabbitMQ', () => {
  const schema = uniqueName('schakel_scaleout');
  const prefix = uniqueName('schakel-scaleout');
  const instances = new Map<string, Instance>();
  let dropSchema: (() => Promise<void>) | undefined;
  let receiver: Receiver;
  let dir: string;
  let official: string;
  let db: pg.Client;

  async function start(name: string): Promise<Instance> {
    const port = await freePort();
    const yaml = instanceConfigYaml({
      port,
      dataDir: join(dir, `data-${name}`),
      receiverUrl: `${receiver.url}/berichten`,
      mode: 'scale-out',
      pgUrl: PG_URL,
      schema,
      amqpUrl: AMQP_URL,
      queuePrefix: prefix,
      leaseMs: 5000,
      extraYaml: `metrics:\n  bearerToken: "${hashApiKey(SCRAPE_TOKEN)}"\n`,
    });
    const instance = await startInstance(name, yaml, join(dir, `${name}.yaml`), port);
    instances.set(name, instance);
    return instance;
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'schakel-scaleout-'));
    official = readOfficialWmo301();
    dropSchema = await createSchema(schema);
    db = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` });
    await db.connect();
    receiver = await startReceiver(() => ({ status: 200 }));
    await Promise.all([start('a'), start('b')]);
  }, 180_000);

  afterAll(async () => {
    for (const i of instances.values()) await i.stop();
    closeAgents();
    await receiver?.close();
    await db?.end();
    await dropSchema?.();
    await removeTopology(topology(prefix, { baseDelayMs: 100, maxDelayMs: 2000 }, 20), ['receiver']).catch(
      () => undefined,
    );
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  const urls = () =>
    [...instances.values()].filter((i) => i.child.exitCode === null && i.child.signalCode === null).map((i) => i.url);

  /**
   * Posts `count` distinct variants, even ones to instance a and odd ones to b, CONCURRENCY at a time. A post
   * whose instance is gone (network error) is posted again to a live one, as a client would. Returns the ids
   * of every accepted message (202, or 200 for a repeat of one the dead instance had stored).
   */
  async function load(tag: string, count: number, during?: (done: number) => void): Promise<string[]> {
    const results = await runBounded(
      count,
      CONCURRENCY,
      async (i): Promise<PostResult> => {
        const body = wmo301Variant(official, `${tag}${String(i).padStart(5, '0')}`);
        const preferred = [instances.get('a')!.url, instances.get('b')!.url][i % 2]!;
        let result = await postBericht(preferred, body);
        for (let retry = 0; result.status === 0 && retry < 5; retry++) {
          const alive = urls();
          if (alive.length === 0) break;
          result = await postBericht(alive[retry % alive.length]!, body);
        }
        return result;
      },
      (_r, _i, done) => during?.(done),
    );
    const statuses = new Map<number, number>();
    for (const r of results) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    const unexpected = results.filter((r) => r.status !== 202 && r.status !== 200);
    expect(unexpected, `statuses ${JSON.stringify([...statuses])}`).toEqual([]);
    return results.map((r) => r.id!);
  }

  /** The delivered attempts an instance recorded since it started (its /metrics). */
  async function deliveredBy(instance: Instance): Promise<number> {
    const r = await fetch(`${instance.url}/metrics`, { headers: { authorization: `Bearer ${SCRAPE_TOKEN}` } });
    expect(r.status).toBe(200);
    const line = /^schakel_delivery_attempts_total\{destination="receiver",outcome="delivered"\} (\d+)$/m.exec(
      await r.text(),
    );
    return Number(line?.[1] ?? 0);
  }

  /** Waits (bounded) until the receiver has every id; then checks the store agrees; returns the duplicates. */
  async function expectAllDelivered(scenario: string, ids: string[]): Promise<number> {
    const wanted = new Set(ids);
    const deadline = Date.now() + DELIVERY_DEADLINE_MS;
    const received = () =>
      new Set(receiver.requests.map((r) => String(r.headers['x-schakel-id'])).filter((id) => wanted.has(id)));
    while (received().size < wanted.size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    const missing = [...wanted].filter((id) => !received().has(id));
    expect(missing, `${scenario}: ${missing.length} accepted messages never delivered`).toEqual([]);
    const { rows } = await db.query<{ status: string; n: number }>(
      'SELECT status, COUNT(*)::int AS n FROM messages WHERE id = ANY($1::text[]) GROUP BY status',
      [[...wanted]],
    );
    // The receiver has them all; the queued → delivered records follow within the same deadline.
    const recordDeadline = Date.now() + 60_000;
    let counts = rows;
    while (!(counts.length === 1 && counts[0]!.status === 'delivered') && Date.now() < recordDeadline) {
      await new Promise((r) => setTimeout(r, 250));
      counts = (
        await db.query<{ status: string; n: number }>(
          'SELECT status, COUNT(*)::int AS n FROM messages WHERE id = ANY($1::text[]) GROUP BY status',
          [[...wanted]],
        )
      ).rows;
    }
    expect(counts).toEqual([{ status: 'delivered', n: wanted.size }]);
    const requests = receiver.requests.filter((r) => wanted.has(String(r.headers['x-schakel-id']))).length;
    const duplicates = requests - wanted.size;
    console.log(
      `scale-out: ${scenario}: accepted ${wanted.size}, delivered ${wanted.size}, duplicates delivered: ${duplicates}`,
    );
    return duplicates;
  }

  it(
    'stores one message when the same bericht reaches both instances (202 then 200; other content 409)',
    async () => {
      const [a, b] = [instances.get('a')!, instances.get('b')!];
      for (let k = 0; k < 10; k++) {
        const body = wmo301Variant(official, `IDEM${k}`);
        const both = await Promise.all([postBericht(a.url, body), postBericht(b.url, body)]);
        expect(both.map((r) => r.status).sort()).toEqual([200, 202]);
        expect(both[0]!.id).toBe(both[1]!.id);
        expect((await postBericht(k % 2 ? a.url : b.url, body)).status).toBe(200);
        const other = body.replace(
          '<wmo301:Commentaar>Client commentaar</wmo301:Commentaar>',
          `<wmo301:Commentaar>anders ${k}</wmo301:Commentaar>`,
        );
        expect(other).not.toBe(body);
        expect((await postBericht(k % 2 ? b.url : a.url, other)).status).toBe(409);
        const { rows } = await db.query<{ n: number }>(
          "SELECT COUNT(*)::int AS n FROM messages WHERE bericht_identificatie = $1 AND status <> 'rejected'",
          [`IDEM${k}`],
        );
        expect(rows[0]!.n).toBe(1);
      }
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    `delivers every accepted message of ${MESSAGES} posted half to each instance`,
    async () => {
      const both = () => Promise.all(['a', 'b'].map((name) => deliveredBy(instances.get(name)!)));
      const before = await both();
      const ids = await load('ST', MESSAGES);
      expect(new Set(ids).size).toBe(MESSAGES);
      await expectAllDelivered('steady', ids);
      // Both instances delivered: the work queue is shared (each counts the deliveries its consumers completed).
      const delivered = (await both()).map((n, i) => n - before[i]!);
      expect(Math.min(...delivered), `delivered per instance ${delivered}`).toBeGreaterThan(0);
      expect(delivered[0]! + delivered[1]!).toBeGreaterThanOrEqual(MESSAGES);
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    'loses nothing when RabbitMQ is stopped and started during the load',
    async () => {
      const release = await brokerLock('exclusive');
      try {
        let stopped: Promise<void> | undefined;
        const ids = await load('BR', MESSAGES, (done) => {
          if (done === Math.floor(MESSAGES / 4) && !stopped) {
            stopped = (async () => {
              await rabbitmqctl('stop_app');
              // The gateways keep accepting: ingest needs only PostgreSQL, the outbox holds the rest.
              await new Promise((r) => setTimeout(r, 3000));
              await rabbitmqctl('start_app');
              await rabbitmqctl('await_startup');
            })();
          }
        });
        expect(stopped).toBeDefined();
        await stopped;
        await expectAllDelivered('rabbitmq stop_app/start_app', ids);
        // The broker really went away under both instances, and they came back to it.
        for (const i of instances.values()) {
          expect(
            i.output.some((l) => l.includes('lost the connection to RabbitMQ')),
            `${i.name} saw no broker outage`,
          ).toBe(true);
        }
      } finally {
        // Never leave the broker down for the next test file.
        await rabbitmqctl('start_app').catch(() => undefined);
        await release();
      }
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    'loses nothing when one instance is killed with SIGKILL during the load',
    async () => {
      let killed: Promise<void> | undefined;
      const ids = await load('KL', MESSAGES, (done) => {
        if (done === Math.floor(MESSAGES / 3) && !killed) killed = instances.get('b')!.kill();
      });
      expect(killed).toBeDefined();
      await killed;
      expect(instances.get('b')!.child.signalCode).toBe('SIGKILL');
      // Instance a takes over what b had leased once b's leases run out (5 s here).
      await expectAllDelivered('SIGKILL of one instance', ids);
    },
    SCENARIO_TIMEOUT_MS,
  );
});
