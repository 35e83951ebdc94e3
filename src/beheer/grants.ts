/**
 * What a beheer user may see and do: grants of a role on gemeenten and flows (the purpose of a data flow).
 * A user without grants in configuration has one grant of their role on every gemeente and every flow.
 * Issue #15 builds the enforcement on this shape; every part (local users, OpenID Connect claims, sessions
 * kept in the store) speaks it.
 */
import type { BeheerConfig, BeheerRole } from '../config/beheer.ts';

import { FLOWS, type Flow } from '../store/types.ts';

/** The purposes a stored bericht is processed for, one per flow of the sociaal domein (defined by the store). */
export { FLOWS, type Flow };

/** "*" stands for every gemeente or every flow. */
export type AnyOf = '*';

export interface Grant {
  role: BeheerRole;
  /** Gemeentecodes (four digits, e.g. "0363"), or "*". */
  gemeenten: readonly string[] | AnyOf;
  flows: readonly Flow[] | AnyOf;
}

/** The single grant of a user who was given a role only. */
export function everything(role: BeheerRole): Grant {
  return { role, gemeenten: '*', flows: '*' };
}

/**
 * The grants of a session's user: a single sign-on user's from the identity provider's claims (kept with the
 * session); a local user's from configuration now (`grants:`, or `role:` alone = one grant on everything).
 * Null when a local user is no longer configured.
 */
export function grantsOf(
  session: { user: string; auth?: { method: 'local' } | { method: 'oidc'; grants: Grant[] } },
  config: Pick<BeheerConfig, 'users'>,
): Grant[] | null {
  if (session.auth?.method === 'oidc') return session.auth.grants;
  const user = config.users.find((u) => u.name === session.user);
  if (!user) return null;
  if (user.grants) return user.grants.map((g) => ({ role: g.role, gemeenten: g.gemeenten, flows: g.flows }));
  return user.role ? [everything(user.role)] : [];
}
