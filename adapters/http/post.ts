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

/** What a TLS connection of one (profile, expected OIN) pair is made with. */
interface TlsSide {
  agent: https.Agent;
  /** Checks the receiver's host name and OIN; only with an expected OIN. */
  checkServerIdentity?: (host: string, cert: tls.PeerCertificate) => Error | undefined;
}

const tlsSides = new Map<string, TlsSide>();

/** Plain-HTTP deliveries share one keep-alive agent (connections are reused per host and port). */
const plainAgent = new http.Agent({ keepAlive: true });

/**
 * The keep-alive agent (and OIN check) of one (profile, expected OIN) pair. A resumed TLS session skips
 * checkServerIdentity, so sessions (and kept-alive connections) are never shared between profiles or expected OINs.
 */
function tlsSideFor(clientTls: ClientTls): TlsSide {
  const key = `${clientTls.profile}\u0000${clientTls.expectedOin ?? ''}`;
  let side = tlsSides.get(key);
  if (!side) {
    side = { agent: new https.Agent({ keepAlive: true }) };
    const { expectedOin, profile } = clientTls;
    if (expectedOin !== undefined) {
      side.checkServerIdentity = (host, cert) => {
        const hostError = tls.checkServerIdentity(host, cert);
        if (hostError) return hostError;
        const got = oinOfPeer(cert);
        return got === expectedOin ? undefined : oinMismatch(got, profile, expectedOin);
      };
    }
    tlsSides.set(key, side);
  }
  return side;
}

function oinMismatch(got: string | undefined, profile: string, expectedOin: string): OinMismatchError {
  return new OinMismatchError(
    `receiver certificate carries OIN ${got ?? '(none)'}, profile "${profile}" expects ${expectedOin}`,
  );
}

/** Where a URL points, read once: deliveries go to a handful of configured URLs, thousands of times a second. */
interface Target {
  secure: boolean;
  options: Pick<https.RequestOptions, 'protocol' | 'hostname' | 'port' | 'path' | 'auth'>;
}

const targets = new Map<string, Target>();
const TARGETS_KEPT = 256;

function targetOf(url: string): Target {
  let target = targets.get(url);
  if (target) return target;
  const u = new URL(url);
  // As Node's own urlToHttpOptions reads a URL given to http.request.
  const hostname = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  const auth = u.username || u.password ? `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}` : '';
  target = {
    secure: u.protocol === 'https:',
    options: {
      protocol: u.protocol,
      hostname,
      path: `${u.pathname || '/'}${u.search}`,
      ...(u.port !== '' ? { port: Number(u.port) } : {}),
      ...(auth ? { auth } : {}),
    },
  };
  if (targets.size >= TARGETS_KEPT) targets.clear();
  targets.set(url, target);
  return target;
}

const NOTHING = Buffer.alloc(0);
/** The exchange a request or response belongs to (set on Node's objects: no closures per request). */
const kExchange = Symbol('schakel.post');
type Tagged<T> = T & { [kExchange]?: Exchange };

/**
 * Aborts on a signal: one listener per signal, however many requests it covers (the transport shares a signal
 * between the attempts whose leases end together; adding and removing a listener per request is dear).
 */
const watchers = new WeakMap<AbortSignal, Set<Exchange>>();

function watch(signal: AbortSignal, exchange: Exchange): Set<Exchange> {
  let watching = watchers.get(signal);
  if (!watching) {
    const set = new Set<Exchange>();
    watching = set;
    watchers.set(signal, set);
    signal.addEventListener(
      'abort',
      () => {
        for (const e of set) e.req.destroy(new Error('aborted'));
      },
      { once: true },
    );
  }
  watching.add(exchange);
  return watching;
}

/** One request and its answer. Node's events call the module's handlers below, which find it by `kExchange`. */
class Exchange {
  req!: Tagged<http.ClientRequest>;
  resolve!: (result: PostResult) => void;
  timer: NodeJS.Timeout | undefined;
  watching: Set<Exchange> | undefined;
  settled = false;
  timedOut = false;
  handshakeDone = false;
  answered = false;
  chunks: Buffer[] | null = null;
  size = 0;
  res: http.IncomingMessage | null = null;
  peerOin: string | undefined;

  constructor(
    readonly request: PostRequest,
    readonly secure: boolean,
  ) {}

  done(result: PostResult): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    this.watching?.delete(this);
    this.resolve(result);
  }

  /** The answer as far as it arrived: an answer cut off after its status line is still an answer. */
  finish(): void {
    if (this.settled) return;
    const res = this.res!;
    const { answerBytes } = this.request;
    const chunks = this.chunks;
    const answer = chunks === null ? NOTHING : Buffer.concat(chunks).subarray(0, answerBytes);
    this.done(new Answered(res, answer, this.peerOin));
  }

  unreachable(err: unknown): void {
    const { request } = this;
    const code = (err as { code?: string }).code ?? '';
    if (this.refusedAfterHandshake(code) && !this.timedOut && !request.signal.aborted) {
      const reason = `TLS refused: the receiver closed the connection right after the handshake (${code}); it probably does not accept the client certificate of profile "${request.tls!.profile}"`;
      return this.done({ kind: 'unreachable', reason, tlsRefused: true });
    }
    const tlsRefused = err instanceof OinMismatchError || TLS_CODES.test(code);
    const reason = this.timedOut
      ? `timeout after ${request.timeoutMs} ms`
      : request.signal.aborted
        ? 'aborted before the receiver answered'
        : tlsRefused
          ? `TLS refused: ${err instanceof Error ? err.message : String(err)}${code && !(err instanceof OinMismatchError) ? ` (${code})` : ''}`
          : `network error: ${code || (err instanceof Error ? err.message : String(err))}`;
    this.done({ kind: 'unreachable', reason, tlsRefused: tlsRefused && !this.timedOut && !request.signal.aborted });
  }

  /**
   * TLS 1.3: the client's handshake is done before the receiver has checked our certificate, so a receiver that
   * refuses it often just drops the fresh connection (ECONNRESET) instead of the alert reaching us first.
   */
  private refusedAfterHandshake(code: string): boolean {
    const { request } = this;
    return (
      this.secure &&
      (request.tls?.options.cert ?? request.tls?.options.pfx) !== undefined &&
      this.handshakeDone &&
      !this.answered &&
      !this.req.reusedSocket &&
      (code === 'ECONNRESET' || code === 'EPIPE')
    );
  }
}

const kResponse = Symbol('schakel.post.response');

/** An answer; its headers are read only when asked (Retry-After of a retry): Node builds them on first access. */
class Answered {
  readonly kind = 'answered';
  readonly status: number;
  readonly statusText: string;
  readonly peerOin?: string;
  private readonly [kResponse]: http.IncomingMessage;

  constructor(
    res: http.IncomingMessage,
    readonly answer: Buffer,
    peerOin: string | undefined,
  ) {
    this.status = res.statusCode ?? 0;
    this.statusText = res.statusMessage ?? '';
    if (peerOin !== undefined) this.peerOin = peerOin;
    this[kResponse] = res;
  }

  get headers(): http.IncomingHttpHeaders {
    return this[kResponse].headers;
  }
}

function onTimeout(exchange: Exchange): void {
  exchange.timedOut = true;
  exchange.req.destroy(new DOMException(`timed out after ${exchange.request.timeoutMs} ms`, 'TimeoutError'));
}

function onRequestError(this: Tagged<http.ClientRequest>, err: Error): void {
  this[kExchange]?.unreachable(err);
}

function onSocket(this: Tagged<http.ClientRequest>, socket: tls.TLSSocket): void {
  const exchange = this[kExchange];
  // Only a fresh connection shakes hands; a kept-alive one did long ago (and a listener on it would stay).
  if (exchange?.secure && !this.reusedSocket) socket.once('secureConnect', () => (exchange.handshakeDone = true));
}

function onResponse(this: Tagged<http.ClientRequest>, res: Tagged<http.IncomingMessage>): void {
  const exchange = this[kExchange];
  if (!exchange) {
    res.resume();
    return;
  }
  exchange.answered = true;
  exchange.res = res;
  if (exchange.secure) {
    const expectedOin = exchange.request.tls?.expectedOin;
    const socket = res.socket as tls.TLSSocket;
    // A resumed session shows no peer certificate; it was made by this (profile, OIN) agent's own full
    // handshake, which checked the OIN, so the expected OIN is the one it verified.
    const resumed = socket.encrypted && socket.isSessionReused();
    exchange.peerOin = resumed
      ? expectedOin
      : typeof socket.getPeerCertificate === 'function'
        ? oinOfPeer(socket.getPeerCertificate())
        : undefined;
    // Belt and braces: the certificate of the connection that answered must carry the expected OIN too.
    if (expectedOin !== undefined && socket.encrypted && exchange.peerOin !== expectedOin) {
      res.resume();
      exchange.unreachable(oinMismatch(exchange.peerOin, exchange.request.tls!.profile, expectedOin));
      return;
    }
  }
  res[kExchange] = exchange;
  res.on('data', onData);
  res.on('end', onEnd);
  // Cut off (error, aborted): 'close' follows, and what arrived is kept.
  res.on('close', onEnd);
}

function onData(this: Tagged<http.IncomingMessage>, chunk: Buffer): void {
  const exchange = this[kExchange];
  if (!exchange) return;
  if (exchange.size < exchange.request.answerBytes) {
    if (exchange.chunks === null) exchange.chunks = [chunk];
    else exchange.chunks.push(chunk);
  }
  exchange.size += chunk.length;
}

function onEnd(this: Tagged<http.IncomingMessage>): void {
  this[kExchange]?.finish();
}

/**
 * POSTs `body` and reads the start of the answer. Never throws: network errors, timeouts, aborts and refused
 * TLS handshakes come back as `unreachable` with a reason that names no message content.
 *
 * Per request it allocates no AbortController, no URL and no closures beyond the promise's: one timer (Node keeps
 * timers of one duration in one list) and the handlers above, which find the exchange on Node's objects.
 */
export function post(request: PostRequest): Promise<PostResult> {
  try {
    return send(request);
  } catch (err) {
    // What Node refuses before sending (a URL or header it cannot use): a rejection, as from an async function.
    return Promise.reject(err);
  }
}

function send(request: PostRequest): Promise<PostResult> {
  const target = targetOf(request.url);
  const secure = target.secure;
  const options: https.RequestOptions = {
    ...target.options,
    method: 'POST',
    // The caller's headers as they are when they already say the length (a fresh object per request, as the webhook
    // adapter builds it); a shared set of headers is copied first.
    headers:
      request.headers['content-length'] === undefined
        ? { ...request.headers, 'content-length': String(request.body.length) }
        : request.headers,
    agent: secure ? undefined : plainAgent,
  };
  if (secure && request.tls) {
    Object.assign(options, request.tls.options, { minVersion: 'TLSv1.2' as const });
    const side = tlsSideFor(request.tls);
    options.agent = side.agent;
    if (side.checkServerIdentity) options.checkServerIdentity = side.checkServerIdentity;
  }

  const exchange = new Exchange(request, secure);
  const result = new Promise<PostResult>((resolve) => {
    exchange.resolve = resolve;
  });
  const req: Tagged<http.ClientRequest> = (secure ? https : http).request(options, onResponse);
  exchange.req = req;
  req[kExchange] = exchange;
  req.on('error', onRequestError);
  if (secure) req.on('socket', onSocket);
  exchange.timer = setTimeout(onTimeout, request.timeoutMs, exchange);
  exchange.timer.unref();
  if (request.signal.aborted) req.destroy(new Error('aborted'));
  else exchange.watching = watch(request.signal, exchange);
  req.end(request.body);
  return result;
}
