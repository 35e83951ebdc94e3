/**
 * Who is using beheer: users and roles from configuration, password login, the session cookie and role
 * checks. `viewer` sees metadata; `beheerder` may also open bodies, search on a BSN and act on messages.
 */
import type { NextFunction, Request, Response } from 'express';
import type { BeheerConfig, BeheerRole } from '../config/beheer.ts';
import { sendError } from '../http/errors.ts';
import { verifyPassword } from '../security/passwords.ts';
import { cookieHeader, readCookie, SESSION_COOKIE, type Session, type SessionStore } from './session.ts';

export interface BeheerPrincipal {
  name: string;
  role: BeheerRole;
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
  /** Failed logins per configured user name (unknown names have nothing to lock). */
  private readonly failures = new Map<string, { count: number; since: number }>();

  constructor(
    private readonly config: () => BeheerConfig,
    readonly sessions: SessionStore,
    private readonly now: () => number = Date.now,
  ) {}

  async login(name: string, password: string): Promise<LoginResult> {
    const user = this.config().users.find((u) => u.name === name);
    const failed = user ? this.failures.get(user.name) : undefined;
    if (failed && this.now() - failed.since > FAILURE_WINDOW_MS) this.failures.delete(name);
    else if (failed && failed.count >= MAX_FAILURES) return { ok: false, reason: 'locked' };

    const ok = await verifyPassword(password, user?.passwordHash ?? null);
    if (!ok || !user) {
      if (user) {
        const f = this.failures.get(user.name) ?? { count: 0, since: this.now() };
        this.failures.set(user.name, { ...f, count: f.count + 1 });
      }
      return { ok: false, reason: 'invalid' };
    }
    this.failures.delete(user.name);
    return { ok: true, session: this.sessions.create(user.name, this.config().sessionTtlMinutes * 60_000) };
  }

  /** The user behind the request's session cookie, with the role configuration gives them now. */
  principal(req: Request): BeheerPrincipal | null {
    const session = this.sessions.get(readCookie(req, SESSION_COOKIE));
    if (!session) return null;
    const user = this.config().users.find((u) => u.name === session.user);
    if (!user) {
      this.sessions.destroy(session.id);
      return null;
    }
    return { name: user.name, role: user.role, session };
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
    return (req: Request, res: Response, next: NextFunction): void => {
      const p = this.principal(req);
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
