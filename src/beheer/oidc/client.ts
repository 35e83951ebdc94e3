/**
 * The OpenID Connect relying party (openid-client): discovery of the provider, lazily and never blocking the
 * gateway's start (a provider that is down is tried again at a later login, and the login page says why), the
 * authorization request (code flow, PKCE S256, state, nonce) and the callback (code exchange, ID token
 * validation, optionally userinfo). Refusals carry a machine-readable code.
 */
import { readFileSync } from 'node:fs';
import * as client from 'openid-client';
import type { OidcConfig } from '../../config/oidc.ts';
import type { Logger } from '../../log.ts';
import type { Claims } from './claims.ts';
import { fetchTrusting } from './fetch.ts';

/** What a login needs to remember between the redirect and the callback (kept in a sealed cookie). */
export interface LoginState {
  state: string;
  nonce: string;
  verifier: string;
  redirectUri: string;
}

export type OidcRefusalCode =
  | 'OIDC_UNAVAILABLE'
  | 'OIDC_PROVIDER_ERROR'
  | 'OIDC_CODE_REFUSED'
  | 'OIDC_ID_TOKEN_INVALID';

/** A login that cannot go on: the code, the HTTP status, and specifics without personal data. */
export class OidcRefusal extends Error {
  constructor(
    readonly code: OidcRefusalCode,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export type DiscoveryState =
  | { kind: 'ready'; issuer: string }
  | { kind: 'unavailable'; reason: string; since: Date }
  | { kind: 'not-tried' };

/** Loopback hosts, where a provider over plain http is allowed (a developer's Keycloak). */
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

export class OidcClient {
  private ready?: { key: string; config: client.Configuration };
  private pending?: { key: string; promise: Promise<client.Configuration> };
  private failure?: { key: string; reason: string; at: number };

  constructor(
    private readonly options: () => OidcConfig | undefined,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Starts discovery in the background: the gateway starts whether or not the provider answers. */
  warmUp(): void {
    if (this.options()) this.configuration().catch(() => undefined);
  }

  state(): DiscoveryState {
    const o = this.options();
    if (!o) return { kind: 'not-tried' };
    const key = keyOf(o);
    if (this.ready?.key === key) return { kind: 'ready', issuer: o.issuer };
    if (this.failure?.key === key)
      return { kind: 'unavailable', reason: this.failure.reason, since: new Date(this.failure.at) };
    return { kind: 'not-tried' };
  }

  /** The provider's configuration: discovered once; after a failure, tried again after discoveryRetrySeconds. */
  async configuration(): Promise<client.Configuration> {
    const o = this.options();
    if (!o) throw new OidcRefusal('OIDC_UNAVAILABLE', 503, 'single sign-on is not configured');
    const key = keyOf(o);
    if (this.ready?.key === key) return this.ready.config;
    if (this.pending?.key === key) return this.pending.promise;
    const f = this.failure;
    if (f?.key === key && this.now() - f.at < o.discoveryRetrySeconds * 1000)
      throw new OidcRefusal('OIDC_UNAVAILABLE', 503, `the identity provider cannot be reached: ${f.reason}`);
    const promise = discover(o).then(
      (config) => {
        this.ready = { key, config };
        this.failure = undefined;
        this.logger.info({ issuer: o.issuer }, 'identity provider discovered');
        return config;
      },
      (e: unknown) => {
        const reason = describe(e);
        this.failure = { key, reason, at: this.now() };
        this.logger.warn({ issuer: o.issuer, reason }, 'identity provider discovery failed; a later login tries again');
        throw new OidcRefusal('OIDC_UNAVAILABLE', 503, `the identity provider cannot be reached: ${reason}`);
      },
    );
    this.pending = { key, promise };
    try {
      return await promise;
    } finally {
      if (this.pending?.promise === promise) this.pending = undefined;
    }
  }

  /** The provider's authorization URL for a new login, and what the callback must check. */
  async begin(redirectUri: string): Promise<{ url: URL; login: LoginState }> {
    const o = this.options()!;
    const config = await this.configuration();
    const login: LoginState = {
      state: client.randomState(),
      nonce: client.randomNonce(),
      verifier: client.randomPKCECodeVerifier(),
      redirectUri,
    };
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: o.scopes.join(' '),
      state: login.state,
      nonce: login.nonce,
      code_challenge: await client.calculatePKCECodeChallenge(login.verifier),
      code_challenge_method: 'S256',
    });
    return { url, login };
  }

  /**
   * Exchanges the code of the callback (its query in `search`) for tokens and returns the validated ID
   * token's claims (with userinfo's when configured; the ID token's win).
   */
  async finish(search: URLSearchParams, login: LoginState): Promise<Claims> {
    const o = this.options()!;
    const config = await this.configuration();
    const currentUrl = new URL(login.redirectUri);
    currentUrl.search = search.toString();
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(config, currentUrl, {
        pkceCodeVerifier: login.verifier,
        expectedState: login.state,
        expectedNonce: login.nonce,
        idTokenExpected: true,
      });
    } catch (e) {
      throw refusalOf(e);
    }
    const idClaims = tokens.claims();
    if (!idClaims) throw new OidcRefusal('OIDC_ID_TOKEN_INVALID', 401, 'the provider returned no ID token');
    if (!o.userinfo) return idClaims;
    try {
      const info = await client.fetchUserInfo(config, tokens.access_token, idClaims.sub);
      return { ...info, ...idClaims };
    } catch (e) {
      throw refusalOf(e);
    }
  }
}

function keyOf(o: OidcConfig): string {
  return JSON.stringify([o.issuer, o.clientId, o.clientSecret ?? null, o.ca, o.timeoutMs]);
}

async function discover(o: OidcConfig): Promise<client.Configuration> {
  const issuer = new URL(o.issuer);
  if (issuer.protocol !== 'https:' && !LOOPBACK.has(issuer.hostname))
    throw new Error('an identity provider must be reached over https (plain http only on localhost)');
  const ca = o.ca.map((f) => readFileSync(f, 'utf8'));
  const auth = o.clientSecret !== undefined ? client.ClientSecretBasic(o.clientSecret) : client.None();
  const config = await client.discovery(issuer, o.clientId, undefined, auth, {
    timeout: Math.max(1, Math.ceil(o.timeoutMs / 1000)),
    ...(ca.length > 0 ? { [client.customFetch]: fetchTrusting(ca) } : {}),
    ...(issuer.protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : {}),
  });
  return config;
}

/** A short reason, without anything the provider or browser sent beyond OAuth error codes. */
function describe(e: unknown): string {
  if (e instanceof Error) {
    const cause = (e as { cause?: unknown }).cause;
    const inner = cause instanceof Error ? `: ${cause.message}` : '';
    return `${e.message}${inner}`.slice(0, 300);
  }
  return 'unknown error';
}

/** What went wrong in the callback, as a refusal. */
function refusalOf(e: unknown): OidcRefusal {
  if (e instanceof OidcRefusal) return e;
  if (e instanceof client.AuthorizationResponseError)
    return new OidcRefusal(
      'OIDC_PROVIDER_ERROR',
      401,
      `the identity provider refused the login: ${oauthError(e.error)}`,
    );
  if (e instanceof client.ResponseBodyError)
    return new OidcRefusal('OIDC_CODE_REFUSED', 401, `the identity provider refused the code: ${oauthError(e.error)}`);
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.startsWith('OAUTH_'))
    return new OidcRefusal(
      'OIDC_ID_TOKEN_INVALID',
      401,
      `the identity provider's answer did not validate: ${describe(e)}`,
    );
  return new OidcRefusal('OIDC_UNAVAILABLE', 503, `the identity provider cannot be reached: ${describe(e)}`);
}

/** An OAuth error code as the provider sent it, limited to the characters RFC 6749 allows. */
export function oauthError(code: unknown): string {
  return typeof code === 'string' ? code.replace(/[^\x20-\x21\x23-\x5B\x5D-\x7E]/g, '').slice(0, 60) : 'unknown';
}
