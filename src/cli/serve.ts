import { demoServeRefusal } from '../config/demo-guard.ts';
import { loadConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { Gateway } from '../gateway.ts';
import type { Logger } from '../log.ts';
import { CONFIG_OPTION, type CommandSpec, configFileOf, OperatorError } from './command.ts';
import { applyLogLevel, configSource, ensureWritableDataDir, listenProblem, withoutCredentials } from './preflight.ts';
import { schakelVersion } from './version.ts';

/** `schakel serve [FILE]`: runs the gateway until SIGINT/SIGTERM. */
export const command: CommandSpec = {
  usage: '[FILE] [--config FILE]',
  options: CONFIG_OPTION,
  positionals: { max: 1 },
  details: `Environment: SCHAKEL_CONFIG (file), PORT, SCHAKEL_HOST, SCHAKEL_DATA_DIR, SCHAKEL_POSTGRES_URL,
SCHAKEL_RABBITMQ_URL, LOG_LEVEL (overrides log.level), LOG_FORMAT (json | pretty; default pretty on a terminal).
Exit status: 0 stopped by a signal, 1 could not start (port in use, data folder not writable), 2 configuration error.`,
  async run(args) {
    const file = configFileOf(args);
    const source = configSource(file);
    const config = loadConfig(file ? { path: file } : {});
    // The demo configuration's keys and passwords are public: it serves on loopback only.
    const refusal = demoServeRefusal(source.path, config.server.host);
    if (refusal) throw new OperatorError(refusal, 2);
    applyLogLevel(config);
    if (config.store.kind === 'sqlite') ensureWritableDataDir(config.dataDir);
    let gateway: Gateway;
    try {
      gateway = new Gateway({ config });
    } catch (e) {
      throw storeProblem(e, config) ?? e;
    }
    try {
      await gateway.start();
    } catch (e) {
      const problem = listenProblem(e, config.server.host, config.server.port);
      await gateway.stop().catch(() => undefined);
      if (problem) throw new OperatorError(problem);
      throw storeProblem(e, config) ?? e;
    }
    logStartup(gateway.logger, config, source);
    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        gateway.logger.info({ signal }, 'stopping');
        resolve();
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
    await gateway.stop();
    return 0;
  },
};

/** An error opening the store that an operator can fix, as one line. */
function storeProblem(e: unknown, config: Config): OperatorError | null {
  const code = String((e as { code?: unknown } | null)?.code ?? '');
  if (config.store.kind === 'sqlite' && /^(EACCES|EROFS|ENOTDIR|EPERM|SQLITE_CANTOPEN|SQLITE_READONLY)/.test(code)) {
    return new OperatorError(
      `the data folder ${config.dataDir} is not writable (${code}): mount a writable volume there or set dataDir / SCHAKEL_DATA_DIR`,
    );
  }
  if (config.store.kind === 'postgres' && /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|28P01|3D000)$/.test(code)) {
    return new OperatorError(
      `the PostgreSQL store at ${withoutCredentials(config.store.url)} cannot be used (${code}: ${(e as Error).message})`,
    );
  }
  return null;
}

/** What an operator needs to know at start: which version, configuration, store, transport, routes and destinations. */
export function logStartup(logger: Logger, config: Config, source: { path: string; demo: boolean }): void {
  const store =
    config.store.kind === 'postgres'
      ? { kind: 'postgres', url: withoutCredentials(config.store.url), schema: config.store.schema ?? null }
      : { kind: 'sqlite', dataDir: config.dataDir };
  const transport =
    config.transport.kind === 'rabbitmq'
      ? { kind: 'rabbitmq', url: withoutCredentials(config.transport.url), queuePrefix: config.transport.queuePrefix }
      : { kind: 'embedded', concurrency: config.transport.concurrency };
  logger.info(
    {
      version: schakelVersion(),
      node: process.version,
      config: source.demo ? `${source.path} (the demo configuration)` : source.path,
      store,
      transport,
      tls: config.server.tls
        ? { profile: config.server.tls.profile, clientCertificates: config.server.tls.clientCertificates }
        : null,
      logLevel: config.log.level,
    },
    `schakel ${schakelVersion()} started`,
  );
  logger.info(
    {
      routes: config.routes.length,
      destinations: config.destinations.map((d) => ({
        id: d.id,
        adapter: d.adapter,
        ...('url' in d && typeof d.url === 'string' ? { url: withoutCredentials(d.url) } : {}),
      })),
    },
    `${config.routes.length} routes to ${config.destinations.length} destinations`,
  );
}
