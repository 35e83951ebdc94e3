/**
 * Single sign-on pieces without a provider: claims to grants (by value, nested paths, gemeentecodes from a
 * claim), the sealed login state (tampering, another key or purpose, expiry), and the beheer.oidc
 * configuration's checks.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Request } from 'express';
import { describe, expect, it } from 'vitest';
import { BeheerAuth } from '../../src/beheer/auth.ts';
import { grantsFromClaims, roleOf, userNameOf } from '../../src/beheer/oidc/claims.ts';
import { seal, sealKey, unseal } from '../../src/beheer/oidc/sealed.ts';
import { SESSION_COOKIE, SessionStore } from '../../src/beheer/session.ts';
import { type BeheerConfig, beheerConfig } from '../../src/config/beheer.ts';
import { oidcConfig } from '../../src/config/oidc.ts';
import { openSqliteStore } from '../../src/store/sqlite.ts';

const BASE = { issuer: 'https://idp.example.nl/realms/regio', clientId: 'schakel', clientSecret: 's3cret' };
const MAPPING = oidcConfig.parse({
  ...BASE,
  grants: [
    { claim: 'groups', value: 'schakel-0363-wmo', grant: { role: 'beheerder', gemeenten: ['0363'], flows: ['wmo'] } },
    {
      claim: 'realm_access.roles',
      value: 'jb-viewer',
      grant: { role: 'viewer', gemeenten: '*', flows: ['jeugdbescherming'] },
    },
  ],
  gemeentenClaims: [{ claim: 'gemeenten', role: 'viewer', flows: ['jeugd', 'pgb'] }],
});

describe('claims to grants', () => {
  it('grants what a claim value names, in a list or a single string, and nested claims by dotted path', () => {
    expect(grantsFromClaims({ groups: ['a', 'schakel-0363-wmo'] }, MAPPING)).toEqual([
      { role: 'beheerder', gemeenten: ['0363'], flows: ['wmo'] },
    ]);
    expect(grantsFromClaims({ groups: 'schakel-0363-wmo' }, MAPPING)).toHaveLength(1);
    expect(grantsFromClaims({ realm_access: { roles: ['jb-viewer'] } }, MAPPING)).toEqual([
      { role: 'viewer', gemeenten: '*', flows: ['jeugdbescherming'] },
    ]);
  });

  it('takes four-digit gemeentecodes from a gemeenten claim, sorted and once, and ignores anything else', () => {
    expect(grantsFromClaims({ gemeenten: '0384, 0363 0384 *  363 abcd' }, MAPPING)).toEqual([
      { role: 'viewer', gemeenten: ['0363', '0384'], flows: ['jeugd', 'pgb'] },
    ]);
    expect(grantsFromClaims({ gemeenten: ['*'] }, MAPPING)).toEqual([]);
  });

  it('grants nothing for a near miss: another value, a value of another claim, a prefix, a number', () => {
    expect(grantsFromClaims({ groups: ['schakel-0363-wmo-extra'] }, MAPPING)).toEqual([]);
    expect(grantsFromClaims({ roles: ['schakel-0363-wmo'] }, MAPPING)).toEqual([]);
    expect(grantsFromClaims({ realm_access: 'jb-viewer' }, MAPPING)).toEqual([]);
    expect(grantsFromClaims({ gemeenten: 363 }, MAPPING)).toEqual([]);
    expect(grantsFromClaims({}, MAPPING)).toEqual([]);
  });

  it('takes the highest role and names the user by the configured claim, else by sub', () => {
    expect(roleOf([{ role: 'viewer', gemeenten: '*', flows: '*' }])).toBe('viewer');
    expect(
      roleOf([
        { role: 'viewer', gemeenten: '*', flows: '*' },
        { role: 'beheerder', gemeenten: ['0363'], flows: ['wmo'] },
      ]),
    ).toBe('beheerder');
    expect(userNameOf({ sub: 'abc', preferred_username: 'jan@0363.nl' }, 'preferred_username')).toBe('jan@0363.nl');
    expect(userNameOf({ sub: 'abc', preferred_username: '  ' }, 'preferred_username')).toBe('abc');
  });
});

describe('sealed login state', () => {
  const key = sealKey('a secret shared by every instance', 'schakel_oidc:schakel');
  const value = { state: 's', nonce: 'n', verifier: 'v', redirectUri: 'https://x/cb' };

  it('opens what it sealed, within its time', () => {
    const sealed = seal(key, value, 60_000, 1_000);
    expect(unseal(key, sealed, 60_999)).toEqual({ ok: true, value });
    expect(unseal(key, sealed, 61_000)).toEqual({ ok: false, reason: 'expired' });
    expect(sealed).not.toContain('verifier');
  });

  it('refuses one changed byte, another key, another purpose, and garbage', () => {
    const sealed = seal(key, value, 60_000, 0);
    const raw = Buffer.from(sealed, 'base64url');
    for (const i of [0, 13, 30, raw.length - 1]) {
      const changed = Buffer.from(raw);
      changed[i] = changed[i]! ^ 1;
      expect(unseal(key, changed.toString('base64url'), 1)).toEqual({ ok: false, reason: 'tampered' });
    }
    expect(unseal(sealKey('another secret', 'schakel_oidc:schakel'), sealed, 1).ok).toBe(false);
    expect(unseal(sealKey('a secret shared by every instance', 'other'), sealed, 1).ok).toBe(false);
    expect(unseal(key, 'AAAA', 1)).toEqual({ ok: false, reason: 'tampered' });
  });
});

describe('beheer.oidc configuration', () => {
  const issues = (o: unknown) => {
    const r = oidcConfig.safeParse(o);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };
  const grants = [{ claim: 'groups', value: 'g', grant: { role: 'viewer', gemeenten: '*', flows: '*' } }];

  it('has defaults for scopes, button name and user name claim', () => {
    const o = oidcConfig.parse({ ...BASE, grants });
    expect(o).toMatchObject({ scopes: ['openid', 'profile'], usernameClaim: 'preferred_username', userinfo: false });
  });

  it('refuses a public client without a stateSecret, no mapping, scopes without openid, bad codes and flows', () => {
    expect(issues({ issuer: BASE.issuer, clientId: 'x', grants })).toEqual([
      'stateSecret: a public client (no clientSecret) needs a stateSecret to seal the login state',
    ]);
    expect(issues({ ...BASE })[0]).toMatch(/^grants: map at least one claim/);
    expect(issues({ ...BASE, grants, scopes: ['profile'] })).toEqual(['scopes: must include "openid"']);
    expect(
      issues({
        ...BASE,
        grants: [{ claim: 'g', value: 'v', grant: { role: 'viewer', gemeenten: ['363'], flows: '*' } }],
      }),
    ).toEqual(['grants.0.grant.gemeenten.0: must be a gemeentecode of four digits, e.g. "0363"']);
    expect(
      issues({
        ...BASE,
        grants: [{ claim: 'g', value: 'v', grant: { role: 'viewer', gemeenten: '*', flows: ['zorg'] } }],
      }),
    ).toHaveLength(1);
    expect(issues({ ...BASE, grants, stateSecret: 'short' })).toEqual(['stateSecret: must be at least 32 characters']);
  });
});

describe('single sign-on sessions', () => {
  const withCookie = (id: string) =>
    ({
      get: (h: string) => (h.toLowerCase() === 'cookie' ? `${SESSION_COOKIE}=${id}` : undefined),
    }) as unknown as Request;

  it('gives the principal the grants of the login, without a configured user, while single sign-on is configured', async () => {
    let config: BeheerConfig = beheerConfig.parse({ oidc: { ...BASE, grants: MAPPING.grants } });
    const dir = mkdtempSync(join(tmpdir(), 'schakel-oidc-'));
    const store = openSqliteStore({ file: join(dir, 'db.sqlite') });
    const sessions = new SessionStore(store.beheerState);
    const auth = new BeheerAuth(() => config, sessions, store.beheerState);
    try {
      const grants = [{ role: 'viewer' as const, gemeenten: ['0363'], flows: ['jeugd' as const] }];
      const session = await auth.oidcSession('oidc:jan@0363.nl', grants);
      expect(await auth.principal(withCookie(session.id))).toMatchObject({
        name: 'oidc:jan@0363.nl',
        role: 'viewer',
        grants,
      });
      // Single sign-on switched off: the session ends.
      config = beheerConfig.parse({});
      expect(await auth.principal(withCookie(session.id))).toBeNull();
      config = beheerConfig.parse({ oidc: { ...BASE, grants: MAPPING.grants } });
      expect(await auth.principal(withCookie(session.id))).toBeNull();
    } finally {
      sessions.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
