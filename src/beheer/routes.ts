/**
 * The beheer JSON API under /api/beheer. Every route needs a beheer session; every state-changing request
 * its CSRF token. Lists carry metadata only; a body is served to a beheerder on explicit request, audited.
 */
import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import type { BeheerRole } from '../config/beheer.ts';
import type { Config } from '../config/schema.ts';
import { describeMessage } from '../http/describe.ts';
import { sendError } from '../http/errors.ts';
import { BodyKeyMissingError, BodyTamperedError } from '../security/body-cipher.ts';
import { redactBsn } from '../security/redact.ts';
import type { HeldTkb, MessageScope, MessageStore, MessageSummary } from '../store/types.ts';
import type { ValidationService } from '../validation/service.ts';
import type { Alert } from './alerts.ts';
import { actorOf, type BeheerAuth, type BeheerPrincipal, principalOf } from './auth.ts';
import type { AwaitingReport } from './awaiting.ts';
import { requireCsrf } from './csrf.ts';
import { ACTION_FROM, JOB_ACTIONS, type Job, type JobRunner } from './jobs.ts';
import type { OverviewService } from './overview.ts';
import { covers, isEverything, scopedStore, scopeOf } from './scope.ts';
import {
  bsnSchema,
  dropEmpty,
  matchingIds,
  pageSchema,
  type SearchFilter,
  searchBsn,
  searchFilterSchema,
  searchMessages,
  TooManyMessages,
} from './search.ts';
import { testBerichtHandlers } from './test-bericht.ts';

export interface BeheerApiDeps {
  config: () => Config;
  store: MessageStore;
  auth: BeheerAuth;
  jobs: JobRunner;
  /** The overview of the messages within a scope (the shared, cached one for a user who sees everything). */
  overview: (scope: MessageScope) => OverviewService;
  alerts: (scope: MessageScope) => Promise<Alert[]>;
  /** "Wacht op antwoord": overdue answers, per party and per gemeente. */
  awaiting: (scope: MessageScope) => Promise<AwaitingReport>;
  /** "Test a bericht": the gateway's own validation, for a dry run. */
  validation: ValidationService;
}

/** A list row: metadata only. */
export function rowOf(m: MessageSummary) {
  return {
    id: m.id,
    receivedAt: m.receivedAt.toISOString(),
    standard: m.standard,
    release: m.release,
    message: m.messageName,
    direction: m.direction,
    gemeente: m.gemeente,
    flow: m.flow,
    afzender: m.afzender,
    ontvanger: m.ontvanger,
    berichtIdentificatie: m.berichtIdentificatie,
    dagtekening: m.dagtekening,
    destination: m.destination,
    status: m.status,
    statusReason: m.statusReason === null ? null : redactBsn(m.statusReason),
    attempts: m.attempts,
    nextAttemptAt: m.nextAttemptAt?.toISOString() ?? null,
    correlatedTo: m.correlatedTo,
    answeredBy: m.answeredBy,
    answerSummary: m.answerSummary,
    findingCount: m.findingCount,
    hasBody: m.hasBody,
  };
}

/** Filter fields that identify a bericht or a case: a viewer sees that they were set, not their value. */
const IDENTIFYING_FILTER_FIELDS = new Set(['berichtIdentificatie', 'referentienummer']);
const MASKED = '***';

/** A job's selection as a list may show it: BSN-shaped values masked always, identificaties for a viewer. */
function selectionView(selection: Job['selection'], role: BeheerRole): Job['selection'] {
  if (selection.kind !== 'filter') return selection;
  const filter = Object.fromEntries(
    Object.entries(selection.filter).map(([k, v]) => [
      k,
      role !== 'beheerder' && IDENTIFYING_FILTER_FIELDS.has(k) ? MASKED : typeof v === 'string' ? redactBsn(v) : v,
    ]),
  );
  return { kind: 'filter', filter };
}

function jobView(job: Job, results: 'all' | 'failed' | 'none', role: BeheerRole) {
  const { results: all, ...rest } = job;
  return {
    ...rest,
    selection: selectionView(job.selection, role),
    createdAt: job.createdAt.toISOString(),
    finishedAt: job.finishedAt?.toISOString() ?? null,
    ...(results === 'none' ? {} : { results: results === 'failed' ? all.filter((r) => !r.ok) : all }),
  };
}

const searchBody = searchFilterSchema.extend({ bsn: bsnSchema.optional() }).extend(pageSchema.shape);
const jobBody = z
  .strictObject({
    action: z.enum(JOB_ACTIONS),
    ids: z.array(z.string().min(1).max(64)).min(1).optional(),
    filter: searchFilterSchema.optional(),
    /** For hold and cancel: why (no personal data; BSN-shaped numbers are masked). */
    reason: z.string().trim().min(1).max(200).optional(),
  })
  .refine((b) => (b.ids === undefined) !== (b.filter === undefined), { message: 'give either ids or filter' });
const auditQuery = z.strictObject({
  actor: z.string().max(100).optional(),
  action: z.string().max(100).optional(),
  targetId: z.string().max(64).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(10_000).optional(),
  offset: z.coerce.number().int().min(0).optional(),
});

function invalid(res: Response, error: z.ZodError): void {
  const first = error.issues[0];
  const where = first?.path.length ? `${first.path.join('.')}: ` : '';
  sendError(res, 400, 'INVALID_REQUEST', `${where}${first?.message ?? 'invalid request'}`);
}

/**
 * Held TKBs per budget key: Afzender, BudgetIdentificatie and a short client reference (the start of the Bsn's
 * HMAC, never the Bsn), with the TKB each waits for.
 */
export function budgetQueues(held: readonly HeldTkb[]) {
  const queues = new Map<
    string,
    {
      afzender: string;
      budget: string;
      client: string;
      waitingFor: string | null;
      held: { id: string; berichtIdentificatie: string | null; receivedAt: string }[];
    }
  >();
  for (const h of held) {
    const k = JSON.stringify([h.key.afzender, h.key.budget, h.key.bsnHash]);
    const q = queues.get(k) ?? {
      afzender: h.key.afzender,
      budget: h.key.budget,
      client: h.key.bsnHash.slice(0, 10),
      waitingFor: h.waitingFor,
      held: [],
    };
    q.held.push({ id: h.id, berichtIdentificatie: h.berichtIdentificatie, receivedAt: h.receivedAt.toISOString() });
    queues.set(k, q);
  }
  return [...queues.values()];
}

export function beheerApiRouter(d: BeheerApiDeps): express.Router {
  const r = express.Router();
  const limits = () => d.config().limits;
  /** The messages the user may look at, and those they may open and act on (a beheerder grant). */
  const viewScope = (res: Response) => scopeOf(principalOf(res).grants, 'viewer');
  const actScope = (res: Response) => scopeOf(principalOf(res).grants, 'beheerder');
  /** The store as this user reads it: every read limited to their grants in the store's query. */
  const reader = (res: Response, needed: 'viewer' | 'beheerder' = 'viewer') =>
    scopedStore(d.store, needed === 'viewer' ? viewScope(res) : actScope(res));

  /** Every refusal is audited with what was asked for; the answer never says whether a message exists. */
  const denied = async (
    res: Response,
    targetId: string | null,
    what: string,
    refusal: { status: 403 | 404; code: string; text: string },
  ) => {
    await d.store.audit({
      actor: actorOf(principalOf(res)),
      action: 'beheer.access-denied',
      targetId,
      details: { what, status: refusal.status },
    });
    sendError(res, refusal.status, refusal.code, refusal.text);
  };
  const notFound = { status: 404, code: 'NOT_FOUND', text: 'no bericht with this id' } as const;
  /** A message that exists outside the user's grants is audited; an unknown id is just not found. */
  const outOfScope = async (res: Response, id: string, what: string) => {
    if (await d.store.getMessage(id)) return denied(res, id, what, notFound);
    sendError(res, notFound.status, notFound.code, notFound.text);
  };
  /** Only a user with a beheerder grant; others get 403 ROLE_FORBIDDEN, audited. */
  const beheerder = async (req: Request, res: Response, next: express.NextFunction) => {
    if (principalOf(res).role === 'beheerder') return next();
    await denied(res, typeof req.params.id === 'string' ? req.params.id : null, `${req.method} ${req.path}`, {
      status: 403,
      code: 'ROLE_FORBIDDEN',
      text: 'only a beheerder may do this',
    });
  };
  r.use(d.auth.requireSession('api'), express.json({ limit: '1mb' }), requireCsrf);

  r.get('/session', (_req, res) => {
    const p = principalOf(res);
    res.json({
      user: p.name,
      role: p.role,
      method: p.session.auth?.method ?? 'local',
      grants: p.grants,
      csrfToken: p.session.csrfToken,
      expiresAt: p.session.expiresAt.toISOString(),
    });
  });

  r.get('/overzicht', async (_req, res) => {
    const scope = viewScope(res);
    const [overview, alerts] = await Promise.all([d.overview(scope).get({ deliveredToday: true }), d.alerts(scope)]);
    res.json({ ...overview, alerts });
  });

  r.get('/meldingen', async (_req, res) => {
    res.json({ alerts: await d.alerts(viewScope(res)) });
  });

  r.get('/wacht-op-antwoord', async (_req, res) => {
    res.json(await d.awaiting(viewScope(res)));
  });

  // TR507: the TKBs held back per budget; each can be released by hand (POST …/acties, audited).
  r.get('/budgetwachtrij', async (_req, res) => {
    res.json({ queues: budgetQueues(await reader(res).listHeldTkbs(limits().listPageMax)) });
  });

  r.get('/berichten', async (req, res) => {
    const query = dropEmpty(req.query as Record<string, unknown>);
    if ('bsn' in query) {
      return sendError(
        res,
        400,
        'BSN_NOT_IN_URL',
        'search on a BSN with POST /api/beheer/berichten/zoeken, never in a URL',
      );
    }
    const parsed = searchFilterSchema.extend(pageSchema.shape).safeParse(query);
    if (!parsed.success) return invalid(res, parsed.error);
    const { limit, offset, ...filter } = parsed.data;
    const page = { limit: limit ?? 50, offset: offset ?? 0 };
    const found = await searchMessages(reader(res), filter, page);
    res.json({ items: found.items.map(rowOf), total: found.total, ...page });
  });

  r.post('/berichten/zoeken', async (req, res) => {
    const parsed = searchBody.safeParse(dropEmpty((req.body ?? {}) as Record<string, unknown>));
    if (!parsed.success) return invalid(res, parsed.error);
    const { limit, offset, bsn, ...filter } = parsed.data;
    const page = { limit: limit ?? 50, offset: offset ?? 0 };
    if (bsn === undefined) {
      const found = await searchMessages(reader(res), filter, page);
      return void res.json({ items: found.items.map(rowOf), total: found.total, ...page });
    }
    const p = principalOf(res);
    if (p.role !== 'beheerder') {
      return denied(res, null, 'bsn-search', {
        status: 403,
        code: 'ROLE_FORBIDDEN',
        text: 'only a beheerder may search on a BSN',
      });
    }
    // Only berichten the user's beheerder grants cover are found: the scope is in the store query.
    const found = await searchBsn(reader(res, 'beheerder'), filter, bsn, { limit: page.limit });
    // The audit entry names who searched and what was found, never the BSN searched for.
    await d.store.audit({
      actor: actorOf(p),
      action: 'beheer.bsn-search',
      details: {
        filter,
        matches: found.items.map((m) => m.id),
        matchCount: found.total,
        scanned: found.scanned,
        complete: found.complete,
      },
    });
    res.json({
      items: found.items.map(rowOf),
      total: found.total,
      scanned: found.scanned,
      complete: found.complete,
      limit: page.limit,
      offset: 0,
    });
  });

  r.get('/berichten/:id', async (req, res) => {
    const id = String(req.params.id);
    const mine = reader(res);
    const m = await mine.getMessage(id);
    if (!m) return outOfScope(res, id, 'detail');
    // Linked messages and the thread are read through the same scope: one outside it does not show.
    const detail = await describeMessage(mine, m, 'beheer');
    const canAct = covers(actScope(res), m);
    const allowedActions = canAct ? JOB_ACTIONS.filter((a) => ACTION_FROM[a].includes(m.status)) : [];
    const audit = canAct ? await d.store.listAudit({ targetId: m.id, limit: 100 }) : undefined;
    res.json({
      ...detail,
      gemeente: m.gemeente,
      flow: m.flow,
      statusReason: detail.statusReason === null ? null : redactBsn(detail.statusReason),
      allowedActions,
      canOpenBody: canAct && m.hasBody,
      ...(audit ? { audit: audit.map((a) => ({ ...a, at: a.at.toISOString() })) } : {}),
    });
  });

  r.get('/berichten/:id/body', beheerder, async (req, res) => {
    const id = String(req.params.id);
    const m = await reader(res).getMessage(id);
    if (!m) return outOfScope(res, id, 'body');
    // Visible through a viewer grant, but no beheerder grant covers its gemeente and flow.
    if (!(await reader(res, 'beheerder').getMessage(id))) {
      return denied(res, id, 'body', {
        status: 403,
        code: 'ROLE_FORBIDDEN',
        text: 'your grants let you see this bericht, not open its body',
      });
    }
    let body: Buffer | null;
    try {
      body = await reader(res, 'beheerder').getBody(id);
    } catch (e) {
      // Encryption at rest: named, never a crash (docs/encryption.md).
      if (e instanceof BodyKeyMissingError || e instanceof BodyTamperedError)
        return sendError(res, 409, e.code, e.message);
      throw e;
    }
    if (!body) return sendError(res, 410, 'BODY_PURGED', 'the body of this bericht is no longer stored');
    await d.store.audit({
      actor: actorOf(principalOf(res)),
      action: 'beheer.body-view',
      targetId: id,
      details: { message: m.messageName },
    });
    res
      .status(200)
      .set('Content-Type', 'text/plain; charset=utf-8')
      .set('Content-Security-Policy', "default-src 'none'; sandbox")
      .set('Content-Disposition', 'inline')
      .send(body);
  });

  r.post('/jobs', beheerder, async (req, res) => {
    const parsed = jobBody.safeParse(req.body ?? {});
    if (!parsed.success) return invalid(res, parsed.error);
    const { action, ids, filter, reason } = parsed.data;
    const max = d.config().beheer.jobMaxMessages;
    let selected: string[];
    const refused: { id: string; reason: 'not-found' | 'forbidden' }[] = [];
    if (ids) {
      if (ids.length > max) return sendError(res, 422, 'TOO_MANY_MESSAGES', `at most ${max} messages per bulk action`);
      // A beheerder of everything gets the store's own answer per id (not-found included) in the job's results.
      selected = isEverything(actScope(res)) ? ids : await grantedIds(res, [...new Set(ids)], refused);
    } else {
      try {
        // "All dead" and every other filter resolve to the ids within the user's beheerder grants only.
        selected = await matchingIds(reader(res, 'beheerder'), filter as SearchFilter, max, limits().listPageMax);
      } catch (e) {
        if (e instanceof TooManyMessages)
          return sendError(res, 422, 'TOO_MANY_MESSAGES', `${e.message}; narrow the filter`);
        throw e;
      }
    }
    const job = await d.jobs.start({
      action,
      actor: actorOf(principalOf(res)),
      ids: selected,
      selection: filter ? { kind: 'filter', filter } : { kind: 'ids' },
      ...(reason ? { reason } : {}),
    });
    const statusUrl = `/api/beheer/jobs/${job.id}`;
    res
      .status(202)
      .set('Location', statusUrl)
      .json({ jobId: job.id, total: job.total, statusUrl, ...(refused.length ? { refused } : {}) });
  });

  /**
   * The ids a bulk action may touch: those within the user's beheerder grants. Each other id is refused on its
   * own (not-found when the user cannot see it at all, forbidden when only a viewer grant covers it), audited.
   */
  async function grantedIds(
    res: Response,
    ids: string[],
    refused: { id: string; reason: 'not-found' | 'forbidden' }[],
  ) {
    const p: BeheerPrincipal = principalOf(res);
    const act = reader(res, 'beheerder');
    const view = reader(res);
    const granted: string[] = [];
    for (const id of ids) {
      if (await act.getMessage(id)) {
        granted.push(id);
        continue;
      }
      const visible = (await view.getMessage(id)) !== null;
      refused.push({ id, reason: visible ? 'forbidden' : 'not-found' });
      if (visible || (await d.store.getMessage(id))) {
        await d.store.audit({
          actor: actorOf(p),
          action: 'beheer.access-denied',
          targetId: id,
          details: { what: 'job', status: visible ? 403 : 404 },
        });
      }
    }
    return granted;
  }

  /** A user whose grants do not cover everything sees their own jobs only (a job's results name its berichten). */
  const mayFollow = (res: Response, job: Job) =>
    isEverything(viewScope(res)) || job.actor === actorOf(principalOf(res));

  r.get('/jobs', async (_req, res) => {
    const role = principalOf(res).role;
    res.json({
      jobs: (await d.jobs.list()).filter((j) => mayFollow(res, j)).map((j) => jobView(j, 'none', role)),
    });
  });

  r.get('/jobs/:id', async (req: Request, res: Response) => {
    const found = await d.jobs.get(String(req.params.id));
    const job = found && mayFollow(res, found) ? found : undefined;
    if (!job) return sendError(res, 404, 'NOT_FOUND', 'no such job');
    const results = req.query.results === 'failed' || req.query.results === 'none' ? req.query.results : 'all';
    res.json(jobView(job, results, principalOf(res).role));
  });

  r.post('/test-bericht', beheerder, ...testBerichtHandlers(d));

  r.get('/audit', beheerder, async (req, res) => {
    // The whole audit log names messages of every gemeente and flow: only for a beheerder of everything.
    if (!isEverything(actScope(res))) {
      return denied(res, null, 'audit', {
        status: 403,
        code: 'ROLE_FORBIDDEN',
        text: 'the audit log is for a beheerder of every gemeente and flow; a bericht shows its own audit',
      });
    }
    const parsed = auditQuery.safeParse(dropEmpty(req.query as Record<string, unknown>));
    if (!parsed.success) return invalid(res, parsed.error);
    const { from, ...rest } = parsed.data;
    const entries = await d.store.listAudit({ ...rest, ...(from ? { from: new Date(from) } : {}) });
    res.json({ entries: entries.map((a) => ({ ...a, at: a.at.toISOString() })) });
  });

  r.use((_req, res) => sendError(res, 404, 'NOT_FOUND', 'no such beheer endpoint'));
  r.use(bodyParseErrors);
  return r;
}

/** A JSON body that does not parse is the client's mistake (400), not the gateway's. */
export function bodyParseErrors(err: unknown, _req: Request, res: Response, next: express.NextFunction): void {
  const type = (err as { type?: unknown } | null)?.type;
  if (type === 'entity.parse.failed') return sendError(res, 400, 'INVALID_JSON', 'the request body is not valid JSON');
  if (type === 'entity.too.large') return sendError(res, 413, 'BODY_TOO_LARGE', 'the request body is too large');
  next(err);
}
