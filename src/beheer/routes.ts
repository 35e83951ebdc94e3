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
import type { HeldTkb, MessageStore, MessageSummary } from '../store/types.ts';
import type { ValidationService } from '../validation/service.ts';
import type { Alert } from './alerts.ts';
import { actorOf, type BeheerAuth, principalOf, requireRole } from './auth.ts';
import type { AwaitingReport } from './awaiting.ts';
import { requireCsrf } from './csrf.ts';
import { ACTION_FROM, JOB_ACTIONS, type Job, type JobRunner } from './jobs.ts';
import type { OverviewService } from './overview.ts';
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
  overview: OverviewService;
  alerts: () => Promise<Alert[]>;
  /** "Wacht op antwoord": overdue answers, per party and per gemeente. */
  awaiting: () => Promise<AwaitingReport>;
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
  const beheerder = requireRole('beheerder');
  r.use(d.auth.requireSession('api'), express.json({ limit: '1mb' }), requireCsrf);

  r.get('/session', (_req, res) => {
    const p = principalOf(res);
    res.json({
      user: p.name,
      role: p.role,
      csrfToken: p.session.csrfToken,
      expiresAt: p.session.expiresAt.toISOString(),
    });
  });

  r.get('/overzicht', async (_req, res) => {
    const [overview, alerts] = await Promise.all([d.overview.get({ deliveredToday: true }), d.alerts()]);
    res.json({ ...overview, alerts });
  });

  r.get('/meldingen', async (_req, res) => {
    res.json({ alerts: await d.alerts() });
  });

  r.get('/wacht-op-antwoord', async (_req, res) => {
    res.json(await d.awaiting());
  });

  // TR507: the TKBs held back per budget; each can be released by hand (POST …/acties, audited).
  r.get('/budgetwachtrij', async (_req, res) => {
    res.json({ queues: budgetQueues(await d.store.listHeldTkbs(limits().listPageMax)) });
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
    const found = await searchMessages(d.store, filter, page);
    res.json({ items: found.items.map(rowOf), total: found.total, ...page });
  });

  r.post('/berichten/zoeken', async (req, res) => {
    const parsed = searchBody.safeParse(dropEmpty((req.body ?? {}) as Record<string, unknown>));
    if (!parsed.success) return invalid(res, parsed.error);
    const { limit, offset, bsn, ...filter } = parsed.data;
    const page = { limit: limit ?? 50, offset: offset ?? 0 };
    if (bsn === undefined) {
      const found = await searchMessages(d.store, filter, page);
      return void res.json({ items: found.items.map(rowOf), total: found.total, ...page });
    }
    const p = principalOf(res);
    if (p.role !== 'beheerder') return sendError(res, 403, 'ROLE_FORBIDDEN', 'only a beheerder may search on a BSN');
    const found = await searchBsn(d.store, filter, bsn, { limit: page.limit });
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
    const m = await d.store.getMessage(String(req.params.id));
    if (!m) return sendError(res, 404, 'NOT_FOUND', 'no bericht with this id');
    const p = principalOf(res);
    const detail = await describeMessage(d.store, m, 'beheer');
    const allowedActions = p.role === 'beheerder' ? JOB_ACTIONS.filter((a) => ACTION_FROM[a].includes(m.status)) : [];
    const audit = p.role === 'beheerder' ? await d.store.listAudit({ targetId: m.id, limit: 100 }) : undefined;
    res.json({
      ...detail,
      statusReason: detail.statusReason === null ? null : redactBsn(detail.statusReason),
      allowedActions,
      canOpenBody: p.role === 'beheerder' && m.hasBody,
      ...(audit ? { audit: audit.map((a) => ({ ...a, at: a.at.toISOString() })) } : {}),
    });
  });

  r.get('/berichten/:id/body', beheerder, async (req, res) => {
    const id = String(req.params.id);
    const m = await d.store.getMessage(id);
    if (!m) return sendError(res, 404, 'NOT_FOUND', 'no bericht with this id');
    let body: Buffer | null;
    try {
      body = await d.store.getBody(id);
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
    if (ids) {
      if (ids.length > max) return sendError(res, 422, 'TOO_MANY_MESSAGES', `at most ${max} messages per bulk action`);
      selected = ids;
    } else {
      try {
        selected = await matchingIds(d.store, filter as SearchFilter, max, limits().listPageMax);
      } catch (e) {
        if (e instanceof TooManyMessages)
          return sendError(res, 422, 'TOO_MANY_MESSAGES', `${e.message}; narrow the filter`);
        throw e;
      }
    }
    const job = d.jobs.start({
      action,
      actor: actorOf(principalOf(res)),
      ids: selected,
      selection: filter ? { kind: 'filter', filter } : { kind: 'ids' },
      ...(reason ? { reason } : {}),
    });
    const statusUrl = `/api/beheer/jobs/${job.id}`;
    res.status(202).set('Location', statusUrl).json({ jobId: job.id, total: job.total, statusUrl });
  });

  r.get('/jobs', (_req, res) => {
    const role = principalOf(res).role;
    res.json({ jobs: d.jobs.list().map((j) => jobView(j, 'none', role)) });
  });

  r.get('/jobs/:id', (req: Request, res: Response) => {
    const job = d.jobs.get(String(req.params.id));
    if (!job)
      return sendError(res, 404, 'NOT_FOUND', 'no such job (job progress is kept in memory and lost on restart)');
    const results = req.query.results === 'failed' || req.query.results === 'none' ? req.query.results : 'all';
    res.json(jobView(job, results, principalOf(res).role));
  });

  r.post('/test-bericht', beheerder, ...testBerichtHandlers(d));

  r.get('/audit', beheerder, async (req, res) => {
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
