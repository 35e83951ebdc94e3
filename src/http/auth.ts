import type { NextFunction, Request, Response } from 'express';
import { verifyApiKey } from '../security/api-keys.ts';
import { sendError } from './errors.ts';

/** Anyone who can hold an API key: an internal system (caller) or an external party (inbound). */
export interface KeyHolder {
  id: string;
  apiKeys: readonly string[];
}

/** The API key of a request: `Authorization: Bearer <key>` or `X-API-Key: <key>`. */
export function presentedKey(req: Request): string | undefined {
  const auth = req.get('authorization');
  if (auth && /^bearer\s+/i.test(auth)) return auth.replace(/^bearer\s+/i, '').trim();
  return req.get('x-api-key')?.trim() || undefined;
}

/**
 * Middleware: finds the key holder among `holders()` (re-read per request so configuration can change) and
 * stores it in res.locals[slot]; 401 without a valid key.
 */
export function requireKey<T extends KeyHolder>(holders: () => readonly T[], slot: string, scope?: (req: Request, h: T) => boolean) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const key = presentedKey(req);
    if (!key) {
      res.set('WWW-Authenticate', 'Bearer');
      return sendError(res, 401, 'UNAUTHENTICATED', 'an API key is required (Authorization: Bearer <key>)');
    }
    const holder = holders().find((h) => verifyApiKey(key, h.apiKeys) && (!scope || scope(req, h)));
    if (!holder) {
      res.set('WWW-Authenticate', 'Bearer error="invalid_token"');
      return sendError(res, 401, 'UNAUTHENTICATED', 'the API key is not valid here');
    }
    res.locals[slot] = holder;
    next();
  };
}
