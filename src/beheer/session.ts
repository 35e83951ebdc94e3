/** Beheer sessions: in memory, with a fixed lifetime from login. A restart logs everybody out. */
import { randomBytes } from 'node:crypto';
import type { Request } from 'express';
import type { Grant } from './grants.ts';

export const SESSION_COOKIE = 'schakel_beheer';

export interface Session {
  id: string;
  /** The configured user name; the role is read from configuration on every request. */
  user: string;
  /** Synchronizer token: every state-changing request of this session must carry it. */
  csrfToken: string;
  createdAt: Date;
  expiresAt: Date;
  /**
   * How the user logged in. A local user's grants are read from configuration on every request; a single
   * sign-on user's grants come from the identity provider's claims at login and are kept with the session.
   */
  auth?: { method: 'local' } | { method: 'oidc'; grants: Grant[] };
}

/** 256 random bits, base64url. */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly now: () => number = Date.now) {
    this.sweeper = setInterval(() => this.sweep(), 60_000);
    this.sweeper.unref();
  }

  create(user: string, ttlMs: number, auth?: Session['auth']): Session {
    const at = this.now();
    const session: Session = {
      id: randomToken(),
      user,
      csrfToken: randomToken(),
      createdAt: new Date(at),
      expiresAt: new Date(at + ttlMs),
      ...(auth ? { auth } : {}),
    };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The live session with this id; an expired one is forgotten. */
  get(id: string | undefined): Session | null {
    if (!id) return null;
    const s = this.sessions.get(id);
    if (!s) return null;
    if (s.expiresAt.getTime() <= this.now()) {
      this.sessions.delete(id);
      return null;
    }
    return s;
  }

  destroy(id: string): void {
    this.sessions.delete(id);
  }

  sweep(): void {
    const now = this.now();
    for (const [id, s] of this.sessions) if (s.expiresAt.getTime() <= now) this.sessions.delete(id);
  }

  close(): void {
    clearInterval(this.sweeper);
    this.sessions.clear();
  }
}

/** One cookie of the request (no cookie-parser needed for the two cookies beheer uses). */
export function readCookie(req: Request, name: string): string | undefined {
  const header = req.get('cookie');
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

export interface CookieOptions {
  secure: boolean;
  /** Seconds; 0 deletes the cookie. */
  maxAgeSeconds: number;
  /** Strict unless said otherwise (Lax: the cookie also comes along on a top-level navigation from elsewhere). */
  sameSite?: 'Strict' | 'Lax';
  /** "/" unless said otherwise. */
  path?: string;
}

/** A Set-Cookie value: HttpOnly, SameSite=Strict and Path=/ (unless asked otherwise), Secure when asked. */
export function cookieHeader(name: string, value: string, o: CookieOptions): string {
  return [
    `${name}=${encodeURIComponent(value)}`,
    `Path=${o.path ?? '/'}`,
    'HttpOnly',
    `SameSite=${o.sameSite ?? 'Strict'}`,
    `Max-Age=${Math.max(0, Math.floor(o.maxAgeSeconds))}`,
    ...(o.secure ? ['Secure'] : []),
  ].join('; ');
}
