import type { TLSSocket } from 'node:tls';
import type { NextFunction, Request, Response } from 'express';

/**
 * For API answers (JSON): nothing may be loaded, framed or run from them. The /beheer page sets its own
 * Content-Security-Policy over this one.
 */
const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** One year; no includeSubDomains or preload: other hosts of the organisation are not ours to decide for. */
const HSTS = 'max-age=31536000';

/** The headers every answer carries, whatever the route and whatever the outcome. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy': API_CSP,
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

/**
 * Middleware, mounted first: sets SECURITY_HEADERS, and Strict-Transport-Security when the connection is TLS.
 * Routes may loosen what they must (beheer's static files are cacheable; its page has its own CSP).
 */
export function securityHeaders(req: Request, res: Response, next: NextFunction): void {
  // setHeader straight away: the values are plain strings, none of them Content-Type (what res.set would add).
  for (const [name, value] of HEADER_LIST) res.setHeader(name, value);
  if ((req.socket as Partial<TLSSocket>).encrypted) res.setHeader('Strict-Transport-Security', HSTS);
  next();
}

const HEADER_LIST: readonly (readonly [string, string])[] = Object.entries(SECURITY_HEADERS);
