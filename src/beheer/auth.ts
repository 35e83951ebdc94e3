/**
 * Who is using beheer: users and roles from configuration, password login, the session cookie and role
 * checks. `viewer` sees metadata; `beheerder` may also open bodies, search on a BSN and act on messages.
 */
import type { NextFunction, Request, Response } from 'express';
import type { BeheerConfig, BeheerRole } from '../config/beheer.ts';
import { sendError } from '../http/errors.ts';
import { verifyPassword } from '../security/passwords.ts';
import type { BeheerState } from '../store/types.ts';
import { type Grant, grantsOf } from './grants.ts';
import { highestRole } from './scope.ts';
import { cookieHeader, readCookie, SESSION_COOKIE, type Session, type SessionStore } from './session.ts';

export interface BeheerPrincipal {
  name: string;
  /** The highest role of the grants: what the page offers. Each message is checked against `grants`. */
  role: BeheerRole;
  /** What the user may see and do, per gemeente and flow (./grants.ts, ./scope.ts). */
  grants: Grant[];
  session: Session;
}

/** How a beheer user appears in status history and the audit log. */
export function actorOf(p: Pick<BeheerPrincipal, 'name'>): string {
  return `beheer:${p.name}`;
}

/** After this many failed logins within the window a user name is locked for the rest of that window. */
const MAX_FAILURES = 5;
const FAILURE_WINDOW_MS = 15 * 60 * 1000;

export type LoginResult = { ok: true; session: Session } | { ok: false; reason: 'invalid' | 'locked' };

export class BeheerAuth {
  constructor(
    private readonly config: () => BeheerConfig,
    readonly sessions: SessionStore,
    /** Where login attempts are counted: the store, shared by every instance on it. */
    private readonly state: Pick<BeheerState, 'reserveLogin' | 'settleLogin'>,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Checks a password. For a configured user, the attempt is reserved in the store before the (slow) check
   * starts: with MAX_FAILURES failed or running attempts in the window, the answer is `locked` without looking
   * at the password, so parallel guesses (on any instance) cannot get past the limit, and a right password among
   * them yields no session once the user is locked.
   */
  async login(name: string, password: string): Promise<LoginResult> {
    const user = this.config().users.find((u) => u.name === name);
    if (user && !(await this.state.reserveLogin(user.name, this.now(), MAX_FAILURES, FAILURE_WINDOW_MS))) {
      return { ok: false, reason: 'locked' };
    }
    let ok = false;
    try {
      ok = await verifyPassword(password, user?.passwordHash ?? null);
    } finally {
      if (user) await this.state.settleLogin(user.name, ok);
    }
    if (!ok || !user) return { ok: false, reason: 'invalid' };
    return {
      ok: true,
      session: await this.sessions.create(user.name, this.config().sessionTtlMinutes * 60_000, { method: 'local' }),
    };
  }

  /** Whether any local (password) user is configured: without one, the login page shows single sign-on only. */
  hasLocalUsers(): boolean {
    return this.config().users.length > 0;
  }

  /** A session for a single sign-on user, with the grants their claims gave at login. */
  oidcSession(name: string, grants: Grant[]): Promise<Session> {
    return this.sessions.create(name, this.config().sessionTtlMinutes * 60_000, { method: 'oidc', grants });
  }

  /**
   * The user behind the request's session cookie: a local user with the grants configuration gives them now, or
   * a single sign-on user with the grants of their login (while single sign-on stays configured).
   */
  async principal(req: Request): Promise<BeheerPrincipal | null> {
    const session = await this.sessions.get(readCookie(req, SESSION_COOKIE));
    if (!session) return null;
    const ssoGone = session.auth?.method === 'oidc' && !this.config().oidc;
    const grants = ssoGone ? null : grantsOf(session, this.config());
    const role = grants ? highestRole(grants) : null;
    if (!grants || !role) {
      await this.sessions.destroy(session.id);
      return null;
    }
    return { name: session.user, role, grants, session };
  }

  /** Set-Cookie for this session, or one that deletes the cookie. */
  sessionCookie(req: Request, session: Session | null): string {
    return cookieHeader(SESSION_COOKIE, session?.id ?? '', {
      secure: this.secureCookie(req),
      maxAgeSeconds: session ? (session.expiresAt.getTime() - this.now()) / 1000 : 0,
    });
  }

  secureCookie(req: Request): boolean {
    const mode = this.config().secureCookie;
    return mode === 'always' || (mode === 'auto' && req.secure);
  }

  /**
   * Middleware: puts the principal in res.locals.principal and the session in res.locals.session. Without a
   * session, an API request gets 401 and a page request is sent to the login form.
   */
  requireSession(kind: 'api' | 'page') {
    return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
      const p = await this.principal(req);
      if (!p) {
        if (kind === 'page') return void res.redirect(303, '/beheer/login');
        return sendError(res, 401, 'UNAUTHENTICATED', 'log in at /beheer/login first');
      }
      res.locals.principal = p;
      res.locals.session = p.session;
      next();
    };
  }
}

/** The principal requireSession found. */
export function principalOf(res: Response): BeheerPrincipal {
  return res.locals.principal as BeheerPrincipal;
}

/** Middleware: only this role (a beheerder); others get 403 ROLE_FORBIDDEN. */
export function requireRole(role: BeheerRole) {
  return (_req: Request, res: Response, next: NextFunction): void => {
    if (principalOf(res).role !== role) {
      return sendError(res, 403, 'ROLE_FORBIDDEN', `only a ${role} may do this`);
    }
    next();
  };
}
