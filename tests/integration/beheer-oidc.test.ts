/**
 * Single sign-on against a real OpenID Connect provider (oidc-provider over HTTPS with a test CA), through
 * HTTP only: the gateway starts while the provider is down and says so on the login page; then the code flow
 * with PKCE, state and nonce through the provider's own login and consent forms; the claims decide the grants;
 * an account whose claims map to nothing is refused and audited; a wrong state, a tampered or missing state
 * cookie, a replayed code and a wrong nonce are refused with their codes; and a login begun on one instance is
 * finished on another (the state lives in a sealed cookie, not in a process).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATE_COOKIE, stateKey } from '../../src/beheer/oidc/routes.ts';
import { seal, unseal } from '../../src/beheer/oidc/sealed.ts';
import type { OidcConfig } from '../../src/config/oidc.ts';
import { beheerUsersYaml, loginBeheer } from '../helpers/beheer-client.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { type Accounts, CookieClient, formOf, startTestIdp, type TestIdp } from '../helpers/oidc-idp.ts';
import { tempDir } from '../helpers/temp.ts';

const CLIENT = { clientId: 'schakel-beheer', clientSecret: 'test-client-secret-of-some-length-1234' };
const ACCOUNTS: Accounts = {
  anna: { preferred_username: 'anna@gemeente0363.nl', name: 'Anna', groups: ['schakel-0363-wmo-beheerder', 'x'] },
  bram: {
    preferred_username: 'bram@bvo.nl',
    schakel_gemeenten: '0384 0363 not-a-code',
    realm_access: { roles: ['schakel-jb-viewer'] },
  },
  carla: { preferred_username: 'carla@elders.nl', groups: ['somewhere-else'] },
};

function oidcYaml(issuer: string, caPath: string): string {
  return `  oidc:
    issuer: ${issuer}
    clientId: ${CLIENT.clientId}
    clientSecret: ${CLIENT.clientSecret}
    displayName: Test IdP
    scopes: [openid, profile]
    ca: ["${caPath}"]
    discoveryRetrySeconds: 0
    grants:
      - { claim: groups, value: schakel-0363-wmo-beheerder, grant: { role: beheerder, gemeenten: ["0363"], flows: [wmo] } }
      - { claim: realm_access.roles, value: schakel-jb-viewer, grant: { role: viewer, gemeenten: "*", flows: [jeugdbescherming] } }
    gemeentenClaims:
      - { claim: schakel_gemeenten, role: viewer, flows: [jeugd] }
`;
}

const dir = tempDir('schakel-oidc-');
let idp: TestIdp;
let g: TestGateway;
let other: TestGateway;

/** Through the provider's login and consent forms up to (not into) the gateway's callback. */
async function toCallback(b: CookieClient, base: string, account: string): Promise<string> {
  const isCallback = (u: string) => u.startsWith(`${base}/beheer/oidc/callback`);
  let page = await b.follow(`${base}/beheer/oidc/login`, {}, isCallback);
  for (let step = 0; step < 4 && !isCallback(page.url); step++) {
    expect(page.status, page.text.slice(0, 300)).toBe(200);
    const form = formOf(page.text, page.url);
    const fields = page.text.includes('name="login"')
      ? { ...form.fields, login: account, password: 'any' }
      : form.fields;
    page = await b.follow(form.action, { form: fields }, isCallback);
  }
  expect(isCallback(page.url), page.url).toBe(true);
  return page.url;
}

async function sessionOf(b: CookieClient, base: string) {
  const r = await b.request(`${base}/api/beheer/session`, { accept: 'application/json' });
  return { status: r.status, body: r.status === 200 ? JSON.parse(r.text) : r.text };
}

describe('beheer single sign-on (OpenID Connect)', () => {
  beforeAll(async () => {
    idp = await startTestIdp(dir.path);
    const yaml = `${await beheerUsersYaml({ lokaal: { password: 'lokaal-wachtwoord-1', role: 'viewer' } })}${oidcYaml(idp.issuer, idp.caPath)}`;
    g = await startTestGateway({ extraYaml: yaml });
    other = await startTestGateway({ extraYaml: yaml });
  }, 60_000);

  afterAll(async () => {
    await g?.stop();
    await other?.stop();
    await idp?.close();
    dir.remove();
  });

  it('starts while the provider is down and says so on the login page; a later login tries again', async () => {
    const b = new CookieClient(idp.caPath);
    const start = await b.request(`${g.url}/beheer/oidc/login`);
    expect(start.status).toBe(503);
    expect(start.headers.get('retry-after')).toBeTruthy();
    expect(start.text).toContain('Aanmelden met Test IdP kan nu niet (OIDC_UNAVAILABLE)');
    const json = await b.request(`${g.url}/beheer/oidc/login`, { accept: 'application/json' });
    expect(JSON.parse(json.text).error.code).toBe('OIDC_UNAVAILABLE');
    const login = await b.request(`${g.url}/beheer/login`);
    expect(login.text).toContain('Aanmelden met Test IdP');
    expect(login.text).toMatch(/id="sso-fout"[^>]*>Test IdP is nu niet bereikbaar/);
    // Local users keep working next to single sign-on.
    const local = await loginBeheer(g.url, 'lokaal', 'lokaal-wachtwoord-1');
    expect((await local.call('GET', '/api/beheer/session')).body).toMatchObject({ user: 'lokaal', method: 'local' });

    idp.attach({
      ...CLIENT,
      redirectUris: [`${g.url}/beheer/oidc/callback`, `${other.url}/beheer/oidc/callback`],
      accounts: ACCOUNTS,
    });
    const again = await b.request(`${g.url}/beheer/oidc/login`);
    expect(again.status).toBe(303);
    const to = new URL(again.location!);
    expect(to.origin).toBe(idp.issuer);
    expect(to.searchParams.get('code_challenge_method')).toBe('S256');
    expect(to.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(to.searchParams.get('state')).toBeTruthy();
    expect(to.searchParams.get('nonce')).toBeTruthy();
    expect(to.searchParams.get('redirect_uri')).toBe(`${g.url}/beheer/oidc/callback`);
    const cookie = again.headers.getSetCookie().find((c) => c.startsWith(`${STATE_COOKIE}=`))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).toMatch(/Path=\/beheer\/oidc/);
    // Sealed: neither state, nonce nor verifier readable in the cookie.
    expect(decodeURIComponent(cookie)).not.toContain(to.searchParams.get('state')!);
  });

  it('logs in through the provider; the claims decide the grants, per account', async () => {
    const anna = new CookieClient(idp.caPath);
    const callback = await toCallback(anna, g.url, 'anna');
    const done = await anna.request(callback);
    expect(done.status).toBe(200);
    expect(done.text).toContain('url=/beheer');
    const s = await sessionOf(anna, g.url);
    expect(s.status).toBe(200);
    expect(s.body).toMatchObject({
      user: 'oidc:anna@gemeente0363.nl',
      role: 'beheerder',
      method: 'oidc',
      grants: [{ role: 'beheerder', gemeenten: ['0363'], flows: ['wmo'] }],
    });
    expect((await anna.request(`${g.url}/beheer`)).status).toBe(200);

    const bram = new CookieClient(idp.caPath);
    await bram.request(await toCallback(bram, g.url, 'bram'));
    const t = await sessionOf(bram, g.url);
    expect(t.body).toMatchObject({
      user: 'oidc:bram@bvo.nl',
      role: 'viewer',
      grants: [
        { role: 'viewer', gemeenten: '*', flows: ['jeugdbescherming'] },
        { role: 'viewer', gemeenten: ['0363', '0384'], flows: ['jeugd'] },
      ],
    });
    // A viewer's grants stay a viewer's: no body, no audit log.
    expect((await bram.request(`${g.url}/api/beheer/audit`, { accept: 'application/json' })).status).toBe(403);

    const logins = await g.gateway.store.listAudit({ action: 'beheer.login' });
    const annaLogin = logins.find((a) => a.actor === 'beheer:oidc:anna@gemeente0363.nl');
    expect(annaLogin?.details).toMatchObject({ method: 'oidc', sub: 'anna', issuer: idp.issuer });
  });

  it('refuses (403, audited) an account whose claims map to no grant', async () => {
    const carla = new CookieClient(idp.caPath);
    const r = await carla.request(await toCallback(carla, g.url, 'carla'));
    expect(r.status).toBe(403);
    expect(r.text).toContain('data-code="OIDC_NO_GRANT"');
    expect(r.headers.getSetCookie().some((c) => c.startsWith('schakel_beheer='))).toBe(false);
    expect((await sessionOf(carla, g.url)).status).toBe(401);
    const refused = await g.gateway.store.listAudit({ action: 'beheer.login-refused' });
    expect(refused[0]?.details).toMatchObject({
      method: 'oidc',
      code: 'OIDC_NO_GRANT',
      sub: 'carla',
      name: 'carla@elders.nl',
    });
  });

  it('refuses a wrong state, a tampered or missing state cookie, a replayed code and a wrong nonce', async () => {
    const refusal = async (b: CookieClient, url: string) => {
      const r = await b.request(url, { accept: 'application/json' });
      return { status: r.status, code: (JSON.parse(r.text) as { error: { code: string } }).error.code };
    };

    // Wrong state: the answer is for another login than the one this browser started.
    const b1 = new CookieClient(idp.caPath);
    const cb1 = new URL(await toCallback(b1, g.url, 'anna'));
    cb1.searchParams.set('state', 'another-state');
    expect(await refusal(b1, cb1.href)).toEqual({ status: 400, code: 'OIDC_STATE_MISMATCH' });

    // Tampered state cookie.
    const b2 = new CookieClient(idp.caPath);
    const cb2 = await toCallback(b2, g.url, 'anna');
    const sealed = b2.cookie(g.url, STATE_COOKIE)!;
    const flipped = sealed.slice(0, 20) + (sealed[20] === 'A' ? 'B' : 'A') + sealed.slice(21);
    b2.setCookie(g.url, STATE_COOKIE, flipped);
    expect(await refusal(b2, cb2)).toEqual({ status: 400, code: 'OIDC_STATE_INVALID' });
    // The state cookie is used once: the browser was told to forget it.
    expect(await refusal(b2, cb2)).toEqual({ status: 400, code: 'OIDC_STATE_MISSING' });

    // Replayed code: the callback, with its cookie, a second time.
    const b3 = new CookieClient(idp.caPath);
    const cb3 = await toCallback(b3, g.url, 'anna');
    const cookie3 = b3.cookie(g.url, STATE_COOKIE)!;
    expect((await b3.request(cb3)).status).toBe(200);
    b3.setCookie(g.url, STATE_COOKIE, cookie3);
    expect(await refusal(b3, cb3)).toEqual({ status: 401, code: 'OIDC_CODE_REFUSED' });

    // Wrong nonce: the real state cookie, opened with the server's key and sealed again with another nonce.
    const b4 = new CookieClient(idp.caPath);
    const cb4 = await toCallback(b4, g.url, 'anna');
    const key = stateKey(g.gateway.config.beheer.oidc as OidcConfig);
    const real = unseal(key, b4.cookie(g.url, STATE_COOKIE)!, Date.now());
    expect(real.ok).toBe(true);
    const login = (real as { value: Record<string, string> }).value;
    b4.setCookie(g.url, STATE_COOKIE, seal(key, { ...login, nonce: 'not-the-nonce' }, 60_000, Date.now()));
    expect(await refusal(b4, cb4)).toEqual({ status: 401, code: 'OIDC_ID_TOKEN_INVALID' });

    const audit = await g.gateway.store.listAudit({ action: 'beheer.login-refused' });
    const codes = audit.map((a) => a.details.code);
    for (const c of [
      'OIDC_STATE_MISMATCH',
      'OIDC_STATE_INVALID',
      'OIDC_STATE_MISSING',
      'OIDC_CODE_REFUSED',
      'OIDC_ID_TOKEN_INVALID',
    ])
      expect(codes).toContain(c);
  });

  it('finishes on another instance a login begun on this one (no login state in a process)', async () => {
    const b = new CookieClient(idp.caPath);
    const cb = new URL(await toCallback(b, g.url, 'anna'));
    const onOther = `${other.url}${cb.pathname}${cb.search}`;
    b.setCookie(other.url, STATE_COOKIE, b.cookie(g.url, STATE_COOKIE)!);
    expect((await b.request(onOther)).status).toBe(200);
    expect((await sessionOf(b, other.url)).body).toMatchObject({ user: 'oidc:anna@gemeente0363.nl', method: 'oidc' });
  });

  it('audits the logout of a single sign-on user', async () => {
    const b = new CookieClient(idp.caPath);
    await b.request(await toCallback(b, g.url, 'anna'));
    const { body } = await sessionOf(b, g.url);
    const out = await b.request(`${g.url}/beheer/logout`, { form: { _csrf: body.csrfToken } });
    expect(out.status).toBe(303);
    expect((await sessionOf(b, g.url)).status).toBe(401);
    const logouts = await g.gateway.store.listAudit({ action: 'beheer.logout' });
    expect(logouts.some((a) => a.actor === 'beheer:oidc:anna@gemeente0363.nl')).toBe(true);
  });
});

describe('beheer single sign-on with claims at the userinfo endpoint only', () => {
  const dir2 = tempDir('schakel-oidc-userinfo-');
  let idp2: TestIdp;
  let withUserinfo: TestGateway;
  let idTokenOnly: TestGateway;

  beforeAll(async () => {
    idp2 = await startTestIdp(dir2.path);
    const yaml = `beheer:\n${oidcYaml(idp2.issuer, idp2.caPath)}`;
    withUserinfo = await startTestGateway({ extraYaml: `${yaml}    userinfo: true\n` });
    idTokenOnly = await startTestGateway({ extraYaml: yaml });
    idp2.attach({
      ...CLIENT,
      redirectUris: [`${withUserinfo.url}/beheer/oidc/callback`, `${idTokenOnly.url}/beheer/oidc/callback`],
      accounts: ACCOUNTS,
      claimsInIdToken: false,
    });
  }, 60_000);

  afterAll(async () => {
    await withUserinfo?.stop();
    await idTokenOnly?.stop();
    await idp2?.close();
    dir2.remove();
  });

  it('maps the userinfo claims when userinfo is on, and finds no grant in the bare ID token when it is off', async () => {
    const b = new CookieClient(idp2.caPath);
    expect((await b.request(await toCallback(b, withUserinfo.url, 'anna'))).status).toBe(200);
    expect((await sessionOf(b, withUserinfo.url)).body).toMatchObject({
      user: 'oidc:anna@gemeente0363.nl',
      grants: [{ role: 'beheerder', gemeenten: ['0363'], flows: ['wmo'] }],
    });

    const c = new CookieClient(idp2.caPath);
    const r = await c.request(await toCallback(c, idTokenOnly.url, 'anna'), { accept: 'application/json' });
    expect(r.status).toBe(403);
    expect(JSON.parse(r.text).error.code).toBe('OIDC_NO_GRANT');
  });
});
