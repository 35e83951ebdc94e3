/**
 * The /beheer web page: a server-rendered login form, then one static page (index.html + app.js + style.css
 * from ./static, no build step) that talks to /api/beheer. Logging in and out are plain form posts.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { OidcConfig } from '../config/oidc.ts';
import type { FailureCharge } from '../http/rate-limit.ts';
import type { Logger } from '../log.ts';
import type { MessageStore } from '../store/types.ts';
import { escapeAttr, escapeText } from '../xml/escape.ts';
import { actorOf, type BeheerAuth, principalOf } from './auth.ts';
import { CSRF_FIELD, requireCsrf, tokensMatch } from './csrf.ts';
import type { OidcClient } from './oidc/client.ts';
import { oidcRouter } from './oidc/routes.ts';
import { cookieHeader, randomToken, readCookie } from './session.ts';

export const STATIC_DIR = fileURLToPath(new URL('./static/', import.meta.url));

/** Double-submit cookie for the login form (there is no session yet to hold a token). */
const LOGIN_COOKIE = 'schakel_login';

/** No inline script or style anywhere: the page's own files only. */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

function pageHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.set('Content-Security-Policy', CSP);
  res.set('X-Frame-Options', 'DENY');
  res.set('Referrer-Policy', 'no-referrer');
  next();
}

interface LoginPageOptions {
  name?: string;
  error?: string;
  /** The password form (there are local users, or there is no single sign-on). */
  local: boolean;
  /** Single sign-on: the button's name, why it cannot be used now, and why the last attempt failed. */
  sso?: { displayName: string; unavailable?: string; error?: string };
}

function ssoSection(sso: NonNullable<LoginPageOptions['sso']>): string {
  return `<div class="card sso">
<p><a class="button" id="sso-login" href="/beheer/oidc/login">Aanmelden met ${escapeText(sso.displayName)}</a></p>
${sso.error ? `<p class="error" role="alert" id="sso-poging">${escapeText(sso.error)}</p>` : ''}
${sso.unavailable && !sso.error ? `<p class="error" role="status" id="sso-fout">${escapeText(sso.displayName)} is nu niet bereikbaar: ${escapeText(sso.unavailable)}</p>` : ''}
</div>`;
}

function loginPage(token: string, o: LoginPageOptions): string {
  return `<!doctype html>
<html lang="nl">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Aanmelden — Schakel beheer</title>
<link rel="stylesheet" href="/beheer/static/style.css">
<link rel="icon" href="/beheer/static/favicon.svg" type="image/svg+xml">
</head>
<body class="login">
<main id="inhoud">
<h1>Schakel — functioneel beheer</h1>
${o.sso ? ssoSection(o.sso) : ''}
${o.local ? localForm(token, o) : ''}
</main>
</body>
</html>
`;
}

function localForm(token: string, o: LoginPageOptions): string {
  return `<form method="post" action="/beheer/login" class="card">
<h2>Aanmelden</h2>
${o.error ? `<p class="error" role="alert" id="login-fout">${escapeText(o.error)}</p>` : ''}
<input type="hidden" name="${CSRF_FIELD}" value="${escapeAttr(token)}">
<p><label for="name">Gebruikersnaam</label>
<input id="name" name="name" autocomplete="username" required autofocus value="${escapeAttr(o.name ?? '')}"${o.error ? ' aria-describedby="login-fout"' : ''}></p>
<p><label for="password">Wachtwoord</label>
<input id="password" name="password" type="password" autocomplete="current-password" required></p>
<p><button type="submit">Aanmelden</button></p>
</form>`;
}

export interface BeheerPageDeps {
  auth: BeheerAuth;
  store: MessageStore;
  /** Single sign-on, when beheer.oidc is configured. */
  oidc?: { client: OidcClient; options: () => OidcConfig | undefined };
}

export function beheerPageRouter(d: BeheerPageDeps): express.Router {
  const r = express.Router();
  const form = express.urlencoded({ extended: false, limit: '16kb' });
  r.use(pageHeaders);
  r.use('/static', express.static(STATIC_DIR, { index: false, maxAge: '1h' }));

  const showLogin = (
    req: Request,
    res: Response,
    status: number,
    o: { name?: string; error?: string; ssoError?: string } = {},
  ) => {
    const token = randomToken();
    res.append(
      'Set-Cookie',
      cookieHeader(LOGIN_COOKIE, token, { secure: d.auth.secureCookie(req), maxAgeSeconds: 3600 }),
    );
    const options = d.oidc?.options();
    const discovery = d.oidc?.client.state();
    const sso = options
      ? {
          displayName: options.displayName,
          ...(discovery?.kind === 'unavailable' ? { unavailable: discovery.reason } : {}),
          ...(o.ssoError ? { error: o.ssoError } : {}),
        }
      : undefined;
    const local = !sso || d.auth.hasLocalUsers();
    res
      .status(status)
      .type('html')
      .send(loginPage(token, { ...o, local, ...(sso ? { sso } : {}) }));
  };

  if (d.oidc) r.use('/oidc', oidcRouter({ auth: d.auth, store: d.store, ...d.oidc, showLogin }));

  r.get('/login', async (req, res) => {
    if (await d.auth.principal(req)) return void res.redirect(303, '/beheer');
    showLogin(req, res, 200);
  });

  r.post('/login', form, async (req, res) => {
    if (!d.auth.hasLocalUsers() && d.oidc?.options())
      return showLogin(req, res, 404, { ssoError: 'Aanmelden met een wachtwoord kan hier niet; gebruik de knop.' });
    const body = (req.body ?? {}) as Record<string, unknown>;
    const name = typeof body.name === 'string' ? body.name.trim() : '';
    const password = typeof body.password === 'string' ? body.password : '';
    const submitted = typeof body[CSRF_FIELD] === 'string' ? (body[CSRF_FIELD] as string) : undefined;
    if (!tokensMatch(submitted, readCookie(req, LOGIN_COOKIE))) {
      return showLogin(req, res, 403, { name, error: 'Het formulier is verlopen; probeer het opnieuw.' });
    }
    // The client address's failure budget is reserved before the password is checked (see FailureCharge).
    const charge = res.locals.failureCharge as FailureCharge | undefined;
    const wait = charge?.reserve() ?? 0;
    if (wait > 0) {
      res.set('Retry-After', String(Math.max(1, Math.ceil(wait / 1000))));
      (res.locals.log as Logger | undefined)?.warn(
        { clientAddress: charge!.clientAddress },
        'client address over its failed-authentication budget',
      );
      return showLogin(req, res, 429, {
        name,
        error: 'Te veel mislukte aanmeldingen vanaf dit adres; probeer het later opnieuw.',
      });
    }
    const result = await d.auth.login(name, password);
    if (!result.ok) {
      charge?.fail();
      // Who tried and why it failed, never the password.
      await d.store.audit({
        actor: 'anonymous',
        action: 'beheer.login-failed',
        details: {
          user: name.slice(0, 100),
          reason: result.reason,
          clientAddress: charge?.clientAddress ?? req.ip ?? null,
        },
      });
      const error =
        result.reason === 'locked'
          ? 'Te veel mislukte pogingen voor deze gebruiker; probeer het over een kwartier opnieuw.'
          : 'Onbekende gebruikersnaam of onjuist wachtwoord.';
      return showLogin(req, res, result.reason === 'locked' ? 429 : 401, { name, error });
    }
    await d.store.audit({ actor: actorOf({ name: result.session.user }), action: 'beheer.login' });
    res.append('Set-Cookie', d.auth.sessionCookie(req, result.session));
    res.append('Set-Cookie', cookieHeader(LOGIN_COOKIE, '', { secure: d.auth.secureCookie(req), maxAgeSeconds: 0 }));
    res.redirect(303, '/beheer');
  });

  r.post('/logout', d.auth.requireSession('page'), form, requireCsrf, async (req, res) => {
    const p = principalOf(res);
    await d.auth.sessions.destroy(p.session.id);
    await d.store.audit({ actor: actorOf(p), action: 'beheer.logout' });
    res.append('Set-Cookie', d.auth.sessionCookie(req, null));
    res.redirect(303, '/beheer/login');
  });

  r.get('/', d.auth.requireSession('page'), (_req, res) => {
    res.sendFile(path.join(STATIC_DIR, 'index.html'));
  });
  return r;
}
