/**
 * Beheer sessions, kept in the store (`BeheerState`) so that every gateway instance on it knows them and a single
 * instance's sessions survive a restart. The store holds the SHA-256 of the cookie value, never the cookie.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Request } from 'express';
import type { BeheerState, StoredSession } from '../store/types.ts';
import type { Grant } from './grants.ts';

export const SESSION_COOKIE = 'schakel_beheer';

export interface Session {
  /** The cookie value (known only to the browser and the request at hand; the store keeps its hash). */
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

/** What the store keeps for a session cookie. */
export function sessionIdHash(cookie: string): string {
  return createHash('sha256').update(cookie, 'utf8').digest('hex');
}

/** Cookie values longer than this are not looked up (a token is 43 characters). */
const MAX_COOKIE_CHARS = 200;

export class SessionStore {
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly state: BeheerState,
    private readonly now: () => number = Date.now,
    onSweepError: (err: unknown) => void = () => undefined,
  ) {
    this.sweeper = setInterval(() => this.sweep().catch(onSweepError), 60_000);
    this.sweeper.unref();
  }

  async create(user: string, ttlMs: number, auth?: Session['auth']): Promise<Session> {
    const at = this.now();
    const session: Session = {
      id: randomToken(),
      user,
      csrfToken: randomToken(),
      createdAt: new Date(at),
      expiresAt: new Date(at + ttlMs),
      ...(auth ? { auth } : {}),
    };
    await this.state.createSession({
      idHash: sessionIdHash(session.id),
      user,
      csrfToken: session.csrfToken,
      createdAt: at,
      expiresAt: at + ttlMs,
      auth: auth ?? null,
    });
    return session;
  }

  /** The live session with this cookie value; an expired one is not found. */
  async get(id: string | undefined): Promise<Session | null> {
    if (!id || id.length > MAX_COOKIE_CHARS) return null;
    const s = await this.state.findSession(sessionIdHash(id), this.now());
    return s ? toSession(id, s) : null;
  }

  async destroy(id: string): Promise<void> {
    await this.state.deleteSession(sessionIdHash(id));
  }

  /** Forgets expired sessions (also done every minute). */
  async sweep(): Promise<void> {
    await this.state.sweepSessions(this.now());
  }

  close(): void {
    clearInterval(this.sweeper);
  }
}

function toSession(id: string, s: StoredSession): Session {
  const auth = s.auth as Session['auth'] | null;
  return {
    id,
    user: s.user,
    csrfToken: s.csrfToken,
    createdAt: new Date(s.createdAt),
    expiresAt: new Date(s.expiresAt),
    ...(auth ? { auth } : {}),
  };
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
