/**
 * From an identity provider's claims to beheer grants, as `beheer.oidc.grants` and `gemeentenClaims` say. A
 * user whose claims map to no grant gets none (and is refused); claims never grant more than configuration
 * names, and a gemeentecode from a claim must be four digits.
 */
import type { BeheerRole } from '../../config/beheer.ts';
import type { OidcConfig } from '../../config/oidc.ts';
import type { Grant } from '../grants.ts';

export type Claims = Readonly<Record<string, unknown>>;

/** The claim at `path`: a name, or a dotted path into nested objects (realm_access.roles). */
export function claimAt(claims: Claims, path: string): unknown {
  if (path in claims) return claims[path];
  let at: unknown = claims;
  for (const part of path.split('.')) {
    if (at === null || typeof at !== 'object' || Array.isArray(at)) return undefined;
    at = (at as Record<string, unknown>)[part];
  }
  return at;
}

/** A claim's values as strings: a list's string items, or one string (split on spaces/commas when asked). */
function valuesOf(value: unknown, split: boolean): string[] {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  if (typeof value === 'string') return split ? value.split(/[\s,]+/).filter((v) => v !== '') : [value];
  return [];
}

const GEMEENTECODE = /^\d{4}$/;

/** The grants these claims give, each once, in configuration order. */
export function grantsFromClaims(claims: Claims, o: Pick<OidcConfig, 'grants' | 'gemeentenClaims'>): Grant[] {
  const found: Grant[] = [];
  for (const g of o.grants) {
    if (valuesOf(claimAt(claims, g.claim), false).includes(g.value)) found.push(g.grant);
  }
  for (const c of o.gemeentenClaims) {
    const codes = [...new Set(valuesOf(claimAt(claims, c.claim), true).filter((v) => GEMEENTECODE.test(v)))].sort();
    if (codes.length > 0) found.push({ role: c.role, gemeenten: codes, flows: c.flows });
  }
  const seen = new Set<string>();
  return found.filter((g) => {
    const key = JSON.stringify([g.role, g.gemeenten, g.flows]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The highest role among the grants: a beheerder anywhere may use beheerder functions (grants limit where). */
export function roleOf(grants: readonly Grant[]): BeheerRole {
  return grants.some((g) => g.role === 'beheerder') ? 'beheerder' : 'viewer';
}

/** The user's name in beheer and the audit log: the configured claim when it is a short string, else `sub`. */
export function userNameOf(claims: Claims, usernameClaim: string): string {
  const v = claimAt(claims, usernameClaim);
  const name = typeof v === 'string' && v.trim() !== '' ? v.trim() : String(claims.sub ?? '');
  return name.slice(0, 100);
}
