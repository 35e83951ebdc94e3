/**
 * Security of the HTTP layer: authentication on every route but the public ones (found by walking the express
 * app), rate limits per caller and per client IP, security headers on every answer, no stack traces or
 * internal paths in error bodies, and a request id in every answer and every log line of its request.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';
import { makeExample } from '../../src/examples/examples.ts';
import { Gateway } from '../../src/gateway.ts';
import { createApp } from '../../src/http/app.ts';
import { openApiDocument } from '../../src/http/openapi.ts';
import { TokenBuckets } from '../../src/http/rate-limit.ts';
import { createLogger } from '../../src/log.ts';
import { hashPassword } from '../../src/security/passwords.ts';
import type { MessageStore } from '../../src/store/types.ts';
import { parseToTree } from '../../src/xml/parse.ts';
import { descendants, textAt, type XNode } from '../../src/xml/tree.ts';
import { daiRequest } from '../helpers/dai-adapter.ts';
import { KEYS, startTestGateway, type TestGateway, testConfigYaml } from '../helpers/gateway.ts';
import { writeTestPki } from '../helpers/pki.ts';
import { type RawAnswer, rawRequest } from '../helpers/raw-http.ts';
import { beheerSession as loginAs } from './support.ts';

/** A document that reaches validation and is refused there (422): the whole request path, nothing stored. */
const DOC = '<?xml version="1.0" encoding="UTF-8"?>\n<Bericht xmlns="urn:schakel:test"/>\n';
const BEHEER_USER = { name: 'anna', password: 'anna-wachtwoord-123' };
/** getMessage throws for this id, with a text that looks like a stack and internal paths. */
const EXPLODING_ID = 'explodes';
const EXPLOSION = 'kaboom at Object.<anonymous> (/work/main/src/store/sqlite.ts:12:3) node_modules/x.js:1:1';

/** Signs of a stack trace or an internal path in a text meant for a client. */
const INTERNALS = /\n\s*at |\bat [\w.<>$]+ \(|\/work\/|node_modules|\.[tj]s:\d|file:\/\/|kaboom/;

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

let g: TestGateway;

/** A store that fails on one id, as a broken database would. */
function explodingStore(inner: MessageStore): MessageStore {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'getMessage') {
        return async (id: string) => {
          if (id === EXPLODING_ID) throw new Error(EXPLOSION);
          return target.getMessage(id);
        };
      }
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

beforeAll(async () => {
  g = await startTestGateway({
    wrapStore: explodingStore,
    extraYaml: `beheer:
  users:
    - { name: ${BEHEER_USER.name}, role: beheerder, passwordHash: "${await hashPassword(BEHEER_USER.password)}" }
`,
  });
  cleanups.push(() => g.stop());
});

/** A request to the shared gateway; `key` null sends no credentials. */
function call(
  method: string,
  path: string,
  o: { key?: string | null; body?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<RawAnswer> {
  const key = o.key === undefined ? KEYS.wijkteam : o.key;
  return rawRequest(g.url + path, {
    method,
    headers: {
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...(o.body !== undefined ? { 'content-type': 'application/xml' } : {}),
      ...o.headers,
    },
    ...(o.body !== undefined ? { body: o.body } : {}),
  });
}

/** Logs in to beheer as the test's user. */
function beheerSession(url: string): Promise<{ cookie: string; csrf: string }> {
  return loginAs(url, BEHEER_USER);
}

// ---------------------------------------------------------------------------------------------------------
// The routes of the app, found by walking express's router stack.

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
  name?: string;
  rawPath?: string;
}
interface Endpoint {
  method: string;
  path: string;
}

function joinPath(prefix: string, p: string | undefined): string {
  const joined = `${prefix}/${p ?? ''}`.replace(/\/+/g, '/');
  return joined.length > 1 ? joined.replace(/\/$/, '') : joined;
}

/** Every route of an express app: its own, those of mounted routers (with their mount path), static folders. */
function endpointsOf(stack: Layer[], prefix = ''): Endpoint[] {
  const out: Endpoint[] = [];
  for (const l of stack) {
    if (l.route)
      for (const m of Object.keys(l.route.methods))
        out.push({ method: m.toUpperCase(), path: joinPath(prefix, l.route.path) });
    else if (l.handle?.stack) out.push(...endpointsOf(l.handle.stack, joinPath(prefix, l.rawPath)));
    else if (l.name === 'serveStatic') out.push({ method: 'GET', path: `${joinPath(prefix, l.rawPath)}/*` });
  }
  return out;
}

/** A concrete URL path for a route pattern: parameters filled in, a static folder's file. */
function concrete(e: Endpoint): string {
  if (e.path.endsWith('/*')) return e.path.replace(/\*$/, 'style.css');
  return e.path.replace(/:party\b/, 'zorg').replace(/[:*]\w+/g, 'x');
}

/**
 * The only routes anyone may call without credentials, each for a reason: probes, the API's own description
 * (no data), and the beheer login form with its stylesheet and script (there is no session before it).
 */
const PUBLIC = new Set([
  'GET /healthz',
  'GET /readyz',
  'GET /beheer/login',
  'POST /beheer/login',
  'GET /beheer/static/*',
]);

/**
 * The single sign-on flow is itself the way in: it needs no session (404 OIDC_NOT_CONFIGURED here, where no provider
 * is configured). Its refusals (state, code, nonce, no grant) are tested in tests/integration/beheer-oidc.test.ts.
 */
const SSO = new Set(['GET /beheer/oidc/login', 'GET /beheer/oidc/callback']);

describe('authentication on every endpoint', () => {
  let endpoints: Endpoint[];
  beforeAll(() => {
    const gw = g.gateway;
    const app = createApp({
      config: () => gw.config,
      logger: gw.logger,
      store: gw.store,
      validation: gw.validation,
      routes: () => gw.config.routes,
      onQueued: () => {},
      metrics: gw.metrics,
      beheer: gw.beheer,
    });
    endpoints = endpointsOf((app as unknown as { router: { stack: Layer[] } }).router.stack);
  });

  it('finds every route: the public ones, and every path of the OpenAPI description', () => {
    const found = new Set(endpoints.map((e) => `${e.method} ${e.path}`));
    for (const p of PUBLIC) expect(found, p).toContain(p);
    const doc = openApiDocument() as { paths: Record<string, Record<string, unknown>> };
    for (const [p, methods] of Object.entries(doc.paths)) {
      for (const m of Object.keys(methods).filter((k) => ['get', 'post', 'put', 'patch', 'delete'].includes(k))) {
        const route = `${m.toUpperCase()} ${p.replace(/\{(\w+)\}/g, ':$1')}`;
        expect(found, route).toContain(route);
      }
    }
    expect(endpoints.length).toBeGreaterThan(PUBLIC.size + 10);
  });

  it('every other route refuses a request without credentials: 401 UNAUTHENTICATED, or the login form for beheer pages', async () => {
    const guarded = endpoints.filter((e) => !PUBLIC.has(`${e.method} ${e.path}`) && !SSO.has(`${e.method} ${e.path}`));
    const outcomes: string[] = [];
    for (const e of guarded) {
      const a = await call(e.method, concrete(e), { key: null });
      const page = e.path.startsWith('/beheer');
      const ok = page
        ? a.status === 303 && a.headers.location === '/beheer/login'
        : a.status === 401 && a.json?.error?.code === 'UNAUTHENTICATED';
      if (!ok) outcomes.push(`${e.method} ${e.path}: ${a.status} ${a.text.slice(0, 120)}`);
    }
    expect(outcomes).toEqual([]);
  });

  it('and with a key that is not valid: 401 on every key-protected route', async () => {
    const keyed = endpoints.filter(
      (e) =>
        !PUBLIC.has(`${e.method} ${e.path}`) &&
        !SSO.has(`${e.method} ${e.path}`) &&
        !e.path.startsWith('/beheer') &&
        !e.path.startsWith('/api/beheer'),
    );
    expect(keyed.length).toBeGreaterThan(2);
    for (const e of keyed) {
      const a = await call(e.method, concrete(e), { key: 'not-a-key-anyone-has' });
      expect(`${e.method} ${e.path} ${a.status} ${a.json?.error?.code}`).toBe(
        `${e.method} ${e.path} 401 UNAUTHENTICATED`,
      );
    }
  });

  it('the single sign-on routes, without a provider configured, answer 404 OIDC_NOT_CONFIGURED and set no session', async () => {
    for (const p of SSO) {
      const [method, path] = p.split(' ') as [string, string];
      const a = await call(method, concrete({ method, path }), { key: null, headers: { accept: 'application/json' } });
      expect(`${p} ${a.status} ${a.json?.error?.code}`).toBe(`${p} 404 OIDC_NOT_CONFIGURED`);
      expect(String(a.headers['set-cookie'] ?? '')).not.toContain('schakel_beheer=');
    }
  });

  it('the public routes answer without credentials', async () => {
    for (const p of PUBLIC) {
      const [method, path] = p.split(' ') as [string, string];
      if (method !== 'GET') continue;
      const a = await call(method, concrete({ method, path }), { key: null });
      expect(`${p} ${a.status}`).toBe(`${p} 200`);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------

describe('rate limits', () => {
  describe('token buckets (a clock the test moves)', () => {
    it('allow the burst, then refuse with the wait until the next token, and refill over time', () => {
      let now = 0;
      const buckets = new TokenBuckets(() => now);
      const rate = { perMs: 2 / 1000, capacity: 3 }; // 2 per second, burst 3
      expect([0, 1, 2].map(() => buckets.take('a', rate))).toEqual([0, 0, 0]);
      expect(buckets.take('a', rate)).toBe(500);
      expect(buckets.take('b', rate)).toBe(0); // another key has its own bucket
      now += 499;
      expect(buckets.take('a', rate)).toBe(1);
      now += 1;
      expect(buckets.take('a', rate)).toBe(0);
      now += 60_000;
      expect([0, 1, 2, 3].map(() => buckets.take('a', rate))).toEqual([0, 0, 0, 500]); // never more than the burst
    });

    it('keep memory bounded: full buckets are swept, and past maxKeys the least recently used go', () => {
      let now = 0;
      const buckets = new TokenBuckets(() => now, 1000, 60_000);
      const rate = { perMs: 1 / 1000, capacity: 5 };
      for (let i = 0; i < 5000; i++) buckets.take(`ip-${i}`, rate);
      expect(buckets.size).toBeLessThanOrEqual(1000);
      expect(buckets.take('ip-4999', rate)).toBe(0); // a recent one is still counted: 2 of 5 tokens taken
      now += 60_000; // everything refilled: a sweep drops them all
      buckets.take('new', rate);
      expect(buckets.size).toBe(1);
    });
  });

  describe('over HTTP (server.rateLimit: 0.01/s, burst 3; 4 failures per client IP)', () => {
    let url: string;
    beforeAll(async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'schakel-ratelimit-'));
      const yaml = testConfigYaml({ dataDir }).replace(
        'requestTimeoutMs: 30000',
        'requestTimeoutMs: 30000\n  rateLimit: { perSecond: 0.01, burst: 3, failuresPerMinute: 0.06, failureBurst: 4 }',
      );
      const gateway = new Gateway({
        config: parseConfig(yaml, join(dataDir, 'test.yaml'), { env: {} }),
        logger: createLogger({ level: 'silent' }),
      });
      await gateway.start();
      url = `http://127.0.0.1:${gateway.port}`;
      cleanups.push(async () => {
        await gateway.stop();
        rmSync(dataDir, { recursive: true, force: true });
      });
    });
    const get = (path: string, key: string | null) =>
      rawRequest(url + path, { method: 'GET', headers: key ? { authorization: `Bearer ${key}` } : {} });

    it('per caller: after a burst of 3 the caller gets 429 RATE_LIMITED with Retry-After; other callers and /healthz do not', async () => {
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await get('/berichten/x', KEYS.wijkteam)).status);
      expect(statuses).toEqual([404, 404, 404]);
      const limited = await get('/berichten/x', KEYS.wijkteam);
      expect(limited.status).toBe(429);
      expect(limited.json.error).toMatchObject({ code: 'RATE_LIMITED', requestId: limited.headers['x-request-id'] });
      // One token per 100 s at 0.01/s.
      expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(90);
      expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(100);
      expect((await get('/berichten/x', KEYS.andereGemeente)).status).toBe(404);
      for (let i = 0; i < 5; i++) expect((await get('/healthz', null)).status).toBe(200);
    });

    it('per inbound party: its own bucket, limited the same way before the body is read', async () => {
      const post = () =>
        rawRequest(`${url}/inbound/zorg`, {
          headers: { authorization: `Bearer ${KEYS.zorg}`, 'content-type': 'application/xml' },
          body: DOC,
        });
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await post()).status);
      expect(statuses).toEqual([422, 422, 422, 429]);
    });

    it('per client IP: after 4 failed authentications even a valid key gets 429 (no key is checked); /healthz still answers', async () => {
      const failures = [];
      for (let i = 0; i < 4; i++) failures.push((await get('/berichten/x', `guess-${i}`)).status);
      expect(failures).toEqual([401, 401, 401, 401]);
      const blocked = await get('/berichten/x', KEYS.jeugd);
      expect(blocked.status).toBe(429);
      expect(blocked.json.error.code).toBe('RATE_LIMITED');
      expect(blocked.json.error.message).toMatch(/failed authentications/);
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThanOrEqual(900); // 0.06/min: one per 1000 s
      expect((await get('/healthz', null)).status).toBe(200);
      expect((await get('/readyz', null)).status).toBe(200);
    });
  });
});

// ---------------------------------------------------------------------------------------------------------

describe("SOAP requests not authenticated as the path's party (standards.md §5: cannot take responsibility → Fo03)", () => {
  const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
  const SOAP12 = 'http://www.w3.org/2003/05/soap-envelope';
  let url: string;
  beforeAll(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'schakel-soap-auth-'));
    // 8 failed authentications per client IP, refilled once per 1000 s: the test counts them.
    const yaml = testConfigYaml({ dataDir }).replace(
      'requestTimeoutMs: 30000',
      'requestTimeoutMs: 30000\n  rateLimit: { perSecond: 100, burst: 100, failuresPerMinute: 0.06, failureBurst: 8 }',
    );
    const gateway = new Gateway({
      config: parseConfig(yaml, join(dataDir, 'test.yaml'), { env: {} }),
      logger: createLogger({ level: 'silent' }),
    });
    await gateway.start();
    url = `http://127.0.0.1:${gateway.port}`;
    cleanups.push(async () => {
      await gateway.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });
  });

  const di01 = makeExample('ggk_Di01');
  const referentienummer = textAt(parseToTree(di01), 'stuurgegevens/referentienummer');
  const element = di01.replace(/^<\?xml[^>]*\?>\s*/, '');
  const envelope = (ns: string) =>
    `<?xml version="1.0" encoding="UTF-8"?>\n<soap:Envelope xmlns:soap="${ns}"><soap:Body>${element}</soap:Body></soap:Envelope>`;
  const send = (path: string, key: string | null, body: string, type = 'text/xml; charset=utf-8') =>
    rawRequest(url + path, {
      headers: { 'content-type': type, ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body,
    });

  /** The fault of a SOAP answer: its code, its text and the Fo03 in its detail. */
  function faultOf(a: RawAnswer): {
    ns: string | undefined;
    code: string | undefined;
    text: string | undefined;
    fo03: XNode | undefined;
  } {
    const root = parseToTree(a.text);
    const fault = descendants(root, 'Fault')[0];
    const v11 = root.ns === SOAP11;
    return {
      ns: root.ns,
      code: v11 ? textAt(fault, 'faultcode') : textAt(fault, 'Code/Value'),
      text: v11 ? textAt(fault, 'faultstring') : textAt(fault, 'Reason/Text'),
      fo03: descendants(root, 'Fo03Bericht')[0],
    };
  }

  it("no key, a wrong key, another party's key, an unknown party: the same 401 fault with Fo03 IB002 answering the Di01", async () => {
    const answers = [
      await send('/inbound/zorg', null, envelope(SOAP11)),
      await send('/inbound/zorg', 'not-a-key-anyone-has', envelope(SOAP11)),
      await send('/inbound/zorg', KEYS.jeugd, envelope(SOAP11)),
      await send('/inbound/nobody', KEYS.zorg, envelope(SOAP11)),
    ];
    const seen = answers.map((a) => {
      const f = faultOf(a);
      return [
        a.status,
        a.headers['content-type'],
        f.ns,
        f.code,
        f.text,
        textAt(f.fo03, 'body/code'),
        textAt(f.fo03, 'body/plek'),
        textAt(f.fo03, 'body/omschrijving'),
        textAt(f.fo03, 'stuurgegevens/crossRefnummer'),
        textAt(f.fo03, 'stuurgegevens/ontvanger/organisatie'),
      ];
    });
    expect(seen[0]!.slice(0, 7)).toEqual([
      401,
      'text/xml; charset=utf-8',
      SOAP11,
      'soap:Client',
      expect.stringMatching(/^IB002: not authorised/),
      'IB002',
      'client',
    ]);
    expect(seen[0]!.slice(8)).toEqual([referentienummer, '0363']);
    for (const s of seen) expect(s).toEqual(seen[0]);
    // Nothing about the configured parties: not their names, not whether the path's party exists.
    for (const a of answers)
      expect(a.text).not.toMatch(/zorg|jeugd|nobody|not valid here|UNAUTHENTICATED.*UNAUTHENTICATED/i);
  });

  it('SOAP 1.2 (application/soap+xml) and DAI (/dai/{party}) get the fault in their own SOAP', async () => {
    const v12 = await send('/inbound/zorg', null, envelope(SOAP12), 'application/soap+xml; charset=utf-8');
    const f12 = faultOf(v12);
    expect([v12.status, v12.headers['content-type'], f12.ns, f12.code, textAt(f12.fo03, 'body/code')]).toEqual([
      401,
      'application/soap+xml; charset=utf-8',
      SOAP12,
      'soap:Sender',
      'IB002',
    ]);

    const dai = daiRequest(di01, {
      to: 'urn:dkintern:42420001:GGk:',
      from: 'urn:dkintern:0363:Schakel:',
      action: 'urn:x',
      messageId: 'urn:dkintern:1@x',
    });
    const d = await send('/dai/zorg', 'not-a-key-anyone-has', dai);
    const fd = faultOf(d);
    expect([
      d.status,
      fd.ns,
      fd.code,
      textAt(fd.fo03, 'body/code'),
      textAt(fd.fo03, 'stuurgegevens/crossRefnummer'),
    ]).toEqual([401, SOAP11, 'soap:Client', 'IB002', referentienummer]);
  });

  it('a request that is no SOAP still gets the JSON 401; every refusal counted against the address (8 → then 429)', async () => {
    const plain = await send('/inbound/zorg', null, makeExample('WMO302'));
    expect([plain.status, plain.json?.error?.code]).toEqual([401, 'UNAUTHENTICATED']);
    const xmlType = await send('/inbound/zorg', null, envelope(SOAP11), 'application/xml');
    expect([xmlType.status, xmlType.json?.error?.code]).toEqual([401, 'UNAUTHENTICATED']);
    // 4 + 2 SOAP faults and 2 JSON refusals so far: the budget of 8 is used up, even for a valid key.
    const blocked = await send('/inbound/zorg', KEYS.zorg, envelope(SOAP11));
    expect([blocked.status, blocked.json?.error?.code]).toEqual([429, 'RATE_LIMITED']);
  });
});

// ---------------------------------------------------------------------------------------------------------

const EXPECTED_HEADERS: Record<string, string | RegExp> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
  'content-security-policy': /frame-ancestors 'none'/,
  'x-request-id': /^[\w.-]{1,64}$/,
};

function headerProblems(
  name: string,
  a: { headers: Record<string, string | string[] | undefined> },
  opts: { cacheable?: boolean; tls?: boolean } = {},
): string[] {
  const problems: string[] = [];
  for (const [h, want] of Object.entries(EXPECTED_HEADERS)) {
    const got = String(a.headers[h] ?? '');
    if (typeof want === 'string' ? got !== want : !want.test(got)) problems.push(`${name}: ${h} = "${got}"`);
  }
  if (!opts.cacheable && a.headers['cache-control'] !== 'no-store')
    problems.push(`${name}: cache-control = "${String(a.headers['cache-control'])}"`);
  const hsts = a.headers['strict-transport-security'];
  if (opts.tls ? !/max-age=\d{7,}/.test(String(hsts)) : hsts !== undefined)
    problems.push(`${name}: strict-transport-security = "${String(hsts)}"`);
  return problems;
}

describe('security headers on every answer', () => {
  it('success, refusal, 404, 500, beheer page and static file all carry them (no HSTS over plain HTTP)', async () => {
    const answers: [string, RawAnswer, { cacheable?: boolean }?][] = [
      ['healthz 200', await call('GET', '/healthz', { key: null })],
      ['openapi 200', await call('GET', '/openapi.json')],
      ['401', await call('POST', '/berichten', { key: null, body: DOC })],
      ['422', await call('POST', '/berichten', { body: DOC })],
      ['404 route', await call('GET', '/nope')],
      ['404 bericht', await call('GET', '/berichten/unknown-id')],
      ['500', await call('GET', `/berichten/${EXPLODING_ID}`)],
      ['beheer login page', await call('GET', '/beheer/login', { key: null })],
      ['beheer static', await call('GET', '/beheer/static/style.css', { key: null }), { cacheable: true }],
      ['beheer api 401', await call('GET', '/api/beheer/overzicht', { key: null })],
    ];
    expect(answers.map(([n, a]) => `${n}: ${a.status}`)).toEqual([
      'healthz 200: 200',
      'openapi 200: 200',
      '401: 401',
      '422: 422',
      '404 route: 404',
      '404 bericht: 404',
      '500: 500',
      'beheer login page: 200',
      'beheer static: 200',
      'beheer api 401: 401',
    ]);
    expect(answers.flatMap(([n, a, o]) => headerProblems(n, a, o))).toEqual([]);
    // The page keeps its own, stricter policy for scripts.
    expect(answers[7]![1].headers['content-security-policy']).toContain("script-src 'self'");
  });

  it('an answer Node itself gives (not HTTP at all) has the error shape, a request id and the headers', async () => {
    const url = new URL(g.url);
    const text = await new Promise<string>((resolve, reject) => {
      const s = net.connect(Number(url.port), url.hostname, () => s.write('NONSENSE / HTTP/9.9\r\n\r\n'));
      let got = '';
      s.on('data', (c) => (got += c.toString('utf8')));
      s.on('close', () => resolve(got));
      s.on('error', reject);
    });
    const [head, body] = text.split('\r\n\r\n') as [string, string];
    expect(head).toMatch(/^HTTP\/1\.1 400 /);
    const headers = Object.fromEntries(
      head
        .split('\r\n')
        .slice(1)
        .map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
    );
    expect(headerProblems('client error', { headers })).toEqual([]);
    expect(JSON.parse(body).error).toMatchObject({ code: 'BAD_REQUEST', requestId: headers['x-request-id'] });
  });

  it('over TLS (server.tls): Strict-Transport-Security as well', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'schakel-hsts-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const pki = writeTestPki(dir);
    const tlsGateway = await startTestGateway({
      serverTls: { profile: 'web', clientCertificates: 'none' },
      extraYaml: `
tls:
  profiles:
    - { id: web, cert: "${pki.server.cert}", key: "${pki.server.key}" }
`,
    });
    cleanups.push(() => tlsGateway.stop());
    expect(tlsGateway.url).toMatch(/^https:/);
    const get = (path: string) =>
      new Promise<{ status: number; headers: Record<string, string | string[] | undefined> }>((resolve, reject) => {
        https
          .get(`${tlsGateway.url}${path}`, { ca: pki.ca.certPem }, (res) => {
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
          })
          .on('error', reject);
      });
    const health = await get('/healthz');
    const refused = await get('/berichten/x');
    expect([health.status, refused.status]).toEqual([200, 401]);
    expect([
      ...headerProblems('tls healthz', health, { tls: true }),
      ...headerProblems('tls 401', refused, { tls: true }),
    ]).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------------

describe('no stack traces or internal paths in error bodies', () => {
  it('an exception in the store: 500 INTERNAL, a fixed text; the log has the error, with the request id', async () => {
    const a = await call('GET', `/berichten/${EXPLODING_ID}`, { headers: { 'x-request-id': 'sec-explode-1' } });
    expect(a.status).toBe(500);
    expect(a.json.error).toMatchObject({ code: 'INTERNAL', requestId: 'sec-explode-1' });
    expect(a.text).not.toMatch(INTERNALS);
    const logged = g.logs
      .map((l) => JSON.parse(l) as Record<string, any>)
      .filter((l) => l.requestId === 'sec-explode-1' && l.msg === 'request failed');
    expect(logged).toHaveLength(1);
    expect(logged[0]!.err.message).toContain('kaboom');
  });

  it('malformed JSON, an oversized JSON body, an unknown route and a broken path: 4xx with a code, nothing internal', async () => {
    const { cookie, csrf } = await beheerSession(g.url);
    const json = (body: string) =>
      rawRequest(`${g.url}/api/beheer/berichten/zoeken`, {
        headers: { cookie, 'x-csrf-token': csrf, 'content-type': 'application/json' },
        body,
      });
    const cases: [string, RawAnswer, number, string][] = [
      ['malformed JSON', await json('{"status": [unclosed'), 400, 'INVALID_JSON'],
      ['2 MB of JSON', await json(`{"x":"${'y'.repeat(2 * 1024 * 1024)}"}`), 413, 'BODY_TOO_LARGE'],
      ['unknown route', await call('GET', '/admin/../../etc/passwd'), 404, 'NOT_FOUND'],
      ['broken percent-encoding', await call('GET', '/berichten/%E0%A4%A'), 400, 'BAD_REQUEST'],
      ['unknown API route', await call('DELETE', '/berichten'), 404, 'NOT_FOUND'],
    ];
    for (const [name, a, status, code] of cases) {
      expect(`${name}: ${a.status} ${a.json?.error?.code}`).toBe(`${name}: ${status} ${code}`);
      expect(a.text, name).not.toMatch(INTERNALS);
      expect(a.json.error.requestId).toBe(a.headers['x-request-id']);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------

describe('request ids', () => {
  it('every answer carries one; a well-formed incoming X-Request-Id is kept, a hostile one replaced', async () => {
    const kept = await call('POST', '/berichten', { body: DOC, headers: { 'x-request-id': 'caller-trace-42' } });
    expect(kept.headers['x-request-id']).toBe('caller-trace-42');
    expect(kept.json.error.requestId).toBe('caller-trace-42');
    const hostile = await call('GET', '/healthz', {
      key: null,
      headers: { 'x-request-id': `x\u00e9"><script>${'a'.repeat(100)}` },
    });
    expect(hostile.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const generated = await Promise.all([call('GET', '/healthz'), call('GET', '/healthz')]);
    expect(generated[0]!.headers['x-request-id']).not.toBe(generated[1]!.headers['x-request-id']);
  });

  it("every log line written while requests are handled carries that request's id", async () => {
    const from = g.logs.length;
    const ids = ['log-422', 'log-401', 'log-404', 'log-500', 'log-json'];
    const { cookie, csrf } = await beheerSession(g.url);
    const before = g.logs.length; // the login's own lines are checked too, but by their generated ids
    await call('POST', '/berichten', { body: DOC, headers: { 'x-request-id': ids[0]! } });
    await call('POST', '/berichten', { key: null, body: DOC, headers: { 'x-request-id': ids[1]! } });
    await call('GET', '/berichten/unknown', { headers: { 'x-request-id': ids[2]! } });
    await call('GET', `/berichten/${EXPLODING_ID}`, { headers: { 'x-request-id': ids[3]! } });
    await rawRequest(`${g.url}/api/beheer/berichten/zoeken`, {
      headers: { cookie, 'x-csrf-token': csrf, 'content-type': 'application/json', 'x-request-id': ids[4]! },
      body: '{broken',
    });
    const lines = g.logs.slice(from).map((l) => JSON.parse(l) as { requestId?: string; msg: string });
    expect(lines.filter((l) => !l.requestId).map((l) => l.msg)).toEqual([]);
    const mine = g.logs.slice(before).map((l) => JSON.parse(l) as { requestId?: string; msg: string });
    for (const id of ids)
      expect(
        mine.filter((l) => l.requestId === id).map((l) => l.msg),
        id,
      ).toContain('request');
    expect(mine.filter((l) => l.requestId === ids[3]).map((l) => l.msg)).toContain('request failed');
    expect(mine.filter((l) => l.requestId === ids[0]).map((l) => l.msg)).toContain('bericht');
  });
});
