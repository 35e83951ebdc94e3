/**
 * Connection-level protection of the HTTP server: its timeouts, and the answers to requests that Node's
 * HTTP parser refuses before express sees them (slow or oversized headers, broken HTTP), in the gateway's
 * one error shape with a request id and the security headers.
 */
import crypto from 'node:crypto';
import type { Duplex } from 'node:stream';
import { SECURITY_HEADERS } from './security-headers.ts';

/**
 * The body deadline (rawXmlBody, server.requestTimeoutMs) answers a slow upload with 408 REQUEST_TIMEOUT
 * itself; Node's own request timeout is the backstop behind it for everything else, this much later.
 */
const BACKSTOP_MS = 5_000;

/** Node's timeouts for the gateway's server, from server.requestTimeoutMs. */
export function serverTimeouts(requestTimeoutMs: number): {
  requestTimeout: number;
  headersTimeout: number;
  connectionsCheckingInterval: number;
} {
  return {
    requestTimeout: requestTimeoutMs + BACKSTOP_MS,
    // Headers are small: a client dripping them (slowloris) is cut off after this.
    headersTimeout: Math.min(60_000, requestTimeoutMs),
    // How often Node looks for expired requests; its default (30 s) would let a timeout run 30 s late.
    connectionsCheckingInterval: Math.max(250, Math.min(5_000, Math.floor(requestTimeoutMs / 4))),
  };
}

const REFUSALS: Record<string, { status: number; reason: string; code: string; message: string }> = {
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    reason: 'Request Timeout',
    code: 'REQUEST_TIMEOUT',
    message: 'the request did not arrive in time',
  },
  HPE_HEADER_OVERFLOW: {
    status: 431,
    reason: 'Request Header Fields Too Large',
    code: 'HEADERS_TOO_LARGE',
    message: 'the request headers are too large',
  },
};
const BAD_REQUEST = {
  status: 400,
  reason: 'Bad Request',
  code: 'BAD_REQUEST',
  message: 'the request is not valid HTTP/1.1',
};

/** Node's 'clientError' listener: answers in the error shape when the connection can still carry an answer. */
export function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const r = REFUSALS[err.code ?? ''] ?? BAD_REQUEST;
  const requestId = crypto.randomUUID();
  const body = JSON.stringify({ error: { code: r.code, message: r.message, requestId } });
  const headers = {
    ...SECURITY_HEADERS,
    'Content-Type': 'application/json',
    'Content-Length': String(Buffer.byteLength(body)),
    'X-Request-Id': requestId,
    Connection: 'close',
  };
  const head = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  socket.end(`HTTP/1.1 ${r.status} ${r.reason}\r\n${head}\r\n${body}`);
  // A request being handled must not write after this answer; a sender still sending must not hold the socket.
  if (inFlight) socket.once('finish', () => socket.destroy());
  setTimeout(() => socket.destroy(), 1_000).unref();
}
