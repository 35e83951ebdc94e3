import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import type { BodyAdmission } from './admission.ts';
import { sendError } from './errors.ts';

const XML_TYPES = /^(application|text)\/([\w.+-]+\+)?xml$/i;

/** 415 unless the request says it carries XML (application/xml, text/xml, application/soap+xml …). */
export function requireXmlContentType(req: Request, res: Response, next: NextFunction): void {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
  if (!XML_TYPES.test(type)) {
    return sendError(
      res,
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      `send the bericht as application/xml; got "${type || 'no content type'}"`,
    );
  }
  next();
}

export interface BodyOptions {
  /** How long reading the body may take from its first byte on; then 408 REQUEST_TIMEOUT. */
  timeoutMs?: number;
  /** Bounds the bytes of bodies in flight; a request waits (unread) for at most `admissionWaitMs`. */
  admission?: BodyAdmission;
  admissionWaitMs?: number;
}

/** The body deadline when the caller gives none (the default of server.requestTimeoutMs). */
export const DEFAULT_BODY_TIMEOUT_MS = 30_000;

/**
 * After refusing a body that is still arriving, the rest is read and dropped for at most this long before the
 * connection is cut: closing a socket with unread bytes makes TCP send a reset, which can destroy the answer
 * before the sender has read it. Nothing is kept, so memory stays bounded however much follows.
 */
const LINGER_MS = 5_000;

/** Content-Encodings the gateway decompresses; the body limit counts the decompressed bytes. */
const DECODERS: Record<string, () => zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress> = {
  gzip: () => zlib.createGunzip(),
  'x-gzip': () => zlib.createGunzip(),
  deflate: () => zlib.createInflate(),
  br: () => zlib.createBrotliDecompress(),
};

type BodyResult =
  | { kind: 'ok'; body: Buffer }
  | { kind: 'refused'; status: number; code: string; message: string }
  | { kind: 'aborted' };

/**
 * Reads the raw body up to the limit and within the deadline, then checks it looks like XML. Refusals, each
 * answered as soon as it is known and without holding the body: 413 BODY_TOO_LARGE (by Content-Length before
 * a byte is read, or once the limit is passed), 408 REQUEST_TIMEOUT, 415 UNSUPPORTED_CONTENT_ENCODING,
 * 400 BODY_UNREADABLE (a corrupt compressed stream), 400 XML_EMPTY, 415 NOT_XML.
 */
export function rawXmlBody(limitBytes: number, options: BodyOptions = {}) {
  const timeoutMs = options.timeoutMs ?? DEFAULT_BODY_TIMEOUT_MS;
  return (req: Request, res: Response, next: NextFunction): void => {
    const admitted = admit(req, res, limitBytes, options);
    if (admitted === true) read(req, res, next);
    else if (admitted !== false)
      void admitted.then((ok) => {
        if (ok) read(req, res, next);
      });
  };

  function read(req: Request, res: Response, next: NextFunction): void {
    void readBody(req, limitBytes, timeoutMs).then((result) => {
      if (result.kind === 'aborted') {
        (res.locals.log as Logger | undefined)?.info(
          { status: 'aborted' },
          'the client closed the connection while sending the body',
        );
        return;
      }
      if (result.kind === 'refused') return refuse(req, res, result.status, result.code, result.message);
      const body = result.body;
      if (body.length === 0) return sendError(res, 400, 'XML_EMPTY', 'the body is empty');
      if (!looksLikeXml(body)) return sendError(res, 415, 'NOT_XML', 'the body is not XML: it does not start with "<"');
      req.body = body;
      next();
    });
  }
}

/**
 * Reserves the request's bytes in the admission budget until its answer is sent (or its connection closes);
 * false when it was answered 503 SERVER_BUSY instead (or the client went away while it waited).
 */
function admit(req: Request, res: Response, limitBytes: number, options: BodyOptions): boolean | Promise<boolean> {
  if (!options.admission) return true;
  const declared = Number(req.headers['content-length']);
  const identity = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase() === 'identity';
  // Oversized or not known in advance: reserve what the body may become (the limit); a 413 comes right after.
  const bytes = identity && Number.isFinite(declared) && declared >= 0 ? Math.min(declared, limitBytes) : limitBytes;
  const owner = ownerOf(req, res);
  // The usual case: the bytes fit now and nobody waits; no wait to set up.
  const now = options.admission.grantNow(bytes, owner);
  if (now) {
    holdUntilAnswered(res, now);
    return true;
  }
  return admitLater(req, res, bytes, owner, options.admission, options.admissionWaitMs ?? 10_000);
}

/** Waits its turn in the admission budget (see `admit`). */
async function admitLater(
  req: Request,
  res: Response,
  bytes: number,
  owner: string,
  admission: BodyAdmission,
  waitMs: number,
): Promise<boolean> {
  const gone = new AbortController();
  const onClose = () => gone.abort();
  res.once('close', onClose);
  const release = await admission.acquire(bytes, waitMs, gone.signal, owner);
  res.off('close', onClose);
  if (!release) {
    if (!gone.signal.aborted) {
      res.set('Retry-After', '1');
      refuse(req, res, 503, 'SERVER_BUSY', 'too many large berichten are being received at once; try again shortly');
    }
    return false;
  }
  holdUntilAnswered(res, release);
  return true;
}

/** Keeps an admission until the request's answer is sent or its connection closes. */
function holdUntilAnswered(res: Response, release: () => void): void {
  if (res.writableEnded || res.destroyed) release();
  else res.on('close', release); // a response closes once; release is idempotent anyway
}

/** Whose share of the admission budget a request counts to: its authenticated caller or party, else its address. */
function ownerOf(req: Request, res: Response): string {
  const caller = res.locals.caller as { id?: string } | undefined;
  if (caller?.id) return `caller:${caller.id}`;
  const party = res.locals.party as { party?: string } | undefined;
  if (party?.party) return `party:${party.party}`;
  return `address:${req.ip ?? ''}`;
}

function readBody(req: Request, limitBytes: number, timeoutMs: number): Promise<BodyResult> {
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity' && !DECODERS[encoding]) {
    return Promise.resolve(
      refused(
        415,
        'UNSUPPORTED_CONTENT_ENCODING',
        `Content-Encoding "${encoding}" is not supported; send identity, gzip, deflate or br`,
      ),
    );
  }
  const declared = Number(req.headers['content-length']);
  if (encoding === 'identity' && Number.isFinite(declared) && declared > limitBytes) {
    return Promise.resolve(tooLarge(limitBytes));
  }
  const decoder = encoding === 'identity' ? undefined : DECODERS[encoding]!();
  const source: Readable = decoder ? req.pipe(decoder) : req;

  return new Promise<BodyResult>((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const timer = setTimeout(
      () => finish(refused(408, 'REQUEST_TIMEOUT', `the body did not arrive within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const finish = (result: BodyResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      source.off('data', onData);
      if (decoder) {
        req.off('data', onWire);
        req.unpipe(decoder);
        decoder.destroy();
      }
      chunks.length = 0;
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) return finish(tooLarge(limitBytes));
      chunks.push(chunk);
    };
    // Compressed, the limit holds for the bytes on the wire too (a stream of empty blocks decompresses to nothing).
    let wire = 0;
    const onWire = (chunk: Buffer) => {
      wire += chunk.length;
      if (wire > limitBytes) finish(tooLarge(limitBytes));
    };
    source.on('data', onData);
    if (decoder) req.on('data', onWire);
    // `on`, not `once`: finish acts only the first time, and a listener that stays costs nothing (no wrapper each).
    // The HTTP parser hands each chunk in a buffer of its own: one chunk is the body as it is, without a copy.
    source.on('end', () =>
      finish({ kind: 'ok', body: !decoder && chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size) }),
    );
    source.on('error', () =>
      finish(!decoder ? { kind: 'aborted' } : refused(400, 'BODY_UNREADABLE', `the ${encoding} stream is corrupt`)),
    );
    req.on('aborted', () => finish({ kind: 'aborted' }));
    req.on('close', () => {
      if (!req.complete) finish({ kind: 'aborted' });
    });
  });
}

function refused(status: number, code: string, message: string): BodyResult {
  return { kind: 'refused', status, code, message };
}

function tooLarge(limitBytes: number): BodyResult {
  return refused(413, 'BODY_TOO_LARGE', `the body is larger than the limit of ${limitBytes} bytes`);
}

/**
 * Answers a refusal while the body may still be arriving: the answer goes out at once with Connection: close,
 * and the rest of the body is read and dropped until the sender stops, for at most LINGER_MS.
 */
function refuse(req: Request, res: Response, status: number, code: string, message: string): void {
  if (!req.complete) {
    res.set('Connection', 'close');
    req.resume();
    lingerOnClose(req.socket);
  }
  sendError(res, status, code, message);
}

/**
 * Node closes a Connection: close answer's socket once the answer is written (destroySoon). With bytes of the
 * request still unread that close becomes a TCP reset, and a sender that is still writing loses the answer
 * (EPIPE/ECONNRESET instead of the 413). So for this socket: half-close after the answer, keep reading (the
 * HTTP parser drops what it reads for the finished request), and cut the connection after LINGER_MS.
 */
function lingerOnClose(socket: Socket): void {
  (socket as Socket & { destroySoon: () => void }).destroySoon = function lingeringClose(this: Socket) {
    if (this.writable) this.end();
    const cut = setTimeout(() => this.destroy(), LINGER_MS);
    cut.unref();
    this.once('close', () => clearTimeout(cut));
  };
}

/** Starts with "<" after whitespace; UTF-16/32 text counts too, so that the parser names its encoding. */
function looksLikeXml(b: Buffer): boolean {
  if ((b[0] === 0xfe && b[1] === 0xff) || (b[0] === 0xff && b[1] === 0xfe) || b[0] === 0x00 || b[1] === 0x00)
    return true;
  let i = b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0;
  while (i < b.length && (b[i] === 0x20 || b[i] === 0x09 || b[i] === 0x0a || b[i] === 0x0d)) i++;
  return b[i] === 0x3c;
}
