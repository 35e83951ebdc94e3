import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import type { ClientTls } from '../types.ts';

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

/** The OIN of a certificate: its subject serialNumber, when it is 20 digits. */
export function oinOfPeer(cert: tls.PeerCertificate | undefined): string | undefined {
  const serial = (cert?.subject as unknown as Record<string, string | string[] | undefined> | undefined)?.serialNumber;
  const value = Array.isArray(serial) ? serial[0] : serial;
  return value !== undefined && /^[0-9]{20}$/.test(value) ? value : undefined;
}

/**
 * POSTs `body` and reads the start of the answer. Never throws: network errors, timeouts, aborts and refused
 * TLS handshakes come back as `unreachable` with a reason that names no message content.
 */
export function post(request: PostRequest): Promise<PostResult> {
  const url = new URL(request.url);
  const secure = url.protocol === 'https:';
  const timeout = AbortSignal.timeout(request.timeoutMs);
  const signal = AbortSignal.any([request.signal, timeout]);
  const expectedOin = request.tls?.expectedOin;

  const options: https.RequestOptions = {
    method: 'POST',
    headers: { ...request.headers, 'content-length': String(request.body.length) },
    signal,
  };
  if (secure && request.tls) {
    Object.assign(options, request.tls.options, { minVersion: 'TLSv1.2' as const });
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
    const done = (result: PostResult) => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    const unreachable = (err: unknown) => {
      const code = (err as { code?: string }).code ?? '';
      const tlsRefused = err instanceof OinMismatchError || TLS_CODES.test(code);
      const reason = timeout.aborted
        ? `timeout after ${request.timeoutMs} ms`
        : request.signal.aborted
          ? 'aborted before the receiver answered'
          : tlsRefused
            ? `TLS refused: ${err instanceof Error ? err.message : String(err)}${code && !(err instanceof OinMismatchError) ? ` (${code})` : ''}`
            : `network error: ${code || (err instanceof Error ? err.message : String(err))}`;
      done({ kind: 'unreachable', reason, tlsRefused: tlsRefused && !timeout.aborted && !request.signal.aborted });
    };

    const req = (secure ? https : http).request(url, options, (res) => {
      const socket = res.socket as tls.TLSSocket;
      const peerOin = secure && typeof socket.getPeerCertificate === 'function' ? oinOfPeer(socket.getPeerCertificate()) : undefined;
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
    req.end(request.body);
  });
}
