import type http from 'node:http';
import express, { type NextFunction, type RequestHandler, type Response } from 'express';
import type { Logger } from 'pino';
import type { Beheer } from '../beheer/index.ts';
import type { CallerConfig, Config, InboundConfig } from '../config/schema.ts';
import { type AcceptOutcome, accept, type PipelineDeps } from '../pipeline/accept.ts';
import type { MessageSource, MessageStore, StoredMessage } from '../store/types.ts';
import { BodyAdmission } from './admission.ts';
import { answer } from './answer.ts';
import { requireKey } from './auth.ts';
import { rawXmlBody, requireXmlContentType } from './body.ts';
import { daiInbound, unwrapDai } from './dai-inbound.ts';
import { describeMessage } from './describe.ts';
import { type ServerClasses, serverClassesOf, withDirectRoute } from './direct-route.ts';
import { errorHandler, sendError } from './errors.ts';
import { openApiDocument } from './openapi.ts';
import { RateLimiter } from './rate-limit.ts';
import { logsAt, requestContext } from './request-log.ts';
import { securityHeaders } from './security-headers.ts';
import type { SharedFailureBudget } from './shared-failures.ts';
import { type SoapUnwrap, soapAuthRefusal, soapInbound, unwrapSoap } from './soap-inbound.ts';

export interface AppDeps extends PipelineDeps {
  config: () => Config;
  logger: Logger;
  /** Readiness beyond the store: schema packs compiled, transport running. */
  ready?: () => boolean;
  /** Functioneel beheer: the /beheer page, its API and /metrics. */
  beheer?: Pick<Beheer, 'page' | 'api' | 'metricsHandler'>;
  /** The failed-authentication budget per client address shared with the other instances on the store. */
  failureBudget?: SharedFailureBudget;
  /** More for /healthz (destinations' connection health, certificate profiles); the answer stays 200. */
  healthDetail?: () => Record<string, unknown>;
}

/** The gateway's HTTP surface: ingest for internal systems, inbound for external parties, status, health. */
export function createApp(deps: AppDeps): express.Express {
  return createHttp(deps).app;
}

/**
 * The app, the server's request listener (the app, with POST /berichten answered without its router) and the
 * request and response classes the server makes its objects with (express's prototypes from the start).
 */
export function createHttp(deps: AppDeps): {
  app: express.Express;
  listener: http.RequestListener;
  classes: ServerClasses;
} {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // The client address (req.ip) the failure limit and the logs use: the peer, or what trusted proxies say.
  app.set('trust proxy', deps.config().server.trustProxy);
  const limiter = new RateLimiter(() => deps.config().server.rateLimit, undefined, deps.failureBudget);
  // Every request, in this order: its request id and log line, the security headers, the failed-authentication limit.
  const everyRequest = inOrder(requestContext(deps.logger), securityHeaders, limiter.guardFailures);
  app.use(everyRequest);

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', ...deps.healthDetail?.() });
  });
  app.get('/readyz', async (_req, res) => {
    try {
      // A primary-key lookup: proves the store answers without counting the table on every probe.
      await deps.store.getMessage('00000000-0000-0000-0000-000000000000');
      if (deps.ready && !deps.ready()) return sendError(res, 503, 'NOT_READY', 'the gateway is starting or stopping');
      res.json({ status: 'ready' });
    } catch {
      sendError(res, 503, 'STORE_UNAVAILABLE', 'the message store does not answer');
    }
  });
  const limit = () => deps.config().server.bodyLimitBytes;
  const admission = new BodyAdmission(
    () => deps.config().server.bodiesInFlightBytes,
    () => deps.config().server.bodiesInFlightPerHolderBytes,
  );
  const bodyOptions = () => ({
    timeoutMs: deps.config().server.requestTimeoutMs,
    admission,
    admissionWaitMs: deps.config().server.admissionWaitMs,
  });
  const callerAuth = limiter.perHolder(
    requireKey<CallerConfig>(() => deps.config().callers, 'caller'),
    'caller',
  );

  // The API description is for those who use the API: any internal system or external party with a key.
  const anyHolder = requireKey(
    () => [...deps.config().callers, ...deps.config().inbound.map((i) => ({ ...i, id: i.party }))],
    'holder',
  );
  app.get('/openapi.json', limiter.perHolder(anyHolder, 'holder'), (_req, res) => {
    res.json(openApiDocument());
  });

  const ingest: RequestHandler[] = [
    callerAuth,
    requireXmlContentType,
    rawXmlBody(limit(), bodyOptions()),
    async (req, res, next) => {
      try {
        const caller = res.locals.caller as CallerConfig;
        const via = { kind: 'caller', id: caller.id } as const;
        const outcome = await accept(deps, {
          source: req.body as Buffer,
          via,
          permissions: { afzenders: caller.afzenders, messages: caller.messages },
        });
        logOutcome(
          res,
          outcome.kind,
          outcome.kind === 'accepted' || outcome.kind === 'repeat' ? outcome.message : undefined,
        );
        answer(res, outcome, via, outcome.kind === 'conflict' ? await earlierSource(deps.store, outcome) : null);
      } catch (e) {
        next(e);
      }
    },
  ];
  app.post('/berichten', ...ingest);

  app.get('/berichten/:id', callerAuth, async (req, res, next) => {
    try {
      const caller = res.locals.caller as CallerConfig;
      const m = await deps.store.getMessage(String(req.params.id));
      if (!m || !(await visibleTo(deps.store, m, caller.id)))
        return sendError(res, 404, 'NOT_FOUND', 'no bericht with this id for this caller');
      res.json(await describeMessage(deps.store, m));
    } catch (e) {
      next(e);
    }
  });

  // A SOAP request that is not authenticated as the path's party gets a fault with Fo03 IB002, not the JSON 401.
  const inboundAuthFor = (unwrap: SoapUnwrap) =>
    limiter.perHolder(
      requireKey<InboundConfig & { id: string }>(
        () => deps.config().inbound.map((i) => ({ ...i, id: i.party })),
        'party',
        (req, h) => h.party === req.params.party,
        soapAuthRefusal(deps, rawXmlBody(limit(), bodyOptions()), unwrap),
      ),
      'party',
    );
  const inboundAuth = inboundAuthFor(unwrapSoap);
  const inboundPermissions = (party: InboundConfig) => ({
    afzenders: partySenderCodes(deps.config(), party.party),
    messages: party.messages,
  });
  // A SOAP request (GGK ggk_Du01, CORV notificatieDi01 …) is answered in SOAP by soapInbound; a bare bericht goes on.
  app.post(
    '/inbound/:party',
    inboundAuth,
    requireXmlContentType,
    rawXmlBody(limit(), bodyOptions()),
    soapInbound(deps, inboundPermissions),
    async (req, res, next) => {
      try {
        const party = res.locals.party as InboundConfig;
        const via = { kind: 'inbound', id: party.party } as const;
        const outcome = await accept(deps, {
          source: req.body as Buffer,
          via,
          permissions: { afzenders: partySenderCodes(deps.config(), party.party), messages: party.messages },
        });
        logOutcome(
          res,
          outcome.kind,
          outcome.kind === 'accepted' || outcome.kind === 'repeat' ? outcome.message : undefined,
        );
        answer(res, outcome, via, outcome.kind === 'conflict' ? await earlierSource(deps.store, outcome) : null);
      } catch (e) {
        next(e);
      }
    },
  );

  // The gemeente's Digikoppeling adapter delivers over DAI 1.0 (WS-Addressing, dai:bericht): src/http/dai-inbound.ts.
  app.post(
    '/dai/:party',
    inboundAuthFor(unwrapDai),
    requireXmlContentType,
    rawXmlBody(limit(), bodyOptions()),
    daiInbound(deps, inboundPermissions),
  );

  if (deps.beheer) {
    app.use('/beheer', deps.beheer.page);
    app.use('/api/beheer', deps.beheer.api);
    app.get('/metrics', deps.beheer.metricsHandler);
  }

  const notFound: RequestHandler = (_req, res) => sendError(res, 404, 'NOT_FOUND', 'no such endpoint');
  app.use(notFound);
  app.use(errorHandler);
  const listener = withDirectRoute(app, {
    method: 'POST',
    path: '/berichten',
    everyRequest,
    handlers: ingest,
    notFound,
    onError: errorHandler,
  });
  return { app, listener, classes: serverClassesOf(app) };
}

/**
 * Synchronous middlewares for every path, run as one router layer (the router's walk per layer costs more than
 * they do), with the router's meaning of next: an error (or 'router') leaves the chain, nothing (or 'route',
 * which for a middleware layer means the same) goes on. A throw goes to the error handler as it would from each.
 */
function inOrder(first: RequestHandler, ...rest: RequestHandler[]): RequestHandler {
  return (req, res, next) => {
    let i = 0;
    const step: NextFunction = (err?: unknown) => {
      if (err && err !== 'route') return next(err);
      if (i === rest.length) return next();
      rest[i++]!(req, res, step);
    };
    first(req, res, step);
  };
}

/**
 * The codes an external party may send as: its configured AGB codes, gemeentecodes and organisatie names.
 * A hub (GGK, CORV) relays for other parties, so it may send as anyone.
 */
function partySenderCodes(config: Config, partyId: string): readonly string[] {
  const party = config.parties.external.find((p) => p.id === partyId);
  if (!party) return [];
  if (party.kind === 'ggk' || party.kind === 'corv') return ['*'];
  return [...party.codes.agb, ...party.codes.gemeentecode, ...party.codes.organisatie];
}

/** Who sent the message a conflicting bericht duplicates (the answer shows it to that sender only). */
async function earlierSource(store: MessageStore, outcome: AcceptOutcome): Promise<MessageSource | null> {
  if (outcome.kind !== 'conflict') return null;
  return (await store.getMessage(outcome.existingId))?.source ?? null;
}

/** A message is visible to the caller that sent it and, for retours correlated to its heenberichten, to that caller. */
async function visibleTo(store: MessageStore, m: StoredMessage, callerId: string): Promise<boolean> {
  const sentBy = (x: StoredMessage) => x.source.kind === 'caller' && x.source.id === callerId;
  if (sentBy(m)) return true;
  if (!m.correlatedTo) return false;
  const heen = await store.getMessage(m.correlatedTo);
  return heen !== null && sentBy(heen);
}

function logOutcome(res: Response, kind: string, m?: StoredMessage): void {
  if (m) res.locals.messageType = m.messageName;
  if (!logsAt(res, 'info')) return;
  (res.locals.log as Logger).info(
    { outcome: kind, ...(m ? { id: m.id, message: m.messageName, destination: m.destination } : {}) },
    'bericht',
  );
}
