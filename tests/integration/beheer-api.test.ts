/**
 * The beheer API and /metrics over real HTTP, without a browser: login and its protections, sessions, CSRF,
 * roles, the BSN rules, bulk limits, and what the metrics say after real traffic.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../../src/security/api-keys.ts';
import { hashPassword } from '../../src/security/passwords.ts';
import type { SqliteStore } from '../../src/store/sqlite.ts';
import { eventually, KEYS, startTestGateway, type TestGateway, withIdentificatie } from '../helpers/gateway.ts';
import { type Receiver, startReceiver } from '../helpers/http-receiver.ts';
import { hasReference, istandaardExample, skipReason } from '../helpers/reference.ts';

const SCRAPE_TOKEN = 'scrape-token-for-tests-0123456789';
const BSN = '999900006';

let g: TestGateway;
let receiver: Receiver;
let wmo301 = '';

/** A logged-in beheer user as an HTTP client: session cookie and CSRF token. */
interface Client {
  cookie: string;
  csrf: string;
  call(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: any; text: string; headers: Headers }>;
}

async function loginForm(): Promise<{ cookie: string; token: string }> {
  const page = await fetch(`${g.url}/beheer/login`);
  expect(page.status).toBe(200);
  const cookie = page.headers
    .getSetCookie()
    .find((c) => c.startsWith('schakel_login='))!
    .split(';')[0]!;
  const token = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!;
  return { cookie, token };
}

async function submitLogin(name: string, password: string, form?: { cookie: string; token: string }) {
  const f = form ?? (await loginForm());
  return fetch(`${g.url}/beheer/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: f.cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: f.token, name, password }),
  });
}

async function login(name: string, password: string): Promise<Client> {
  const res = await submitLogin(name, password);
  expect(res.status).toBe(303);
  const cookie = res.headers
    .getSetCookie()
    .find((c) => c.startsWith('schakel_beheer='))!
    .split(';')[0]!;
  const call: Client['call'] = async (method, p, body, headers = {}) => {
    const r = await fetch(g.url + p, {
      method,
      redirect: 'manual',
      headers: { cookie, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    return {
      status: r.status,
      text,
      headers: r.headers,
      body: (r.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text,
    };
  };
  const session = await call('GET', '/api/beheer/session');
  expect(session.status).toBe(200);
  return { cookie, csrf: session.body.csrfToken as string, call };
}

const USERS = {
  anna: { password: 'anna-wachtwoord', role: 'beheerder' },
  victor: { password: 'victor-wachtwoord', role: 'viewer' },
  bram: { password: 'bram-wachtwoord', role: 'beheerder' },
  lock: { password: 'lock-wachtwoord', role: 'viewer' },
};

describe.skipIf(!hasReference)(`beheer API${hasReference ? '' : ` (${skipReason})`}`, () => {
  beforeAll(async () => {
    wmo301 = istandaardExample('WMO301');
    receiver = await startReceiver(() => ({ status: 503, body: `niet nu (${BSN})` }));
    const users = await Promise.all(
      Object.entries(USERS).map(
        async ([name, u]) =>
          `    - { name: ${name}, role: ${u.role}, passwordHash: "${await hashPassword(u.password)}" }`,
      ),
    );
    const base = receiver.url;
    g = await startTestGateway({
      destinations: {
        zorg: `${base}/zorg`,
        jeugd: `${base}/jeugd`,
        gemeenteRetour: `${base}/retour`,
        gemeenteInbox: `${base}/inbox`,
      },
      maxAttempts: 1,
      extraYaml: `beheer:
  users:
${users.join('\n')}
  jobMaxMessages: 2
  secureCookie: always
metrics:
  bearerToken: "${hashApiKey(SCRAPE_TOKEN)}"
alerts:
  unhealthyAfterFailures: 3
`,
    });
  });

  afterAll(async () => {
    await g?.stop();
    await receiver?.close();
  });

  it('without a session: the page sends you to the login form, the API answers 401', async () => {
    const page = await fetch(`${g.url}/beheer`, { redirect: 'manual' });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/beheer/login');
    const api = await g.get('/api/beheer/overzicht', null);
    expect(api.status).toBe(401);
    expect(api.body.error.code).toBe('UNAUTHENTICATED');
    const login = await fetch(`${g.url}/beheer/login`);
    expect(login.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await login.text()).toMatch(/<label for="password">Wachtwoord<\/label>/);
  });

  it('logs in with the right password only, sets a strict Secure cookie, and refuses a login post without the form token', async () => {
    expect((await submitLogin('anna', 'fout')).status).toBe(401);
    expect((await submitLogin('niemand', 'x')).status).toBe(401);
    const f = await loginForm();
    const forged = await submitLogin('anna', USERS.anna.password, { cookie: 'schakel_login=other', token: f.token });
    expect(forged.status).toBe(403);
    const ok = await submitLogin('anna', USERS.anna.password);
    expect(ok.status).toBe(303);
    const cookie = ok.headers.getSetCookie().find((c) => c.startsWith('schakel_beheer='))!;
    expect(cookie).toMatch(/; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+; Secure$/);
  });

  it('locks a user name after five failed logins', async () => {
    for (let i = 0; i < 5; i++) expect((await submitLogin('lock', 'fout')).status).toBe(401);
    expect((await submitLogin('lock', USERS.lock.password)).status).toBe(429);
  });

  it("every state-changing request needs the session's CSRF token; logout ends the session", async () => {
    const bram = await login('bram', USERS.bram.password);
    const none = await bram.call('POST', '/api/beheer/jobs', { action: 'resend', ids: ['x'] });
    expect([none.status, none.body.error.code]).toEqual([403, 'CSRF_TOKEN']);
    const other = await login('anna', USERS.anna.password);
    const foreign = await bram.call(
      'POST',
      '/api/beheer/jobs',
      { action: 'resend', ids: ['x'] },
      { 'x-csrf-token': other.csrf },
    );
    expect(foreign.status).toBe(403);
    const ok = await bram.call(
      'POST',
      '/api/beheer/jobs',
      { action: 'resend', ids: ['x'] },
      { 'x-csrf-token': bram.csrf },
    );
    expect(ok.status).toBe(202);

    const noToken = await fetch(`${g.url}/beheer/logout`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: bram.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
    });
    expect(noToken.status).toBe(403);
    const out = await fetch(`${g.url}/beheer/logout`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: bram.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: bram.csrf }),
    });
    expect(out.status).toBe(303);
    expect((await bram.call('GET', '/api/beheer/session')).status).toBe(401);
  });

  it('a session ends when its user is removed from the configuration', async () => {
    const victor = await login('victor', USERS.victor.password);
    const users = g.gateway.config.beheer.users;
    const i = users.findIndex((u) => u.name === 'victor');
    const [removed] = users.splice(i, 1);
    try {
      expect((await victor.call('GET', '/api/beheer/overzicht')).status).toBe(401);
    } finally {
      users.splice(i, 0, removed!);
    }
  });

  it('keeps a BSN out of URLs and from viewers; a job larger than the maximum is refused', async () => {
    const anna = await login('anna', USERS.anna.password);
    const inUrl = await anna.call('GET', `/api/beheer/berichten?bsn=${BSN}`);
    expect([inUrl.status, inUrl.body.error.code]).toEqual([400, 'BSN_NOT_IN_URL']);
    const bad = await anna.call(
      'POST',
      '/api/beheer/berichten/zoeken',
      { bsn: '12345' },
      { 'x-csrf-token': anna.csrf },
    );
    expect([bad.status, bad.body.error.code]).toEqual([400, 'INVALID_REQUEST']);
    const ids = [];
    for (const n of [1, 2, 3])
      ids.push((await g.post('/berichten', withIdentificatie(wmo301, `API-${n}`), KEYS.wijkteam)).body.id as string);
    await eventually(async () => (await g.gateway.store.statusCounts()).dead >= 3);
    const tooMany = await anna.call(
      'POST',
      '/api/beheer/jobs',
      { action: 'cancel', filter: { status: 'dead' } },
      { 'x-csrf-token': anna.csrf },
    );
    expect([tooMany.status, tooMany.body.error.code]).toEqual([422, 'TOO_MANY_MESSAGES']);
    const both = await anna.call(
      'POST',
      '/api/beheer/jobs',
      { action: 'cancel', ids, filter: {} },
      { 'x-csrf-token': anna.csrf },
    );
    expect(both.status).toBe(400);
    // Two by filter is within the maximum; the job reports per message, with the reason for a refusal.
    const job = await anna.call(
      'POST',
      '/api/beheer/jobs',
      { action: 'hold', filter: { berichtIdentificatie: 'API-1' } },
      { 'x-csrf-token': anna.csrf },
    );
    expect(job.status).toBe(202);
    expect(job.headers.get('location')).toBe(job.body.statusUrl);
    const progress = await eventually(async () => {
      const r = await anna.call('GET', job.body.statusUrl);
      return r.body.state === 'done' && r.body;
    });
    expect(progress).toMatchObject({
      total: 1,
      done: 1,
      ok: 0,
      failed: 1,
      results: [{ id: ids[0], ok: false, reason: 'invalid-state', status: 'dead' }],
    });

    const victor = await login('victor', USERS.victor.password);
    const list = await victor.call('GET', '/api/beheer/berichten?status=dead&message=WMO301');
    expect(list.status).toBe(200);
    expect(list.body.total).toBeGreaterThanOrEqual(3);
    expect(list.text).not.toContain(BSN);
    const detail = await victor.call('GET', `/api/beheer/berichten/${ids[0]}`);
    expect(detail.body).toMatchObject({ allowedActions: [], canOpenBody: false });
    expect(detail.body.audit).toBeUndefined();
    // The receiver's answer carried a BSN-shaped number: masked in what beheer shows.
    expect(detail.body.attempts[0].answerExcerpt).toBe('niet nu (*********)');
    expect(detail.text).not.toContain(BSN);
  });

  it('/metrics needs the scrape token or a session, and counts messages, validation, attempts, queues and alerts', async () => {
    expect((await g.get('/metrics', null)).status).toBe(401);
    expect((await g.get('/metrics', 'wrong-token')).status).toBe(401);
    expect((await g.post('/berichten', '<nietwelgevormd', KEYS.wijkteam)).status).toBe(400);
    await eventually(async () =>
      (await g.get('/metrics', SCRAPE_TOKEN)).text.includes(
        'schakel_alert{alert="destination-unhealthy",destination="zorg"} 1',
      ),
    );
    const r = await g.get('/metrics', SCRAPE_TOKEN);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/plain/);
    const m = r.text;
    expect(m).toMatch(/schakel_messages_total\{standard="iwmo",message="WMO301",outcome="accepted"\} [1-9]/);
    expect(m).toMatch(/schakel_messages_total\{standard="unknown",message="unknown",outcome="invalid"\} 1/);
    expect(m).toMatch(/schakel_validation_seconds_count\{standard="iwmo"\} [1-9]/);
    expect(m).toMatch(/schakel_delivery_attempts_total\{destination="zorg",outcome="retry"\} [1-9]/);
    expect(m).toMatch(/schakel_queue_depth\{destination="zorg",status="dead"\} [1-9]/);
    expect(m).toMatch(/schakel_dead_letters\{destination="zorg"\} [1-9]/);
    expect(m).toContain('schakel_alert{alert="dead-letters",destination="zorg"} 1');
    expect(m).toContain('# TYPE schakel_certificate_days_left gauge');
    expect(m).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/);
    expect(m).not.toContain(BSN);
    const anna = await login('anna', USERS.anna.password);
    expect((await anna.call('GET', '/metrics')).status).toBe(200);
  });

  it('finds a BSN through the index; a body under a key the gateway lacks is named (409), not a crash', async () => {
    const bram = await login('bram', USERS.bram.password);
    const id = (await g.post('/berichten', withIdentificatie(wmo301, 'API-KEY-1'), KEYS.wijkteam)).body.id as string;
    const found = await bram.call(
      'POST',
      '/api/beheer/berichten/zoeken',
      { bsn: BSN, berichtIdentificatie: 'API-KEY-1' },
      {
        'x-csrf-token': bram.csrf,
      },
    );
    expect(found.status).toBe(200);
    expect(found.body.items.map((m: { id: string }) => m.id)).toEqual([id]);
    expect(found.body).toMatchObject({ scanned: 0, complete: true });
    // As if the key it was sealed under were removed from the configuration.
    (g.gateway.store as SqliteStore).db.prepare("UPDATE messages SET body_key = 'k-retired' WHERE id = ?").run(id);
    const body = await bram.call('GET', `/api/beheer/berichten/${id}/body`);
    expect([body.status, body.body.error.code, body.body.error.message]).toEqual([
      409,
      'BODY_KEY_MISSING',
      'body key k-retired not configured',
    ]);
    expect((await bram.call('GET', `/api/beheer/berichten/${id}`)).status).toBe(200);
  });

  it('the OpenAPI description lists the beheer endpoints', async () => {
    const doc = (await g.get('/openapi.json', KEYS.wijkteam)).body as { paths: Record<string, unknown> };
    for (const p of [
      '/api/beheer/overzicht',
      '/api/beheer/berichten',
      '/api/beheer/berichten/zoeken',
      '/api/beheer/berichten/{id}',
      '/api/beheer/berichten/{id}/body',
      '/api/beheer/jobs',
      '/api/beheer/jobs/{id}',
      '/api/beheer/audit',
      '/metrics',
    ]) {
      expect(doc.paths, p).toHaveProperty([p]);
    }
  });
});
