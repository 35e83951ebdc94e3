import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { oinOfPeer } from '../../src/security/oin.ts';
import type { ClientTls } from '../../src/transport/adapter.ts';

/** One HTTP(S) POST of an outgoing message: the one place where adapters touch the wire. */
export interface PostRequest {
  url: string;
  body: Buffer;
  headers: Record<string, string>;
  timeoutMs: number;
  /** Aborts the request (shutdown or the lease running out). */
  signal: AbortSignal;
  /** Client certificate, trusted CAs and the OIN the receiver must show; only for https URLs. */
  tls?: ClientTls | undefined;
  /** Bytes of the answer kept; the rest is read and discarded. */
  answerBytes: number;
}

export type PostResult =
  | {
      kind: 'answered';
      status: number;
      statusText: string;
      headers: http.IncomingHttpHeaders;
      /** The start of the answer body (at most `answerBytes`). */
      answer: Buffer;
      /** The OIN in the receiver's certificate subject serialNumber, when it was an https connection. */
      peerOin?: string;
    }
  | {
      kind: 'unreachable';
      reason: string;
      /** The TLS handshake failed (untrusted CA, wrong OIN, expired certificate): a configuration problem. */
      tlsRefused: boolean;
    };

/** Node error codes of a TLS handshake that failed on certificates (ours or theirs). */
const TLS_CODES = /^(ERR_TLS_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|ERR_SSL_|EPROTO$)/;

export class OinMismatchError extends Error {
  readonly code = 'ERR_TLS_OIN_MISMATCH';
}

const agents = new Map<string, https.Agent>();

/** Plain-HTTP deliveries share one keep-alive agent (connections are reused per host and port). */
const plainAgent = new http.Agent({ keepAlive: true });

/** The keep-alive agent of one (profile, expected OIN) pair. */
function agentFor(clientTls: ClientTls): https.Agent {
  const key = `${clientTls.profile}\u0000${clientTls.expectedOin ?? ''}`;
  let agent = agents.get(key);
  if (!agent) {
    agent = new https.Agent({ keepAlive: true });
    agents.set(key, agent);
  }
  return agent;
}

/**
 * POSTs `body` and reads the start of the answer. Never throws: network errors, timeouts, aborts and refused
 * TLS handshakes come back as `unreachable` with a reason that names no message content.
 */
export function post(request: PostRequest): Promise<PostResult> {
  const url = new URL(request.url);
  const secure = url.protocol === 'https:';
  const expectedOin = request.tls?.expectedOin;

  // No AbortController per request: a timer and one listener on the caller's signal end it (thousands a second).
  const options: https.RequestOptions = {
    method: 'POST',
    headers: { ...request.headers, 'content-length': String(request.body.length) },
    agent: secure ? undefined : plainAgent,
  };
  if (secure && request.tls) {
    Object.assign(options, request.tls.options, { minVersion: 'TLSv1.2' as const });
    // A resumed TLS session skips checkServerIdentity, so sessions (and kept-alive connections) are never shared
    // between profiles or expected OINs: each pair has an agent of its own.
    options.agent = agentFor(request.tls);
    if (expectedOin !== undefined) {
      options.checkServerIdentity = (host, cert) => {
        const hostError = tls.checkServerIdentity(host, cert);
        if (hostError) return hostError;
        const got = oinOfPeer(cert);
        if (got !== expectedOin) {
          return new OinMismatchError(
            `receiver certificate carries OIN ${got ?? '(none)'}, profile "${request.tls!.profile}" expects ${expectedOin}`,
          );
        }
        return undefined;
      };
    }
  }

  return new Promise<PostResult>((resolve) => {
    let settled = false;
    let timedOut = false;
    const done = (result: PostResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.signal.removeEventListener('abort', onAbort);
      resolve(result);
    };
    const onAbort = () => req.destroy(new Error('aborted'));
    const timer = setTimeout(() => {
      timedOut = true;
      req.destroy(new DOMException(`timed out after ${request.timeoutMs} ms`, 'TimeoutError'));
    }, request.timeoutMs);
    timer.unref();
    // TLS 1.3: the client's handshake is done before the receiver has checked our certificate, so a receiver that
    // refuses it often just drops the fresh connection (ECONNRESET) instead of the alert reaching us first.
    let handshakeDone = false;
    let answered = false;
    const refusedAfterHandshake = (code: string) =>
      secure &&
      (request.tls?.options.cert ?? request.tls?.options.pfx) !== undefined &&
      handshakeDone &&
      !answered &&
      !req.reusedSocket &&
      (code === 'ECONNRESET' || code === 'EPIPE');
    const unreachable = (err: unknown) => {
      const code = (err as { code?: string }).code ?? '';
      if (refusedAfterHandshake(code) && !timedOut && !request.signal.aborted) {
        const reason = `TLS refused: the receiver closed the connection right after the handshake (${code}); it probably does not accept the client certificate of profile "${request.tls!.profile}"`;
        return done({ kind: 'unreachable', reason, tlsRefused: true });
      }
      const tlsRefused = err instanceof OinMismatchError || TLS_CODES.test(code);
      const reason = timedOut
        ? `timeout after ${request.timeoutMs} ms`
        : request.signal.aborted
          ? 'aborted before the receiver answered'
          : tlsRefused
            ? `TLS refused: ${err instanceof Error ? err.message : String(err)}${code && !(err instanceof OinMismatchError) ? ` (${code})` : ''}`
            : `network error: ${code || (err instanceof Error ? err.message : String(err))}`;
      done({ kind: 'unreachable', reason, tlsRefused: tlsRefused && !timedOut && !request.signal.aborted });
    };

    const req = (secure ? https : http).request(url, options, (res) => {
      answered = true;
      const socket = res.socket as tls.TLSSocket;
      // A resumed session shows no peer certificate; it was made by this (profile, OIN) agent's own full
      // handshake, which checked the OIN, so the expected OIN is the one it verified.
      const resumed = secure && socket.encrypted && socket.isSessionReused();
      const peerOin = resumed
        ? expectedOin
        : secure && typeof socket.getPeerCertificate === 'function'
          ? oinOfPeer(socket.getPeerCertificate())
          : undefined;
      // Belt and braces: the certificate of the connection that answered must carry the expected OIN too.
      if (expectedOin !== undefined && socket.encrypted && peerOin !== expectedOin) {
        res.resume();
        unreachable(
          new OinMismatchError(
            `receiver certificate carries OIN ${peerOin ?? '(none)'}, profile "${request.tls!.profile}" expects ${expectedOin}`,
          ),
        );
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (size < request.answerBytes) chunks.push(chunk);
        size += chunk.length;
      });
      const finish = () =>
        done({
          kind: 'answered',
          status: res.statusCode ?? 0,
          statusText: res.statusMessage ?? '',
          headers: res.headers,
          answer: Buffer.concat(chunks).subarray(0, request.answerBytes),
          ...(peerOin !== undefined ? { peerOin } : {}),
        });
      res.on('end', finish);
      // An answer cut off after its status line is still an answer: what arrived is kept.
      res.on('error', finish);
      res.on('aborted', finish);
    });
    req.on('error', unreachable);
    if (request.signal.aborted) onAbort();
    else request.signal.addEventListener('abort', onAbort, { once: true });
    req.on('socket', (socket) => {
      if (secure) socket.once('secureConnect', () => (handshakeDone = true));
    });
    req.end(request.body);
  });
}
