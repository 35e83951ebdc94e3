import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { redactBsn } from '../security/redact.ts';
import { isStoreUnavailable } from '../store/unavailable.ts';
import type { Finding } from '../validation/finding.ts';
import { sendJsonText } from './json-answer.ts';

/** Every error answer has one shape: a machine-readable code, a human text, and the request id. */
export interface ErrorBody {
  error: {
    code: string;
    message: string;
    requestId: string;
    retourcode?: string;
    line?: number | null;
    column?: number | null;
  };
  findings?: Finding[];
  retour?: string;
  [extra: string]: unknown;
}

export function sendError(
  res: Response,
  status: number,
  code: string,
  message: string,
  extra: Omit<ErrorBody, 'error'> & { retourcode?: string; line?: number | null; column?: number | null } = {},
): void {
  const { retourcode, line, column, ...rest } = extra;
  // For the request's log line (src/http/request-log.ts).
  res.locals.errorCode = code;
  if (typeof rest.message === 'string') res.locals.messageType = rest.message;
  const body: ErrorBody = {
    error: {
      code,
      message: redactBsn(message),
      requestId: String(res.locals.requestId ?? ''),
      ...(retourcode ? { retourcode } : {}),
      ...(line !== undefined ? { line } : {}),
      ...(column !== undefined ? { column } : {}),
    },
    ...rest,
  };
  sendJsonText(res, status, JSON.stringify(body));
}

/** What body parsers (express.json, express.urlencoded) report, by their error `type`. */
const PARSER_ERRORS: Record<string, { status: number; code: string; message: string }> = {
  'entity.parse.failed': { status: 400, code: 'INVALID_JSON', message: 'the body is not valid JSON' },
  'entity.too.large': { status: 413, code: 'BODY_TOO_LARGE', message: 'the body is larger than this endpoint accepts' },
  'encoding.unsupported': {
    status: 415,
    code: 'UNSUPPORTED_CONTENT_ENCODING',
    message: 'this Content-Encoding is not supported',
  },
  'charset.unsupported': { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: 'this charset is not supported' },
  'request.aborted': { status: 400, code: 'REQUEST_ABORTED', message: 'the request was aborted' },
  'request.size.invalid': {
    status: 400,
    code: 'BODY_UNREADABLE',
    message: 'the body does not match its Content-Length',
  },
};

/** Retry-After of a 503 STORE_UNAVAILABLE. */
const STORE_RETRY_AFTER_SECONDS = 5;

/**
 * The last error handler: a client's fault (a body parser's complaint, express's own 4xx) gets its 4xx, a store
 * that cannot be used (src/store/unavailable.ts) 503 STORE_UNAVAILABLE with Retry-After, anything else 500
 * INTERNAL. The answer never carries the error's text, stack or file paths; the log gets name and
 * message (BSN-masked by the logger).
 */
export function errorHandler(err: unknown, _req: Request, res: Response, _next: NextFunction): void {
  const refusal = refusalOf(err);
  const log = res.locals.log as Logger | undefined;
  if (refusal) log?.info({ code: refusal.code }, 'request refused');
  else
    log?.error(
      {
        err:
          err instanceof Error ? { name: err.name, message: err.message } : { name: 'unknown', message: String(err) },
      },
      'request failed',
    );
  if (res.headersSent) return;
  if (refusal) return sendError(res, refusal.status, refusal.code, refusal.message);
  if (isStoreUnavailable(err)) {
    // The gateway cannot take responsibility (standards.md §5): the sender keeps the bericht and tries again.
    res.set('Retry-After', String(STORE_RETRY_AFTER_SECONDS));
    return sendError(
      res,
      503,
      'STORE_UNAVAILABLE',
      'the message store cannot be used right now; nothing was taken, try again later',
    );
  }
  sendError(res, 500, 'INTERNAL', 'the gateway could not handle this request; nothing was stored');
}

/** The answer to an error that is the client's fault; undefined for a fault of the gateway. */
function refusalOf(err: unknown): { status: number; code: string; message: string } | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { type?: unknown; status?: unknown };
  const known = PARSER_ERRORS[String(e.type)];
  if (known) return known;
  // Express's own 4xx (a path whose percent-encoding is broken, …): the status stands, the text does not.
  const status = Number(e.status);
  return status >= 400 && status < 500
    ? { status, code: 'BAD_REQUEST', message: 'the request could not be read' }
    : undefined;
}
