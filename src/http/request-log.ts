import crypto from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Level, Logger } from 'pino';
import { drawUnredacted } from '../security/redact.ts';

/** Probes are asked every few seconds; their lines are at debug so they do not drown the rest. */
const PROBE_PATHS = new Set(['/healthz', '/readyz']);

/** Who made the request, as far as authentication found out: a caller, an inbound party, a beheer user. */
function actorOf(res: Response): Record<string, string> {
  const l = res.locals as {
    caller?: { id?: unknown };
    party?: { party?: unknown };
    holder?: { id?: unknown };
    principal?: { name?: unknown };
  };
  if (typeof l.caller?.id === 'string') return { caller: l.caller.id };
  if (typeof l.party?.party === 'string') return { party: l.party.party };
  if (typeof l.holder?.id === 'string') return { holder: l.holder.id };
  if (typeof l.principal?.name === 'string') return { beheerUser: l.principal.name };
  return {};
}

/** Request ids the client may choose: a safe token. */
const SAFE_REQUEST_ID = /^[\w.-]{1,64}$/;

/**
 * A request id of the gateway's own: a random UUID that the logs show as it is, so that the logged id is the
 * X-Request-Id the client got (`drawUnredacted`). A client's own id is logged as redacted.
 */
export function freshRequestId(draw: () => string = crypto.randomUUID): string {
  return drawUnredacted(draw);
}

/**
 * Per request: a request id (X-Request-Id, taken from the client when it is a safe token), a child logger in
 * res.locals.log, and one line when the answer is sent: method, path (the route when one matched, and the
 * path as asked), status, duration, who asked, the message type and the error code when there were any
 * (res.locals.messageType and res.locals.errorCode, set by the pipeline's answers and sendError). The query
 * string is never logged.
 *
 * The child logger is made the first time res.locals.log is read (most requests log nothing at the configured
 * level), and the request's line is only put together when its level is enabled.
 */
export function requestContext(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const incoming = req.headers['x-request-id'];
    const requestId = typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming) ? incoming : freshRequestId();
    const context = new RequestLog(logger, requestId, process.hrtime.bigint());
    res.locals = requestLocals(context, res.locals);
    res.locals.requestId = requestId;
    // (X-Content-Type-Options and Cache-Control come with the security headers, set right after this.)
    res.setHeader('X-Request-Id', requestId);
    res.on('finish', () => context.line(req, res));
    next();
  };
}

const CONTEXT = Symbol('request log');

/**
 * The prototype of every request's res.locals: what express gives (an object without Object.prototype's members),
 * plus `log`, the request's child logger, made on first read (an assignment replaces it). `log` is an accessor of
 * this one prototype, not one defined on each request's object: an accessor defined per object gives that object a
 * map of its own, which V8 keeps in the old generation until a full collection, and through the accessor's closures
 * that map kept the request and its answer alive past every scavenge (docs/benchmarks.md, tenth round: 17.7 % of
 * what the event loop allocated was promoted).
 */
const LOCALS: object = Object.create(null, {
  log: {
    enumerable: true,
    get(this: { [CONTEXT]: RequestLog }): Logger {
      return this[CONTEXT].log;
    },
    set(this: { [CONTEXT]: RequestLog }, log: Logger) {
      this[CONTEXT].own = log;
    },
  },
});

/** A request's res.locals: what middlewares before this one put there, and its request log. */
function requestLocals(context: RequestLog, earlier: object | undefined): Response['locals'] {
  const locals = Object.create(LOCALS) as Response['locals'] & { [CONTEXT]: RequestLog };
  if (earlier) Object.assign(locals, earlier);
  locals[CONTEXT] = context;
  return locals;
}

/**
 * Whether res.locals.log writes lines at `level`, found out without making the request's child logger: a caller
 * that logs at a level that is mostly off asks this first.
 */
export function logsAt(res: Response, level: Level): boolean {
  const context = (res.locals as Record<symbol, unknown>)[CONTEXT] as RequestLog | undefined;
  if (context) return context.enabled(level);
  return (res.locals.log as Logger | undefined)?.isLevelEnabled(level) ?? false;
}

/** One request's logger (its child made on first use) and its closing line. */
class RequestLog {
  own: Logger | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly requestId: string,
    private readonly started: bigint,
  ) {}

  get log(): Logger {
    this.own ??= this.logger.child({ requestId: this.requestId });
    return this.own;
  }

  /** A child made now has the parent's level: no need to make one to know whether a line would be written. */
  enabled(level: Level): boolean {
    return (this.own ?? this.logger).isLevelEnabled(level);
  }

  line(req: Request, res: Response): void {
    const path = req.originalUrl.split('?')[0] ?? req.path;
    const level = PROBE_PATHS.has(path) ? 'debug' : res.statusCode >= 500 ? 'error' : 'info';
    if (!this.enabled(level)) return;
    const locals = res.locals as { messageType?: unknown; errorCode?: unknown };
    this.log[level](
      {
        method: req.method,
        path,
        ...(req.route ? { route: `${req.baseUrl}${req.route.path as string}` } : {}),
        status: res.statusCode,
        clientAddress: req.ip,
        durationMs: Math.round(Number(process.hrtime.bigint() - this.started) / 1e4) / 100,
        ...actorOf(res),
        ...(typeof locals.messageType === 'string' ? { messageType: locals.messageType } : {}),
        ...(typeof locals.errorCode === 'string' ? { errorCode: locals.errorCode } : {}),
      },
      'request',
    );
  }
}
