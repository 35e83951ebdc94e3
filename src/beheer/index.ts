/**
 * Functioneel beheer, composed: sessions, jobs, the overview, alerts, the page, the API and /metrics. The
 * gateway makes one and mounts its routers; `close()` lets running jobs finish their current messages.
 */

import type express from 'express';
import type { NextFunction, Request, Response } from 'express';
import type { Config } from '../config/schema.ts';
import { presentedKey } from '../http/auth.ts';
import { sendError } from '../http/errors.ts';
import type { Logger } from '../log.ts';
import type { GatewayMetrics } from '../metrics.ts';
import { verifyApiKey } from '../security/api-keys.ts';
import type { MessageScope, MessageStore } from '../store/types.ts';
import type { ValidationService } from '../validation/service.ts';
import {
  type Alert,
  type CertificateSource,
  type DestinationHealth,
  daysLeft,
  evaluateAlerts,
  noCertificates,
} from './alerts.ts';
import { BeheerAuth } from './auth.ts';
import { AwaitingAnswers, type AwaitingReport, overdueAlerts } from './awaiting.ts';
import { JobRunner } from './jobs.ts';
import { OidcClient } from './oidc/client.ts';
import { type Overview, OverviewService } from './overview.ts';
import { beheerPageRouter } from './page.ts';
import { beheerApiRouter } from './routes.ts';
import { isEverything, scopedStore, scopeOf } from './scope.ts';
import { SessionStore } from './session.ts';

export interface BeheerDeps {
  config: () => Config;
  store: MessageStore;
  logger: Logger;
  metrics: GatewayMetrics;
  health: DestinationHealth;
  /** Wakes the transport after a resend or release. */
  onQueued: () => void;
  certificates?: CertificateSource;
  now?: () => Date;
  /** The gateway's validation, for "test a bericht". */
  validation: ValidationService;
}

export class Beheer {
  readonly auth: BeheerAuth;
  readonly jobs: JobRunner;
  readonly overview: OverviewService;
  /** "Wacht op antwoord": heenberichten whose answer is overdue. */
  readonly awaiting: AwaitingAnswers;
  /** Single sign-on (beheer.oidc): discovery of the identity provider, the code flow. */
  readonly oidc: OidcClient;
  readonly page: express.Router;
  readonly api: express.Router;
  private readonly certificates: CertificateSource;
  private readonly now: () => Date;

  constructor(private readonly d: BeheerDeps) {
    this.now = d.now ?? (() => new Date());
    this.certificates = d.certificates ?? noCertificates;
    this.auth = new BeheerAuth(
      () => d.config().beheer,
      new SessionStore(
        d.store.beheerState,
        () => this.now().getTime(),
        (err) => d.logger.error({ err: String(err) }, 'sweeping expired beheer sessions failed'),
      ),
      d.store.beheerState,
      () => this.now().getTime(),
    );
    this.jobs = new JobRunner({
      store: d.store,
      logger: d.logger,
      concurrency: () => d.config().beheer.jobConcurrency,
      onQueued: d.onQueued,
    });
    this.overview = this.makeOverview(d.store);
    this.awaiting = this.makeAwaiting(d.store);
    this.oidc = new OidcClient(
      () => d.config().beheer.oidc,
      d.logger,
      () => this.now().getTime(),
    );
    // Discovery runs in the background: a provider that is down does not hold up the start.
    this.oidc.warmUp();
    this.page = beheerPageRouter({
      auth: this.auth,
      store: d.store,
      oidc: { client: this.oidc, options: () => d.config().beheer.oidc },
    });
    this.api = beheerApiRouter({
      config: d.config,
      store: d.store,
      auth: this.auth,
      jobs: this.jobs,
      overview: (scope) => this.overviewFor(scope),
      alerts: (scope) => this.alertsFor(scope),
      awaiting: (scope) => this.awaitingFor(scope).report(),
      validation: d.validation,
    });
    d.metrics.onScrape(() => this.collect());
  }

  private makeOverview(store: MessageStore, cacheMs?: number): OverviewService {
    return new OverviewService({
      store,
      destinations: () => this.d.config().destinations.map((x) => x.id),
      pageSize: () => this.d.config().limits.listPageMax,
      now: this.now,
      ...(cacheMs === undefined ? {} : { cacheMs }),
    });
  }

  private makeAwaiting(store: MessageStore): AwaitingAnswers {
    return new AwaitingAnswers({
      store,
      deadlines: () => this.d.config().deadlines,
      now: this.now,
      limit: () => this.d.config().limits.listPageMax,
    });
  }

  /**
   * The overview a user with this scope sees: the shared, cached one when it covers everything; otherwise one
   * computed from the store's scoped counts for this request.
   */
  overviewFor(scope: MessageScope): OverviewService {
    return isEverything(scope) ? this.overview : this.makeOverview(scopedStore(this.d.store, scope), 0);
  }

  awaitingFor(scope: MessageScope): AwaitingAnswers {
    return isEverything(scope) ? this.awaiting : this.makeAwaiting(scopedStore(this.d.store, scope));
  }

  /** The alerts a user with this scope sees: queue and answer alerts from their messages only. */
  async alertsFor(scope: MessageScope): Promise<Alert[]> {
    if (isEverything(scope)) return this.alerts();
    const [overview, awaiting] = await Promise.all([
      this.overviewFor(scope).get({ deliveredToday: false }),
      this.awaitingFor(scope).report(),
    ]);
    return this.alerts(overview, awaiting);
  }

  async alerts(overview?: Overview, awaiting?: AwaitingReport): Promise<Alert[]> {
    const o = overview ?? (await this.overview.get({ deliveredToday: false }));
    const late = awaiting ?? (await this.awaiting.report());
    return [
      ...evaluateAlerts(o, this.d.health, await this.certificates(), this.d.config().alerts, this.now()),
      ...overdueAlerts(late),
    ];
  }

  /** GET /metrics: a scraper's bearer token (config metrics.bearerToken) or a beheer session. */
  readonly metricsHandler = async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    try {
      const token = this.d.config().metrics.bearerToken;
      const key = presentedKey(req);
      // A beheer session whose grants cover only part of the region does not read the region's totals.
      const p = await this.auth.principal(req);
      const allowed =
        (key !== undefined && token !== undefined && verifyApiKey(key, [token])) ||
        (p !== null && isEverything(scopeOf(p.grants, 'viewer')));
      if (!allowed) {
        res.set('WWW-Authenticate', 'Bearer realm="metrics"');
        return sendError(
          res,
          401,
          'UNAUTHENTICATED',
          'metrics need the scrape token (Authorization: Bearer) or a beheer session',
        );
      }
      const { contentType, text } = await this.d.metrics.render();
      res.type(contentType).send(text);
    } catch (e) {
      next(e);
    }
  };

  /** Fills the store-backed gauges and the alerts; runs on every scrape. */
  private async collect(): Promise<void> {
    const m = this.d.metrics;
    const overview = await this.overview.get({ deliveredToday: false });
    const now = this.now().getTime();
    m.queueDepth.reset();
    m.deadLetters.reset();
    m.oldestWaiting.reset();
    for (const d of overview.destinations) {
      const counts = { queued: d.queued, delivering: d.delivering, on_hold: d.onHold, failed: d.failed, dead: d.dead };
      for (const [status, n] of Object.entries(counts)) m.queueDepth.set({ destination: d.key, status }, n);
      m.deadLetters.set({ destination: d.key }, d.dead);
      m.oldestWaiting.set(
        { destination: d.key },
        d.oldestWaitingAt ? Math.max(0, (now - Date.parse(d.oldestWaitingAt)) / 1000) : 0,
      );
    }
    m.certificateDaysLeft.reset();
    for (const c of await this.certificates())
      m.certificateDaysLeft.set({ certificate: c.name }, daysLeft(c, this.now()));
    const awaiting = await this.awaiting.report();
    m.answersOverdue.reset();
    for (const [standard, n] of Object.entries(awaiting.perStandard)) m.answersOverdue.set({ standard }, n);
    m.alerts.reset();
    for (const a of await this.alerts(overview, awaiting))
      m.alerts.set({ alert: a.alert, destination: a.destination }, 1);
  }

  async close(): Promise<void> {
    await this.jobs.close();
    this.auth.sessions.close();
  }
}
