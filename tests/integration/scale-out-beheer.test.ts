/**
 * Beheer over two instances (issue 15 part 3, "Must show"): two `schakel serve` processes share one PostgreSQL
 * schema and one RabbitMQ queue prefix, as behind a load balancer. A beheerder logs in once on a; every
 * following request alternates a/b with the same cookie and never gets a 401; a bulk job started on a is followed
 * to the end on b (progress and per-message results); a lockout reached by failures spread over a and b holds on
 * both; logging out on b ends the session on a.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topology } from '../../src/transport/rabbitmq-topology.ts';
import { beheerUsersYaml, loginBeheer } from '../helpers/beheer-client.ts';
import { eventually } from '../helpers/gateway.ts';
import { type Receiver, startReceiver } from '../helpers/http-receiver.ts';
import { removeTopology } from '../helpers/rabbitmq.ts';
import { hasReference, istandaardExample, skipReason } from '../helpers/reference.ts';
import {
  closeAgents,
  freePort,
  type Instance,
  instanceConfigYaml,
  LOAD_KEY,
  postBericht,
  startInstance,
  wmo301Variant,
} from '../helpers/scale-out.ts';
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

const available = await servicesAvailable('scale-out beheer', probePostgres(), probeRabbitMq());

const USERS = {
  anna: { password: 'anna-wachtwoord-lang-genoeg', role: 'beheerder' },
  bert: { password: 'bert-wachtwoord-lang-genoeg', role: 'viewer' },
};
const MESSAGES = 40;
const CALLER_BURST = 30;
const FAILURE_BURST = 10;
const WAIT = { timeoutMs: 60_000, intervalMs: 100 };

interface Answer {
  status: number;
  body: any;
  text: string;
}

const SUITE = `beheer with two gateway processes on PostgreSQL and RabbitMQ${hasReference ? '' : ` (${skipReason})`}`;

describe.skipIf(!available || !hasReference)(SUITE, () => {
  const schema = uniqueName('schakel_beheer2');
  const prefix = uniqueName('schakel-beheer2');
  const instances: Instance[] = [];
  let dropSchema: (() => Promise<void>) | undefined;
  let releaseBroker: (() => Promise<void>) | undefined;
  let receiver: Receiver;
  let dir: string;

  async function start(name: string, usersYaml: string): Promise<Instance> {
    const port = await freePort();
    const yaml = instanceConfigYaml({
      port,
      dataDir: join(dir, `data-${name}`),
      receiverUrl: receiver.url,
      mode: 'scale-out',
      pgUrl: PG_URL,
      schema,
      amqpUrl: AMQP_URL,
      queuePrefix: prefix,
      concurrency: 4,
      extraYaml: `${usersYaml}  jobConcurrency: 2\n`,
    });
    // Addresses from X-Forwarded-For (sent by this test only); a small failure budget; per caller a bucket of
    // CALLER_BURST that hardly refills, so that what one instance allows can be counted.
    const limited = yaml.replace(
      '  rateLimit: { perSecond: 1000000, burst: 1000000 }',
      `  trustProxy: loopback\n  rateLimit: { perSecond: 0.001, burst: ${CALLER_BURST}, failureBurst: ${FAILURE_BURST}, failuresPerMinute: 1 }`,
    );
    expect(limited).not.toBe(yaml);
    const instance = await startInstance(name, limited, join(dir, `${name}.yaml`), port);
    instances.push(instance);
    return instance;
  }

  beforeAll(async () => {
    releaseBroker = await brokerLock('shared');
    dir = mkdtempSync(join(tmpdir(), 'schakel-beheer2-'));
    dropSchema = await createSchema(schema);
    receiver = await startReceiver(() => ({ status: 200, body: 'ontvangen' }));
    const users = await beheerUsersYaml(USERS);
    // One after the other: the first runs the schema's migrations.
    await start('a', users);
    await start('b', users);
  }, 180_000);

  afterAll(async () => {
    closeAgents();
    for (const i of instances) await i.stop();
    await receiver?.close();
    await dropSchema?.();
    await removeTopology(topology(prefix, { baseDelayMs: 100, maxDelayMs: 2000 }, 20), ['receiver']).catch(
      () => undefined,
    );
    await releaseBroker?.();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  /** A beheer API call with this cookie (and CSRF token) on one instance. */
  async function call(base: string, cookie: string, csrf: string, method: string, path: string, body?: unknown) {
    const r = await fetch(base + path, {
      method,
      redirect: 'manual',
      headers: {
        cookie,
        'x-csrf-token': csrf,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await r.text();
    return { status: r.status, text, body: text.startsWith('{') ? JSON.parse(text) : text } as Answer;
  }

  /** A login through the form on `base`: the status of the POST. */
  async function tryLogin(base: string, name: string, password: string): Promise<number> {
    const page = await fetch(`${base}/beheer/login`);
    const formCookie = page.headers
      .getSetCookie()
      .find((c) => c.startsWith('schakel_login='))!
      .split(';')[0]!;
    const token = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!;
    const res = await fetch(`${base}/beheer/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: formCookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: token, name, password }),
    });
    await res.arrayBuffer();
    return res.status;
  }

  it('logged in once on a, every request alternating a/b is served; a job started on a is followed to the end on b; logout on b ends it on a', async () => {
    const [a, b] = [instances[0]!, instances[1]!];
    const official = istandaardExample('WMO301');
    const posted = await Promise.all(
      Array.from({ length: MESSAGES }, (_, i) =>
        postBericht(i % 2 ? a.url : b.url, wmo301Variant(official, `BH2-${i}`)),
      ),
    );
    expect(posted.map((p) => p.status)).toEqual(posted.map(() => 202));

    const anna = await loginBeheer(a.url, 'anna', USERS.anna.password);
    const statuses: number[] = [];
    let turn = 0;
    const alternate = async (method: string, path: string, body?: unknown) => {
      const base = turn++ % 2 === 0 ? b.url : a.url;
      const r = await call(base, anna.cookie, anna.csrf, method, path, body);
      statuses.push(r.status);
      return r;
    };

    // All delivered, as either instance reports it.
    await eventually(async () => {
      const r = await alternate('GET', '/api/beheer/berichten?status=delivered&limit=1');
      return r.status === 200 && r.body.total === MESSAGES;
    }, WAIT);
    for (let i = 0; i < 6; i++) {
      const r = await alternate('GET', '/api/beheer/session');
      expect(r.status, r.text).toBe(200);
      expect(r.body).toMatchObject({ user: 'anna', role: 'beheerder', csrfToken: anna.csrf });
    }

    // The job is started on a …
    turn = 1;
    const started = await alternate('POST', '/api/beheer/jobs', {
      action: 'resend',
      filter: { status: ['delivered'] },
    });
    expect(started.status, started.text).toBe(202);
    const jobId = started.body.jobId as string;
    expect(started.body.total).toBe(MESSAGES);
    // … and followed on b (and, in between, on a) until it is done.
    const seen: number[] = [];
    const finished = await eventually(async () => {
      const r = await alternate('GET', `/api/beheer/jobs/${jobId}`);
      expect(r.status, r.text).toBe(200);
      seen.push(r.body.done as number);
      return r.body.state === 'done' ? r.body : false;
    }, WAIT);
    expect(seen).toEqual([...seen].sort((x, y) => x - y));
    expect(finished).toMatchObject({ total: MESSAGES, done: MESSAGES, ok: MESSAGES, failed: 0, action: 'resend' });
    expect(finished.results).toHaveLength(MESSAGES);
    expect(new Set(finished.results.map((r: { id: string }) => r.id))).toEqual(new Set(posted.map((p) => p.id)));
    expect(finished.results.every((r: { ok: boolean; status: string }) => r.ok && r.status === 'queued')).toBe(true);
    for (const base of [a.url, b.url]) {
      const list = await call(base, anna.cookie, anna.csrf, 'GET', '/api/beheer/jobs');
      statuses.push(list.status);
      expect(list.body.jobs.map((j: { id: string; state: string }) => [j.id, j.state])).toEqual([[jobId, 'done']]);
    }
    // The resent messages go out again.
    await eventually(() => receiver.requests.length >= 2 * MESSAGES, WAIT);

    expect(statuses.length).toBeGreaterThan(12);
    expect(statuses.filter((s) => s !== 200 && s !== 202)).toEqual([]);

    // Logout on b (a plain form with the CSRF field): the session is gone on a too.
    const out = await fetch(`${b.url}/beheer/logout`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: anna.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: anna.csrf }),
    });
    expect(out.status).toBe(303);
    for (const base of [a.url, b.url]) {
      const r = await call(base, anna.cookie, anna.csrf, 'GET', '/api/beheer/session');
      expect(r.status).toBe(401);
      expect(r.body.error.code).toBe('UNAUTHENTICATED');
    }
  }, 180_000);

  it('a lockout reached by failures spread over a and b holds on both, also for the right password', async () => {
    const [a, b] = [instances[0]!, instances[1]!];
    const failures: number[] = [];
    for (let i = 0; i < 5; i++) failures.push(await tryLogin(i % 2 ? a.url : b.url, 'bert', `fout-${i}`));
    expect(failures).toEqual([401, 401, 401, 401, 401]);
    expect(await tryLogin(a.url, 'bert', USERS.bert.password)).toBe(429);
    expect(await tryLogin(b.url, 'bert', USERS.bert.password)).toBe(429);
    // Another user is not locked out.
    const anna = await loginBeheer(b.url, 'anna', USERS.anna.password);
    expect((await call(a.url, anna.cookie, anna.csrf, 'GET', '/api/beheer/session')).status).toBe(200);
  }, 120_000);

  it("a caller's request bucket is each instance's own (no store round trip on the hot path)", async () => {
    const [a, b] = [instances[0]!, instances[1]!];
    // The holder bucket of /openapi.json (not the ingest one the first test used).
    const allowed = async (base: string) => {
      let n = 0;
      for (let i = 0; i < CALLER_BURST + 5; i++) {
        const r = await fetch(`${base}/openapi.json`, { headers: { authorization: `Bearer ${LOAD_KEY}` } });
        await r.arrayBuffer();
        if (r.status === 429) return n;
        expect(r.status).toBe(200);
        n++;
      }
      return n;
    };
    // Documented (docs/scale-out.md): with n instances a caller may make n × burst at once, n × perSecond sustained.
    expect(await allowed(a.url)).toBe(CALLER_BURST);
    expect(await allowed(b.url)).toBe(CALLER_BURST);
  }, 120_000);

  it('failed authentications from one address are counted for both instances: refused on both once they add up to the burst', async () => {
    const [a, b] = [instances[0]!, instances[1]!];
    const get = async (base: string, address: string, key: string) => {
      const r = await fetch(`${base}/openapi.json`, {
        headers: { 'x-forwarded-for': address, authorization: `Bearer ${key}` },
      });
      await r.arrayBuffer();
      return r.status;
    };
    // Half the burst on each instance: neither instance's own bucket is empty, the shared one is.
    const statuses: number[] = [];
    for (let i = 0; i < FAILURE_BURST; i++) statuses.push(await get(i % 2 ? a.url : b.url, '203.0.113.7', `fout-${i}`));
    expect(statuses).toEqual(statuses.map(() => 401));
    // Within a sync interval both refuse the address, even with a right key; another address is not refused.
    for (const base of [a.url, b.url]) {
      await eventually(async () => (await get(base, '203.0.113.7', LOAD_KEY)) === 429, WAIT);
      // (A wrong key: the caller's own bucket was drained by the test before.)
      expect(await get(base, '203.0.113.8', 'fout')).toBe(401);
    }
  }, 120_000);
});
