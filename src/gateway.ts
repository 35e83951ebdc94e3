/**
 * Lifecycle: one gateway started and stopped (HTTP or HTTPS server, transport, certificate reloads, retention,
 * beheer), over the store and transport that composition.ts (the wiring) builds from the configuration.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { type CertificateSource, DestinationHealth } from './beheer/alerts.ts';
import { Beheer } from './beheer/index.ts';
import { createTransport, openStore } from './composition.ts';
import { ConfigError } from './config/load.ts';
import type { Config } from './config/schema.ts';
import { createHttp } from './http/app.ts';
import { answerClientError, serverTimeouts } from './http/connection.ts';
import type { ServerClasses } from './http/direct-route.ts';
import { failureRateOf } from './http/rate-limit.ts';
import { SharedFailureBudget } from './http/shared-failures.ts';
import { createLogger, type Logger } from './log.ts';
import { GatewayMetrics } from './metrics.ts';
import { ChainHistory } from './pipeline/history.ts';
import { TlsHealth } from './security/tls-health.ts';
import { secureOptionsOf, TlsProfiles } from './security/tls-profiles.ts';
import { retentionAges } from './store/retention.ts';
import type { MessageStore } from './store/types.ts';
import type { Transport } from './transport/types.ts';
import { ValidationService } from './validation/service.ts';

export interface GatewayOptions {
  config: Config;
  logger?: Logger;
  /** The message store; the embedded SQLite store in the configured data folder when omitted. */
  store?: MessageStore;
  /** The transport over that store; the embedded in-process transport when omitted. */
  transport?: (store: MessageStore, logger: Logger) => Transport;
  /** Tests pin the clock for "not in the future" rules. */
  today?: () => Date;
  /** Beheer's clock (answer deadlines, alerts, sessions); tests inject it. Default: the system clock. */
  now?: () => Date;
  /** Certificates to watch for expiry (beheer alerts, metrics); the TLS profiles' when omitted. */
  certificates?: CertificateSource;
}

/**
 * On stop, deliveries still running this long after the HTTP server closed are aborted (and retried later).
 * A container's termination grace period must be longer than server.requestTimeoutMs plus this.
 */
export const DELIVERY_ABORT_MS = 10_000;

/** How often retention runs: bodies and metadata past their configured age are purged (so a 24-hour limit holds within 10 minutes). */
const RETENTION_INTERVAL_MS = 10 * 60 * 1000;

/**
 * One gateway: the configured store and transport (composition.ts), validation, HTTP. `start()`
 * resolves once the server listens; `stop()` stops taking requests, lets deliveries in flight finish and
 * closes the store.
 */
export class Gateway {
  readonly logger: Logger;
  readonly store: MessageStore;
  /** The chain's memory: the iEb/iPgb rules that need earlier berichten. */
  readonly history: ChainHistory;
  readonly validation: ValidationService;
  readonly transport: Transport;
  readonly metrics: GatewayMetrics;
  /** Failing delivery streaks per destination, for the "destination unhealthy" alert. */
  readonly health = new DestinationHealth();
  readonly beheer: Beheer;
  /** Failed authentications per client address, counted for every instance on the store. */
  readonly failureBudget: SharedFailureBudget;
  /** Certificate profiles (tls.profiles), reloaded from disk without a restart. */
  readonly tls: TlsProfiles;
  /** Per destination: connectable, or unhealthy (profile unusable, TLS refused) since when and why. */
  readonly connections: TlsHealth;
  private server: http.Server | https.Server | null = null;
  private readonly reloadOnSighup = () => {
    const report = this.tls.reload();
    this.logger.info(
      { changed: report.changed, failed: report.failed.map((f) => f.profile) },
      'SIGHUP: certificate profiles reloaded',
    );
  };
  private retentionTimer: NodeJS.Timeout | null = null;
  private running = false;

  constructor(private readonly opts: GatewayOptions) {
    const { config } = opts;
    this.metrics = new GatewayMetrics({ gemeenteLabels: config.metrics.gemeenteLabels });
    this.logger = opts.logger ?? createLogger({ level: config.log.level, name: 'schakel' });
    this.tls = new TlsProfiles({
      tls: config.tls,
      destinations: config.destinations,
      ...(config.server.tls ? { serverProfile: config.server.tls.profile } : {}),
      logger: this.logger,
    });
    // A broken destination profile disables that destination only; without its own certificate the gateway cannot serve HTTPS at all.
    if (config.server.tls) {
      const use = this.tls.use(config.server.tls.profile);
      if (use.kind === 'unusable')
        throw new ConfigError('certificates', [{ path: 'server.tls.profile', message: use.reason }]);
    }
    this.connections = new TlsHealth(this.tls, () => this.opts.config.destinations, this.logger);
    this.validation = new ValidationService({
      limits: { maxBytes: config.server.bodyLimitBytes },
      workers: config.validation.workers,
      inlineMaxBytes: config.validation.inlineMaxBytes,
      ...(config.validation.productList ? { productListFile: config.validation.productList } : {}),
      ...(opts.today ? { today: opts.today } : {}),
    });
    this.store = opts.store ?? openStore(config);
    this.history = new ChainHistory({
      store: this.store,
      key: ChainHistory.keyFromEnv(),
      ...(opts.today ? { today: opts.today } : {}),
    });
    // Every delivery attempt the store records, whichever transport made it, also counts for metrics and health.
    this.store.onAttemptRecorded((e) => {
      this.metrics.attempted(e);
      this.health.record(e);
    });
    this.transport = opts.transport
      ? opts.transport(this.store, this.logger)
      : createTransport(config, this.store, this.logger, undefined, this.connections);
    this.beheer = new Beheer({
      config: () => this.opts.config,
      store: this.store,
      logger: this.logger,
      metrics: this.metrics,
      health: this.health,
      onQueued: () => this.transport.kick(),
      certificates: opts.certificates ?? (async () => this.tls.certificates()),
      validation: this.validation,
      ...(opts.now ? { now: opts.now } : {}),
    });
    this.failureBudget = new SharedFailureBudget(
      this.store.beheerState,
      () => failureRateOf(this.opts.config.server.rateLimit),
      this.logger,
    );
  }

  get config(): Config {
    return this.opts.config;
  }

  /** The address the server listens on (after start). */
  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? 0;
  }

  async start(): Promise<void> {
    const { listener, classes } = createHttp({
      config: () => this.opts.config,
      logger: this.logger,
      store: this.store,
      validation: this.validation,
      routes: () => this.opts.config.routes,
      history: this.history,
      onQueued: () => this.transport.kick(),
      ready: () => this.running,
      metrics: this.metrics,
      beheer: this.beheer,
      failureBudget: this.failureBudget,
      healthDetail: () => this.healthDetail(),
    });
    const server = this.createServer(listener, classes);
    server.on('clientError', answerClientError);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.server.port, this.config.server.host, () => resolve());
    });
    this.server = server;
    await this.transport.start();
    this.tls.start();
    if (this.tls.configured) process.on('SIGHUP', this.reloadOnSighup);
    this.scheduleRetention();
    this.running = true;
    this.logger.info(
      { port: this.port, host: this.config.server.host, dataDir: this.config.dataDir },
      'schakel gateway listening',
    );
    const keySource = (this.store as { keySource?: string }).keySource;
    if (keySource && keySource !== 'configured') {
      this.logger.warn(
        { keySource },
        'bodies are encrypted with a generated key (store.encryption not configured): fine for a trial, ' +
          'production must configure store.encryption keys (docs/encryption.md)',
      );
    }
  }

  /** HTTP, or HTTPS with the server.tls profile (swapped in place when the profile reloads) and client certificates per its mode. */
  private createServer(app: http.RequestListener, classes: ServerClasses): http.Server | https.Server {
    const options = { ...serverTimeouts(this.config.server.requestTimeoutMs), ...classes };
    const serverTls = this.config.server.tls;
    if (!serverTls) return http.createServer(options, app);
    const use = this.tls.use(serverTls.profile);
    if (use.kind === 'unusable') throw new Error(`server.tls: ${use.reason}`);
    const server = https.createServer(
      {
        ...options,
        ...secureOptionsOf(use.profile),
        minVersion: 'TLSv1.2',
        requestCert: serverTls.clientCertificates !== 'none',
        rejectUnauthorized: serverTls.clientCertificates === 'required',
      },
      app,
    );
    this.tls.onChange((profile, loaded) => {
      if (profile === serverTls.profile && this.server === server)
        server.setSecureContext({ ...secureOptionsOf(loaded), minVersion: 'TLSv1.2' });
    });
    return server;
  }

  /** /healthz detail: per destination whether it can be connected to, and the certificate profiles. */
  private healthDetail(): Record<string, unknown> {
    const destinations = this.connections.list();
    if (!this.tls.configured && destinations.every((d) => d.state === 'healthy')) return {};
    return { destinations, certificates: this.tls.status() };
  }

  private scheduleRetention(): void {
    const ages = retentionAges(this.config.retention);
    const purge = async () => {
      try {
        const bodies = await this.store.purgeBodies(ages.body);
        const metadata = await this.store.purgeMetadata(ages.metadata);
        if (bodies.total || metadata.total)
          this.logger.info({ bodies: bodies.total, metadata: metadata.total }, 'retention purge');
      } catch (e) {
        this.logger.error({ err: e }, 'retention purge failed');
      }
    };
    void purge();
    this.retentionTimer = setInterval(() => void purge(), RETENTION_INTERVAL_MS);
    this.retentionTimer.unref();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    this.tls.stop();
    process.off('SIGHUP', this.reloadOnSighup);
    const server = this.server;
    this.server = null;
    if (server) {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
    }
    await this.beheer.close();
    await this.failureBudget.close();
    await this.transport.stop({ abortAfterMs: DELIVERY_ABORT_MS });
    await this.validation.close();
    await this.store.close();
    this.logger.info('schakel gateway stopped');
  }
}
