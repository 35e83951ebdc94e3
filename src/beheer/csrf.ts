/**
 * CSRF protection. Every state-changing beheer request carries the session's synchronizer token, as the
 * `X-CSRF-Token` header (the page's fetch calls) or the `_csrf` form field (plain forms: logout). The login
 * form, which has no session yet, uses a double-submit cookie instead.
 */
import { timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { sendError } from '../http/errors.ts';
import type { Session } from './session.ts';

export const CSRF_HEADER = 'x-csrf-token';
export const CSRF_FIELD = '_csrf';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Constant-time comparison of two tokens; false when either is missing. */
export function tokensMatch(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The token a request presents: the header, else the form field of a urlencoded body. */
export function presentedCsrfToken(req: Request): string | undefined {
  const header = req.get(CSRF_HEADER);
  if (header) return header;
  const body = req.body as Record<string, unknown> | undefined;
  const field = body && typeof body === 'object' ? body[CSRF_FIELD] : undefined;
  return typeof field === 'string' ? field : undefined;
}

/**
 * Middleware after the session middleware: a state-changing request without this session's token is refused
 * with 403 CSRF_TOKEN.
 */
export function requireCsrf(req: Request, res: Response, next: NextFunction): void {
  if (SAFE_METHODS.has(req.method)) return next();
  const session = res.locals.session as Session | undefined;
  if (!session || !tokensMatch(presentedCsrfToken(req), session.csrfToken)) {
    return sendError(
      res,
      403,
      'CSRF_TOKEN',
      "a state-changing request needs the session's CSRF token (X-CSRF-Token header)",
    );
  }
  next();
}
