/**
 * Single sign-on routes under /beheer/oidc: `login` sends the browser to the identity provider (code flow with
 * PKCE, state and nonce, remembered in a sealed short-lived cookie, so any instance can take the callback), and
 * `callback` validates the answer, maps the claims to grants and starts a beheer session. Every login and every
 * refusal is audited with the subject and the name, nothing more about the person.
 */
import express, { type Request, type Response } from 'express';
import type { OidcConfig } from '../../config/oidc.ts';
import { sendError } from '../../http/errors.ts';
import type { MessageStore } from '../../store/types.ts';
import { escapeAttr, escapeText } from '../../xml/escape.ts';
import { actorOf, type BeheerAuth } from '../auth.ts';
import { cookieHeader, readCookie } from '../session.ts';
import { claimAt, grantsFromClaims, userNameOf } from './claims.ts';
import { type LoginState, type OidcClient, OidcRefusal, oauthError } from './client.ts';
import { type SealKey, seal, sealKey, unseal } from './sealed.ts';

/** The login state cookie: only sent to the callback, and (SameSite=Lax) on the provider's redirect back. */
export const STATE_COOKIE = 'schakel_oidc';
const STATE_PATH = '/beheer/oidc';
/** A login must come back from the provider within this time. */
const STATE_TTL_MS = 10 * 60_000;
/** Prefix of a single sign-on user's name: local user names cannot hold a colon, so the two never meet. */
export const OIDC_USER_PREFIX = 'oidc:';

export interface OidcRoutesDeps {
  auth: BeheerAuth;
  store: MessageStore;
  client: OidcClient;
  options: () => OidcConfig | undefined;
  /** The login page with an error on it (single sign-on could not start). */
  showLogin: (req: Request, res: Response, status: number, o: { ssoError: string }) => void;
  now?: () => number;
}

/** The key that seals the login state: from stateSecret, or derived from the client secret. */
export function stateKey(o: OidcConfig): SealKey {
  return sealKey(o.stateSecret ?? `client-secret:${o.clientSecret ?? ''}`, `${STATE_COOKIE}:${o.clientId}`);
}

function isLoginState(v: unknown): v is LoginState {
  const o = v as Record<string, unknown> | null;
  return (
    typeof o === 'object' &&
    o !== null &&
    ['state', 'nonce', 'verifier', 'redirectUri'].every((k) => typeof o[k] === 'string')
  );
}

/** A refusal page (or JSON for a client that asks for it), with the code visible. */
function refusalPage(req: Request, res: Response, status: number, code: string, message: string): void {
  if (req.accepts(['html', 'json']) === 'json') return sendError(res, status, code, message);
  res.locals.errorCode = code;
  res
    .status(status)
    .type('html')
    .send(`<!doctype html>
<html lang="nl">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Aanmelden geweigerd — Schakel beheer</title>
<link rel="stylesheet" href="/beheer/static/style.css">
</head>
<body class="login">
<main id="inhoud">
<h1>Schakel — functioneel beheer</h1>
<div class="card">
<h2>Aanmelden geweigerd</h2>
<p class="error" role="alert" data-code="${escapeAttr(code)}"><code>${escapeText(code)}</code>: ${escapeText(message)}</p>
<p><a href="/beheer/login">Terug naar aanmelden</a></p>
</div>
</main>
</body>
</html>
`);
}

/** After login: a page of our own that moves on to /beheer, so the SameSite=Strict session cookie goes along. */
function onwardPage(name: string): string {
  return `<!doctype html>
<html lang="nl">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="0;url=/beheer">
<title>Aangemeld — Schakel beheer</title>
<link rel="stylesheet" href="/beheer/static/style.css">
</head>
<body class="login">
<main id="inhoud">
<h1>Schakel — functioneel beheer</h1>
<p class="card">Aangemeld als ${escapeText(name)}. <a href="/beheer">Verder naar beheer</a></p>
</main>
</body>
</html>
`;
}

export function oidcRouter(d: OidcRoutesDeps): express.Router {
  const r = express.Router();
  const now = d.now ?? Date.now;

  const stateCookie = (req: Request, value: string, maxAgeMs: number) =>
    cookieHeader(STATE_COOKIE, value, {
      secure: d.auth.secureCookie(req),
      maxAgeSeconds: maxAgeMs / 1000,
      sameSite: 'Lax',
      path: STATE_PATH,
    });

  const refused = async (
    req: Request,
    res: Response,
    status: number,
    code: string,
    message: string,
    who: Record<string, unknown> = {},
  ) => {
    await d.store.audit({
      actor: 'anonymous',
      action: 'beheer.login-refused',
      details: { method: 'oidc', code, reason: message.slice(0, 300), ...who, clientAddress: req.ip ?? null },
    });
    refusalPage(req, res, status, code, message);
  };

  r.get('/login', async (req, res) => {
    const o = d.options();
    if (!o) return sendError(res, 404, 'OIDC_NOT_CONFIGURED', 'single sign-on is not configured (beheer.oidc)');
    const redirectUri = o.redirectUri ?? `${req.protocol}://${req.get('host')}${STATE_PATH}/callback`;
    try {
      const { url, login } = await d.client.begin(redirectUri);
      res.append('Set-Cookie', stateCookie(req, seal(stateKey(o), login, STATE_TTL_MS, now()), STATE_TTL_MS));
      res.redirect(303, url.href);
    } catch (e) {
      if (!(e instanceof OidcRefusal)) throw e;
      res.set('Retry-After', String(Math.max(1, Math.ceil(o.discoveryRetrySeconds))));
      res.locals.errorCode = e.code;
      if (req.accepts(['html', 'json']) === 'json') return sendError(res, e.status, e.code, e.message);
      d.showLogin(req, res, e.status, {
        ssoError: `Aanmelden met ${o.displayName} kan nu niet (${e.code}): ${e.message}. Probeer het later opnieuw.`,
      });
    }
  });

  r.get('/callback', async (req, res) => {
    const o = d.options();
    if (!o) return sendError(res, 404, 'OIDC_NOT_CONFIGURED', 'single sign-on is not configured (beheer.oidc)');
    // The state cookie is used once: whatever happens now, the browser forgets it.
    res.append('Set-Cookie', stateCookie(req, '', 0));
    const sealed = readCookie(req, STATE_COOKIE);
    if (!sealed) return refused(req, res, 400, 'OIDC_STATE_MISSING', 'no login under way in this browser; start again');
    const opened = unseal(stateKey(o), sealed, now());
    if (!opened.ok) {
      return opened.reason === 'expired'
        ? refused(req, res, 400, 'OIDC_STATE_EXPIRED', 'the login took longer than 10 minutes; start again')
        : refused(req, res, 400, 'OIDC_STATE_INVALID', 'the login state cookie was altered or is not ours');
    }
    if (!isLoginState(opened.value))
      return refused(req, res, 400, 'OIDC_STATE_INVALID', 'the login state cookie was altered or is not ours');
    const login = opened.value;
    const search = new URL(req.originalUrl, 'http://callback').searchParams;
    if (search.get('state') !== login.state)
      return refused(req, res, 400, 'OIDC_STATE_MISMATCH', 'the answer is not for the login this browser started');
    if (search.has('error'))
      return refused(
        req,
        res,
        401,
        'OIDC_PROVIDER_ERROR',
        `the identity provider refused the login: ${oauthError(search.get('error'))}`,
      );
    let claims: Awaited<ReturnType<OidcClient['finish']>>;
    try {
      claims = await d.client.finish(search, login);
    } catch (e) {
      if (!(e instanceof OidcRefusal)) throw e;
      return refused(req, res, e.status, e.code, e.message);
    }
    const sub = String(claims.sub ?? '').slice(0, 255);
    const name = userNameOf(claims, o.usernameClaim);
    const who = { sub, name, issuer: String(claimAt(claims, 'iss') ?? o.issuer) };
    const grants = grantsFromClaims(claims, o);
    if (grants.length === 0)
      return refused(
        req,
        res,
        403,
        'OIDC_NO_GRANT',
        `${name} is known to the identity provider, but none of their claims grants access to beheer`,
        who,
      );
    const session = await d.auth.oidcSession(`${OIDC_USER_PREFIX}${name}`, grants);
    await d.store.audit({
      actor: actorOf({ name: session.user }),
      action: 'beheer.login',
      details: { method: 'oidc', ...who, grants },
    });
    res.append('Set-Cookie', d.auth.sessionCookie(req, session));
    res.status(200).type('html').send(onwardPage(name));
  });
  return r;
}
