import { accessSync, constants, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { defaultConfigPath } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { OperatorError } from './command.ts';

/** The configuration file loadConfig reads for this argument: the given file, else $SCHAKEL_CONFIG, else the demo. */
export function configSource(
  file: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): { path: string; demo: boolean } {
  const fromEnv = env.SCHAKEL_CONFIG?.trim() ? env.SCHAKEL_CONFIG : undefined;
  const path = resolve(file ?? fromEnv ?? defaultConfigPath());
  return { path, demo: path === resolve(defaultConfigPath()) };
}

/** `LOG_LEVEL` overrides `log.level` of the configuration (for one run, without editing the file). */
export function applyLogLevel(config: Config, env: NodeJS.ProcessEnv = process.env): void {
  const level = env.LOG_LEVEL?.trim().toLowerCase();
  if (!level) return;
  const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
  const known = levels.find((l) => l === level);
  if (!known) throw new OperatorError(`LOG_LEVEL must be one of ${levels.join(', ')}, not "${env.LOG_LEVEL}"`, 2);
  config.log.level = known;
}

/**
 * Whether the SQLite store's data folder can be written, without changing anything: the folder (or, when it
 * does not exist yet, its nearest existing parent) must be a writable directory. Returns the problem, or null.
 */
export function dataDirProblem(dataDir: string): string | null {
  let dir = resolve(dataDir);
  while (!existsSync(dir)) {
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  try {
    if (!statSync(dir).isDirectory()) return `the data folder ${dataDir} cannot be made: ${dir} is not a folder`;
    accessSync(dir, constants.W_OK);
    return null;
  } catch (e) {
    return `the data folder ${dataDir} is not writable (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): mount a writable volume there or set dataDir / SCHAKEL_DATA_DIR`;
  }
}

/**
 * Makes the data folder and proves a file can be written in it (root passes access checks, a read-only mount
 * does not): throws an {@link OperatorError} with one clear line otherwise.
 */
export function ensureWritableDataDir(dataDir: string): void {
  const problem = dataDirProblem(dataDir);
  if (problem) throw new OperatorError(problem);
  const probe = join(dataDir, `.schakel-write-test-${process.pid}`);
  try {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(probe, '');
    rmSync(probe);
  } catch (e) {
    throw new OperatorError(
      `the data folder ${dataDir} is not writable (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): mount a writable volume there or set dataDir / SCHAKEL_DATA_DIR`,
    );
  }
}

/** One line for an error of listen(): port in use, no permission for a low port, an address not on this host. */
export function listenProblem(e: unknown, host: string, port: number): string | null {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  const where = `${host}:${port}`;
  if (code === 'EADDRINUSE')
    return `port ${port} on ${host} is already in use (another gateway?): stop it or set server.port / PORT`;
  if (code === 'EACCES')
    return `no permission to listen on ${where} (ports below 1024 need privileges): use a port of 1024 or more`;
  if (code === 'EADDRNOTAVAIL') return `${host} is not an address of this host: set server.host / SCHAKEL_HOST`;
  return null;
}

/** A store or transport URL for a log line: scheme, host, port and path, never the user or password. */
export function withoutCredentials(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return '(unparsable URL)';
  }
}
