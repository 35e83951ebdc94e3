/**
 * A fetch for openid-client that trusts extra CAs (`beheer.oidc.ca`): an identity provider inside a gemeente
 * (ADFS, Keycloak) often has a certificate of the gemeente's own CA, which Node's built-in fetch cannot be
 * told to trust. Plain node:https, the answer capped in size.
 */
import http from 'node:http';
import https from 'node:https';
import type { CustomFetch } from 'openid-client';

/** Discovery documents, JWKS and token answers are small; anything larger is not an identity provider. */
const MAX_ANSWER_BYTES = 1024 * 1024;

function bodyText(body: unknown): string | Buffer | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return body;
  if (body instanceof URLSearchParams) return body.toString();
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  throw new TypeError('unsupported request body for the identity provider');
}

export function fetchTrusting(ca: readonly string[]): CustomFetch {
  return (url, options) =>
    new Promise<Response>((resolve, reject) => {
      const target = new URL(url);
      const body = bodyText(options.body);
      const transport = target.protocol === 'https:' ? https : http;
      const req = transport.request(
        target,
        {
          method: options.method,
          headers: options.headers,
          ...(target.protocol === 'https:' ? { ca: [...ca] } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > MAX_ANSWER_BYTES) return void req.destroy(new Error('identity provider answer too large'));
            chunks.push(c);
          });
          res.on('error', reject);
          res.on('end', () => {
            const headers = new Headers();
            for (const [k, v] of Object.entries(res.headers)) {
              if (Array.isArray(v)) for (const x of v) headers.append(k, x);
              else if (v !== undefined) headers.set(k, v);
            }
            const status = res.statusCode ?? 502;
            const empty = status === 204 || status === 304;
            resolve(new Response(empty ? null : Buffer.concat(chunks), { status, headers }));
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
}
