import { readFileSync } from 'node:fs';
import { ConfigError, type ConfigIssue, lineInConfig, loadConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { createLogger } from '../log.ts';
import { TlsProfiles } from '../security/tls-profiles.ts';
import { SchemaPacks } from '../xml/packs.ts';
import { CONFIG_OPTION, type CommandSpec, configFileOf, OperatorError } from './command.ts';
import { applyLogLevel, configSource, dataDirProblem } from './preflight.ts';

/**
 * A check on a loaded configuration that start-up also makes: returns its issues (path, message), which
 * check-config places on their line in the file. The route-table check of src/config is added here.
 */
export type ConfigCheck = (config: Config) => ConfigIssue[];

/** Certificate profiles: every file readable, the certificate and key valid now (start-up refuses a broken server profile). */
const tlsProfilesLoad: ConfigCheck = (config) => {
  if (config.tls.profiles.length === 0) return [];
  const profiles = new TlsProfiles({
    tls: config.tls,
    destinations: config.destinations,
    ...(config.server.tls ? { serverProfile: config.server.tls.profile } : {}),
    logger: createLogger({ level: 'silent' }),
  });
  return profiles.status().flatMap((s) => {
    if (s.usable) return [];
    const i = config.tls.profiles.findIndex((p) => p.id === s.profile);
    return [{ path: `tls.profiles[${i}]`, message: s.problem ?? 'not usable' }];
  });
};

/** The SQLite store's data folder can be made and written. */
const dataDirWritable: ConfigCheck = (config) => {
  if (config.store.kind !== 'sqlite') return [];
  const problem = dataDirProblem(config.dataDir);
  return problem ? [{ path: 'dataDir', message: problem }] : [];
};

/** Every check beyond the schema (which loadConfig applies), in the order start-up meets them. */
export const CONFIG_CHECKS: readonly ConfigCheck[] = [tlsProfilesLoad, dataDirWritable];

/** `schakel check-config [FILE]`: what start-up checks, without starting. Exit 0 usable, 2 not. */
export const command: CommandSpec = {
  usage: '[FILE] [--config FILE]',
  options: CONFIG_OPTION,
  positionals: { max: 1 },
  details: `Checks the file as \`schakel serve\` would (with the same environment overrides): the schema of every
field, references between sections (routes to destinations, inbound parties, TLS profiles), the certificate
profiles' files, the data folder, LOG_LEVEL and the schema packs. Problems are listed with their line.
Exit status: 0 usable, 2 not.`,
  async run(args, io) {
    const file = configFileOf(args);
    const source = configSource(file);
    const config = loadConfig(file ? { path: file } : {});
    applyLogLevel(config);
    const issues = CONFIG_CHECKS.flatMap((check) => check(config));
    if (issues.length > 0) {
      const text = readFileSync(source.path, 'utf8');
      const located = issues.map((i) => {
        const line = lineInConfig(text, pathParts(i.path));
        return { ...i, ...(line ? { line } : {}) };
      });
      throw new ConfigError(source.path, located);
    }
    let packs: SchemaPacks;
    try {
      packs = SchemaPacks.load();
    } catch (e) {
      throw new OperatorError(`the schema packs do not load: ${(e as Error).message}`, 2);
    }
    io.out.write(
      `${source.path}${source.demo ? ' (the demo configuration)' : ''}: OK\n` +
        `  ${config.callers.length} callers, ${config.inbound.length} inbound parties, ${config.destinations.length} destinations, ${config.routes.length} routes\n` +
        `  store ${config.store.kind}${config.store.kind === 'sqlite' ? ` in ${config.dataDir}` : ''}, transport ${config.transport.kind}, ` +
        `listening on ${config.server.tls ? 'https' : 'http'}://${config.server.host}:${config.server.port}\n` +
        `  ${packs.packs().length} schema packs\n`,
    );
    return 0;
  },
};

/** `routes[2].destination` → ['routes', 2, 'destination']. */
export function pathParts(path: string): (string | number)[] {
  return [...path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] !== undefined ? Number(m[2]) : m[1]!));
}
