/**
 * A real OpenID Connect provider for tests: `oidc-provider` (the certified implementation openid-client is
 * tested against) in this process, over HTTPS with a certificate of a fresh test CA, for https://localhost.
 * Its development login and consent forms accept any password for a known account; each account's claims
 * are what the test says. The HTTPS server answers 503 until `attach()` gives it the provider, so a gateway
 * can be started first (its callback URL is then known) and sees a provider that is down.
 */
import { createHash, createPublicKey } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Provider from 'oidc-provider';
import { fetchTrusting } from '../../src/beheer/oidc/fetch.ts';
import { createCa, issue } from './pki.ts';

export interface TestIdp {
  /** https://localhost:<port> */
  issuer: string;
  /** The test CA (PEM file) that issued the provider's certificate. */
  caPath: string;
  /** base64 SHA-256 of the server certificate's public key (for chromium's --ignore-certificate-errors-spki-list). */
  spkiHash: string;
  /** Starts answering as an OpenID provider with this client and these accounts. */
  attach(o: {
    clientId: string;
    clientSecret: string;
    redirectUris: string[];
    accounts: Accounts;
    /** false: the profile claims are only at the userinfo endpoint, not in the ID token (default true). */
    claimsInIdToken?: boolean;
  }): void;
  /** Stops answering (503), as a provider that is down. */
  detach(): void;
  close(): Promise<void>;
}

/** Account id (the login name typed at the provider) → its claims (besides sub). */
export type Accounts = Record<string, Record<string, unknown>>;

export async function startTestIdp(dir: string): Promise<TestIdp> {
  const ca = createCa('Schakel Test IdP CA');
  const cert = issue(ca, { commonName: 'localhost', altNames: ['localhost', '127.0.0.1'], usage: 'server' });
  const caPath = join(dir, 'idp-ca.crt');
  writeFileSync(caPath, ca.certPem);
  const spki = createPublicKey(cert.certPem).export({ type: 'spki', format: 'der' });
  let handler: ((req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void) | null =
    null;
  const server = https.createServer({ key: cert.keyPem, cert: cert.certPem }, (req, res) => {
    if (handler) return handler(req, res);
    res.writeHead(503, { 'content-type': 'text/plain' }).end('identity provider down');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `https://localhost:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    caPath,
    spkiHash: createHash('sha256').update(spki).digest('base64'),
    attach({ clientId, clientSecret, redirectUris, accounts, claimsInIdToken = true }) {
      const provider = new Provider(issuer, {
        clients: [
          {
            client_id: clientId,
            client_secret: clientSecret,
            redirect_uris: redirectUris,
            response_types: ['code'],
            grant_types: ['authorization_code'],
          },
        ],
        async findAccount(_ctx, id) {
          const claims = accounts[id];
          if (!claims) return undefined;
          return { accountId: id, claims: async () => ({ sub: id, ...claims }) };
        },
        // The claims the tests map, in the profile scope and (as Keycloak and Entra do) in the ID token, or not.
        claims: {
          openid: ['sub'],
          profile: ['name', 'preferred_username', 'groups', 'schakel_gemeenten', 'realm_access'],
        },
        conformIdTokenClaims: !claimsInIdToken,
        features: { devInteractions: { enabled: true } },
        cookies: { keys: ['schakel-test-idp-cookie-key'] },
        ttl: { AuthorizationCode: 60, Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600 },
      });
      provider.on('server_error', (_ctx, err) => console.error('test idp server_error', err));
      handler = provider.callback();
    },
    detach() {
      handler = null;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A cookie jar per host:port (paths ignored), and one request that does not follow redirects. */
export class CookieClient {
  private readonly jars = new Map<string, Map<string, string>>();
  private readonly fetch: ReturnType<typeof fetchTrusting>;

  /** `caPath`: the PEM file of the CA the provider's certificate comes from. */
  constructor(caPath: string) {
    this.fetch = fetchTrusting([readFileSync(caPath, 'utf8')]);
  }

  cookie(url: string, name: string): string | undefined {
    return this.jars.get(new URL(url).host)?.get(name);
  }

  setCookie(url: string, name: string, value: string): void {
    const host = new URL(url).host;
    const jar = this.jars.get(host) ?? new Map<string, string>();
    jar.set(name, value);
    this.jars.set(host, jar);
  }

  async request(
    url: string,
    o: { method?: string; form?: Record<string, string>; accept?: string } = {},
  ): Promise<{ status: number; location: string | null; text: string; headers: Headers }> {
    const host = new URL(url).host;
    const jar = this.jars.get(host) ?? new Map<string, string>();
    this.jars.set(host, jar);
    const headers: Record<string, string> = { accept: o.accept ?? 'text/html' };
    if (jar.size > 0) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const body = o.form ? new URLSearchParams(o.form) : undefined;
    if (body) headers['content-type'] = 'application/x-www-form-urlencoded';
    const res = await this.fetch(url, {
      method: o.method ?? (body ? 'POST' : 'GET'),
      headers,
      body,
      redirect: 'manual',
    } as never);
    for (const c of res.headers.getSetCookie()) {
      const [pair, ...attrs] = c.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=Thu, 01 Jan 1970/i.test(a));
      if (expired || value === '') jar.delete(name);
      else jar.set(name, value);
    }
    const location = res.headers.get('location');
    return {
      status: res.status,
      location: location === null ? null : new URL(location, url).href,
      text: await res.text(),
      headers: res.headers,
    };
  }

  /** Follows redirects from `url` until an answer that is not one; returns it and the URL it came from. */
  async follow(
    url: string,
    o: { method?: string; form?: Record<string, string> } = {},
    stopAt?: (url: string) => boolean,
  ): Promise<{ url: string; status: number; text: string }> {
    let r = await this.request(url, o);
    let at = url;
    for (let hops = 0; r.location && hops < 20; hops++) {
      at = r.location;
      if (stopAt?.(at)) return { url: at, status: r.status, text: r.text };
      r = await this.request(at);
    }
    return { url: at, status: r.status, text: r.text };
  }
}

/** The action URL and hidden fields of the first form in a page. */
export function formOf(html: string, base: string): { action: string; fields: Record<string, string> } {
  const form = /<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/.exec(html);
  if (!form) throw new Error(`no form in: ${html.slice(0, 500)}`);
  const fields: Record<string, string> = {};
  for (const m of form[2]!.matchAll(/<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g))
    fields[m[1]!] = m[2]!;
  return { action: new URL(form[1]!.replace(/&amp;/g, '&'), base).href, fields };
}
