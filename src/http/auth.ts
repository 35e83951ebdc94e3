import type { TLSSocket } from 'node:tls';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { verifyApiKey } from '../security/api-keys.ts';
import { oinOfPeer } from '../security/oin.ts';
import { sendError } from './errors.ts';

/** Anyone who can hold an API key or a client certificate: an internal system (caller) or an external party (inbound). */
export interface KeyHolder {
  id: string;
  apiKeys: readonly string[];
  /** OINs whose verified client certificate authenticates as this holder. */
  oins?: readonly string[];
}

/** The client certificate a request came with over HTTPS, if one was presented. */
export type PresentedCertificate = { verified: true; oin: string | undefined } | { verified: false; reason: string };

export function presentedCertificate(req: Request): PresentedCertificate | undefined {
  const socket = req.socket as Partial<TLSSocket>;
  if (typeof socket.getPeerCertificate !== 'function') return undefined;
  const cert = socket.getPeerCertificate();
  if (!cert || Object.keys(cert).length === 0) return undefined;
  if (!socket.authorized) return { verified: false, reason: String(socket.authorizationError ?? 'not verified') };
  return { verified: true, oin: oinOfPeer(cert) };
}

/** The API key of a request: `Authorization: Bearer <key>` or `X-API-Key: <key>`. */
export function presentedKey(req: Request): string | undefined {
  const auth = req.get('authorization');
  if (auth && /^bearer\s+/i.test(auth)) return auth.replace(/^bearer\s+/i, '').trim();
  return req.get('x-api-key')?.trim() || undefined;
}

/** How a refused request is answered: the JSON error by default; an endpoint that speaks SOAP answers in SOAP. */
export type AuthRefusal = (req: Request, res: Response, status: 401 | 403, code: string, message: string) => void;

const jsonRefusal: AuthRefusal = (_req, res, status, code, message) => sendError(res, status, code, message);

/**
 * Middleware: finds the key holder among `holders()` (re-read per request so configuration can change) and
 * stores it in res.locals[slot]. A client certificate, when one was presented (HTTPS with server.tls), decides:
 * not verified → 401 CLIENT_CERTIFICATE_UNTRUSTED; verified, its OIN (subject serialNumber) in a holder's `oins`
 * → that holder, else 403 OIN_MISSING / OIN_UNKNOWN. Without a certificate: the API key, 401 without a valid one.
 * Refusals are answered by `refuse` (the JSON error unless the endpoint gives another).
 */
export function requireKey<T extends KeyHolder>(
  holders: () => readonly T[],
  slot: string,
  scope?: (req: Request, h: T) => boolean,
  refuse: AuthRefusal = jsonRefusal,
) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const certificate = presentedCertificate(req);
    if (certificate) {
      if (!certificate.verified) {
        return refuse(
          req,
          res,
          401,
          'CLIENT_CERTIFICATE_UNTRUSTED',
          `the client certificate is not trusted here (${certificate.reason})`,
        );
      }
      const oin = certificate.oin;
      if (oin === undefined) {
        return refuse(
          req,
          res,
          403,
          'OIN_MISSING',
          'the client certificate carries no OIN (20 digits in its subject serialNumber)',
        );
      }
      const holder = holders().find((h) => (h.oins ?? []).includes(oin) && (!scope || scope(req, h)));
      if (!holder)
        return refuse(req, res, 403, 'OIN_UNKNOWN', `OIN ${oin} of the client certificate is not allowed here`);
      res.locals[slot] = holder;
      const log = (res.locals.log as Logger | undefined)?.child({ oin, [slot]: holder.id });
      if (log) {
        res.locals.log = log;
        log.info('client certificate accepted');
      }
      return next();
    }
    const key = presentedKey(req);
    if (!key) {
      res.set('WWW-Authenticate', 'Bearer');
      return refuse(req, res, 401, 'UNAUTHENTICATED', 'an API key is required (Authorization: Bearer <key>)');
    }
    const holder = holders().find((h) => verifyApiKey(key, h.apiKeys) && (!scope || scope(req, h)));
    if (!holder) {
      res.set('WWW-Authenticate', 'Bearer error="invalid_token"');
      return refuse(req, res, 401, 'UNAUTHENTICATED', 'the API key is not valid here');
    }
    res.locals[slot] = holder;
    next();
  };
}
