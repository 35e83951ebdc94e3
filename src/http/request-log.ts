import crypto from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';

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

/**
 * Per request: a request id (X-Request-Id, taken from the client when it is a safe token), a child logger in
 * res.locals.log, and one line when the answer is sent: method, path (the route when one matched, and the
 * path as asked), status, duration, who asked, the message type and the error code when there were any
 * (res.locals.messageType and res.locals.errorCode, set by the pipeline's answers and sendError). The query
 * string is never logged.
 */
export function requestContext(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const incoming = req.get('x-request-id');
    const requestId = incoming && /^[\w.-]{1,64}$/.test(incoming) ? incoming : crypto.randomUUID();
    res.locals.requestId = requestId;
    res.set('X-Request-Id', requestId);
    res.set('X-Content-Type-Options', 'nosniff');
    res.set('Cache-Control', 'no-store');
    const log = logger.child({ requestId });
    res.locals.log = log;
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const path = req.originalUrl.split('?')[0] ?? req.path;
      const level = PROBE_PATHS.has(path) ? 'debug' : res.statusCode >= 500 ? 'error' : 'info';
      const locals = res.locals as { messageType?: unknown; errorCode?: unknown };
      log[level](
        {
          method: req.method,
          path,
          ...(req.route ? { route: `${req.baseUrl}${req.route.path as string}` } : {}),
          status: res.statusCode,
          clientAddress: req.ip,
          durationMs: Math.round(Number(process.hrtime.bigint() - started) / 1e4) / 100,
          ...actorOf(res),
          ...(typeof locals.messageType === 'string' ? { messageType: locals.messageType } : {}),
          ...(typeof locals.errorCode === 'string' ? { errorCode: locals.errorCode } : {}),
        },
        'request',
      );
    });
    next();
  };
}
