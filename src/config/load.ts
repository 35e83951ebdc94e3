import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Document, isNode, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import type { ConfigIssue } from './issue.ts';
import { checkRouteTable } from './route-check.ts';
import { type Config, configSchema } from './schema.ts';

export type { ConfigIssue };

/** The configuration cannot be used; `issues` says which fields and why. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(
    readonly source: string,
    readonly issues: ConfigIssue[],
  ) {
    super(
      `Invalid configuration (${source}):\n` +
        issues.map((i) => `  - ${i.path}${i.line ? ` (line ${i.line})` : ''}: ${i.message}`).join('\n'),
    );
  }
}

export type Env = Record<string, string | undefined>;

export interface LoadConfigOptions {
  /** Config file; else `SCHAKEL_CONFIG`; else the embedded config/default.yaml. */
  path?: string;
  env?: Env;
  /** Base for relative paths given on the command line or in the environment. */
  cwd?: string;
}

/** The embedded demo configuration shipped with the package. */
export function defaultConfigPath(): string {
  return fileURLToPath(new URL('../../config/default.yaml', import.meta.url));
}

/**
 * Reads and validates the configuration. Any string value may be `${ENV:NAME}` (or contain it): replaced by that
 * environment variable, so secrets (webhook headers, AMQP URLs) stay out of the file. Environment overrides: `SCHAKEL_CONFIG` (file), `SCHAKEL_HOST`
 * (server.host, e.g. 0.0.0.0 in a container), `PORT`
 * (server.port), `SCHAKEL_DATA_DIR` (dataDir), `SCHAKEL_POSTGRES_URL` (store.url of a postgres store),
 * `SCHAKEL_RABBITMQ_URL` (transport.url of a rabbitmq transport). The returned `dataDir` is absolute: relative to the config
 * file's folder when set in the file, relative to `cwd` when set in the environment.
 */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const file = configFileOf(options);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [{ path: '(file)', message: `cannot read: ${(err as Error).message}` }]);
  }
  return parseConfig(text, file, { env, cwd });
}

/** The configuration file `loadConfig` reads for these options. */
export function configFileOf(options: LoadConfigOptions = {}): string {
  const env = options.env ?? process.env;
  return resolve(options.cwd ?? process.cwd(), options.path ?? nonEmpty(env.SCHAKEL_CONFIG) ?? defaultConfigPath());
}

/** Validates configuration text; `source` names it in errors and anchors its relative paths. */
export function parseConfig(text: string, source: string, options: { env?: Env; cwd?: string } = {}): Config {
  const env = options.env ?? {};
  const cwd = options.cwd ?? process.cwd();
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      source,
      doc.errors.map((e) => ({
        path: '(yaml)',
        message: e.message.split('\n')[0] ?? e.code,
        line: lineCounter.linePos(e.pos[0]).line,
      })),
    );
  }
  const raw: unknown = doc.toJS() ?? {};
  if (!isRecord(raw)) {
    throw new ConfigError(source, [{ path: '(root)', message: 'the file must hold a YAML mapping' }]);
  }

  const envIssues: ConfigIssue[] = substituteEnv(raw, env, []).map((i) => {
    const line = lineOf(doc, lineCounter, i.at);
    return { path: formatPath(i.at), message: i.message, ...(line ? { line } : {}) };
  });
  const port = nonEmpty(env.PORT);
  if (port !== undefined) {
    if (/^[0-9]{1,5}$/.test(port) && Number(port) <= 65535) {
      raw.server = { ...(isRecord(raw.server) ? raw.server : {}), port: Number(port) };
    } else {
      envIssues.push({ path: 'env PORT', message: `must be a port number 0-65535, got "${port}"` });
    }
  }
  const host = nonEmpty(env.SCHAKEL_HOST);
  if (host !== undefined) raw.server = { ...(isRecord(raw.server) ? raw.server : {}), host };
  // Scale-out: the service URLs carry passwords, so they may come from the environment instead of the file.
  const urlOverrides = [
    ['SCHAKEL_POSTGRES_URL', 'store', 'postgres'],
    ['SCHAKEL_RABBITMQ_URL', 'transport', 'rabbitmq'],
  ] as const;
  for (const [name, section, kind] of urlOverrides) {
    const value = nonEmpty(env[name]);
    if (value === undefined) continue;
    const current = raw[section];
    if (isRecord(current) && current.kind === kind) raw[section] = { ...current, url: value };
    else envIssues.push({ path: `env ${name}`, message: `is set, but ${section}.kind is not "${kind}" in the file` });
  }
  if (envIssues.length > 0) throw new ConfigError(source, envIssues);

  const result = configSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(source, toIssues(result.error.issues, doc, lineCounter));

  const config = result.data;
  // A route table that sends berichten back where they came from is refused with the offending routes' lines.
  const routeIssues = checkRouteTable(config, (i) => lineOf(doc, lineCounter, ['routes', i]));
  if (routeIssues.length > 0) throw new ConfigError(source, routeIssues);
  const dataDirFromEnv = nonEmpty(env.SCHAKEL_DATA_DIR);
  config.dataDir = dataDirFromEnv
    ? resolve(cwd, dataDirFromEnv)
    : isAbsolute(config.dataDir)
      ? config.dataDir
      : resolve(dirname(resolve(cwd, source)), config.dataDir);
  resolveTlsPaths(config, dirname(resolve(cwd, source)));
  for (const k of config.store.encryption?.keys ?? []) {
    if (k.file !== undefined) k.file = resolve(dirname(resolve(cwd, source)), k.file);
  }
  return config;
}

const ENV_REFERENCE = /\$\{ENV:([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * Secrets stay out of the file: any string value may hold `${ENV:NAME}`, replaced (in place) by that
 * environment variable (webhook headers, AMQP destination URLs …). A variable that is not set is an issue.
 */
function substituteEnv(
  node: unknown,
  env: Env,
  at: (string | number)[],
): { at: (string | number)[]; message: string }[] {
  const issues: { at: (string | number)[]; message: string }[] = [];
  const visit = (value: unknown, path: (string | number)[], set: (v: string) => void) => {
    if (typeof value === 'string') {
      if (!value.includes('${ENV:')) return;
      set(
        value.replace(ENV_REFERENCE, (_m, name: string) => {
          const v = env[name];
          if (v === undefined)
            issues.push({ at: path, message: `environment variable ${name} (named by \${ENV:${name}}) is not set` });
          return v ?? '';
        }),
      );
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => {
        visit(v, [...path, i], (nv) => {
          value[i] = nv;
        });
      });
    } else if (isRecord(value)) {
      for (const [k, v] of Object.entries(value)) visit(v, [...path, k], (nv) => (value[k] = nv));
    }
  };
  visit(node, at, () => undefined);
  return issues;
}

/** Certificate, key, PKCS#12 and CA paths of the TLS profiles (and the OIDC provider's CAs), made absolute against the config file's folder. */
function resolveTlsPaths(config: Config, base: string): void {
  const abs = (path: string) => resolve(base, path);
  for (const p of config.tls.profiles) {
    if (p.cert !== undefined) p.cert = abs(p.cert);
    if (p.key !== undefined) p.key = abs(p.key);
    if (p.pkcs12 !== undefined) p.pkcs12 = abs(p.pkcs12);
    p.ca = p.ca.map(abs);
  }
  const oidc = config.beheer.oidc;
  if (oidc) oidc.ca = oidc.ca.map(abs);
}

function toIssues(issues: z.core.$ZodIssue[], doc: Document, lines: LineCounter): ConfigIssue[] {
  return issues.map((issue) => {
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    const line = lineOf(doc, lines, path);
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') message = `unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    if (issue.code === 'invalid_type' && issue.expected === 'string' && /received number/.test(issue.message)) {
      message += ' (quote codes in YAML: "0363", so leading zeros survive)';
    }
    return { path: formatPath(path), message, ...(line ? { line } : {}) };
  });
}

/** 1-based line of `path` (or its deepest existing parent) in configuration text, for checks made after loading. */
export function lineInConfig(text: string, path: readonly (string | number)[]): number | undefined {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  return lineOf(doc, lineCounter, [...path]);
}

/** Line of the deepest node along `path` that exists in the file (defaults have no line). */
function lineOf(doc: Document, lines: LineCounter, path: (string | number)[]): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) return lines.linePos(node.range[0]).line;
  }
  return undefined;
}

export function formatPath(path: readonly (string | number)[]): string {
  if (path.length === 0) return '(root)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v;
}
