import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from './config/schema.ts';
import { createApp } from './http/app.ts';
import { createLogger, type Logger } from './log.ts';
import { retentionAges } from './store/retention.ts';
import { openSqliteStoreFromConfig } from './store/sqlite.ts';
import type { MessageStore } from './store/types.ts';
import { embeddedTransportFromConfig } from './transport/embedded.ts';
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
}

/** How often retention runs: bodies and metadata past their configured age are purged. */
const RETENTION_INTERVAL_MS = 60 * 60 * 1000;

/**
 * The embedded gateway: SQLite store, in-process transport over its outbox, validation, HTTP. `start()`
 * resolves once the server listens; `stop()` stops taking requests, lets deliveries in flight finish and
 * closes the store.
 */
export class Gateway {
  readonly logger: Logger;
  readonly store: MessageStore;
  readonly validation: ValidationService;
  readonly transport: Transport;
  private server: http.Server | null = null;
  private retentionTimer: NodeJS.Timeout | null = null;
  private running = false;

  constructor(private readonly opts: GatewayOptions) {
    const { config } = opts;
    this.logger = opts.logger ?? createLogger({ level: config.log.level, name: 'schakel' });
    this.validation = new ValidationService({
      limits: { maxBytes: config.server.bodyLimitBytes },
      ...(opts.today ? { today: opts.today } : {}),
    });
    this.store = opts.store ?? openSqliteStoreFromConfig(config);
    this.transport = opts.transport ? opts.transport(this.store, this.logger) : embeddedTransportFromConfig(config, this.store, this.logger);
  }

  get config(): Config {
    return this.opts.config;
  }

  /** The address the server listens on (after start). */
  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? 0;
  }

  async start(): Promise<void> {
    const app = createApp({
      config: () => this.opts.config,
      logger: this.logger,
      store: this.store,
      validation: this.validation,
      routes: () => this.opts.config.routes,
      onQueued: () => this.transport.kick(),
      ready: () => this.running,
    });
    const server = http.createServer({ requestTimeout: this.config.server.requestTimeoutMs }, app);
    server.headersTimeout = Math.min(60_000, this.config.server.requestTimeoutMs);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.server.port, this.config.server.host, () => resolve());
    });
    this.server = server;
    await this.transport.start();
    this.scheduleRetention();
    this.running = true;
    this.logger.info({ port: this.port, host: this.config.server.host, dataDir: this.config.dataDir }, 'schakel gateway listening');
  }

  private scheduleRetention(): void {
    const ages = retentionAges(this.config.retention);
    const purge = async () => {
      try {
        const bodies = await this.store.purgeBodies(ages.body);
        const metadata = await this.store.purgeMetadata(ages.metadata);
        if (bodies.total || metadata.total) this.logger.info({ bodies: bodies.total, metadata: metadata.total }, 'retention purge');
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
    const server = this.server;
    this.server = null;
    if (server) {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
    }
    await this.transport.stop({ abortAfterMs: 10_000 });
    await this.validation.close();
    await this.store.close();
    this.logger.info('schakel gateway stopped');
  }
}
