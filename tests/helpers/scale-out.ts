/**
 * Gateway instances as real child processes (`node bin/schakel.mjs serve --config …`) for the scale-out
 * integration test and the ingest benchmark, the official WMO301 example in distinct variants, and a load
 * generator with bounded concurrency over keep-alive HTTP.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { hashApiKey } from '../../src/security/api-keys.ts';

export const PROJECT_ROOT = join(import.meta.dirname, '..', '..');
export const OFFICIAL_WMO301 = join(PROJECT_ROOT, '..', 'shared', 'reference', 'istandaarden-3.2', 'wmo', 'WMO301.xml');
export const LOAD_KEY = 'scale-out-test-key-wijkteam-0384';

/** The official example with its header BerichtIdentificatie/Identificatie replaced (at most 12 characters). */
export function wmo301Variant(official: string, identificatie: string): string {
  if (identificatie.length > 12) throw new Error(`Identificatie "${identificatie}" is longer than 12 characters`);
  const pattern = /(<(?:[\w-]+:)?BerichtIdentificatie>\s*<(?:[\w-]+:)?Identificatie>)[^<]*(<)/;
  if (!pattern.test(official)) throw new Error('the example has no BerichtIdentificatie/Identificatie');
  return official.replace(pattern, `$1${identificatie}$2`);
}

export function readOfficialWmo301(): string {
  return readFileSync(OFFICIAL_WMO301, 'utf8');
}

export interface InstanceConfigOptions {
  port: number;
  dataDir: string;
  receiverUrl: string;
  /** embedded: SQLite + in-process transport; scale-out: PostgreSQL + RabbitMQ. */
  mode: 'embedded' | 'scale-out';
  pgUrl?: string;
  schema?: string;
  amqpUrl?: string;
  queuePrefix?: string;
  logLevel?: string;
  /** Claim and publish leases: how long a killed instance's deliveries stay reserved. */
  leaseMs?: number;
  concurrency?: number;
  /** Retry settings (default: 20 attempts, 100 ms … 2 s, jitter 0.2). */
  retry?: { maxAttempts?: number; baseDelayMs?: number; maxDelayMs?: number; jitter?: number };
  /** More top-level YAML appended to the configuration (e.g. a `beheer:` section). */
  extraYaml?: string;
}

export function instanceConfigYaml(o: InstanceConfigOptions): string {
  const store =
    o.mode === 'scale-out'
      ? `store:\n  kind: postgres\n  url: "${o.pgUrl}"\n  poolSize: 10\n  schema: ${o.schema}\n`
      : '';
  const lease = o.leaseMs ?? 5000;
  const transport =
    o.mode === 'scale-out'
      ? `transport:
  kind: rabbitmq
  url: "${o.amqpUrl}"
  queuePrefix: "${o.queuePrefix}"
  concurrency: ${o.concurrency ?? 64}
  publishWindow: 256
  relayBatch: 200
  pollIntervalMs: 250
  leaseMs: ${lease}
  publishLeaseMs: ${lease}
  reconnectBaseDelayMs: 200
  reconnectMaxDelayMs: 2000
`
      : `transport:
  kind: embedded
  concurrency: ${o.concurrency ?? 16}
  pollIntervalMs: 250
  leaseMs: ${lease}
`;
  return `server:
  port: ${o.port}
  host: 127.0.0.1
  # Load runs measure the gateway, not the per-caller rate limit.
  rateLimit: { perSecond: 1000000, burst: 1000000 }
dataDir: ${JSON.stringify(o.dataDir)}
log:
  level: ${o.logLevel ?? 'warn'}
parties:
  gemeenten:
    - { code: "0384", name: Gemeente 0384 }
  external:
    - { id: zorg, kind: aanbieder, codes: { agb: ["42420001"] } }
callers:
  - { id: wijkteam, apiKeys: ["${hashApiKey(LOAD_KEY)}"], afzenders: ["0384"], messages: ["*"] }
destinations:
  - { id: receiver, adapter: webhook, url: "${o.receiverUrl}", timeoutMs: 10000 }
routes:
  - { standard: iwmo, direction: heen, ontvanger: "42420001", destination: receiver }
retry:
  maxAttempts: ${o.retry?.maxAttempts ?? 20}
  baseDelayMs: ${o.retry?.baseDelayMs ?? 100}
  maxDelayMs: ${o.retry?.maxDelayMs ?? 2000}
  jitter: ${o.retry?.jitter ?? 0.2}
${store}${transport}${o.extraYaml ?? ''}`;
}

/** A TCP port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface Instance {
  name: string;
  url: string;
  child: ChildProcess;
  /** The last lines it wrote (stdout and stderr), for diagnostics. */
  output: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(): Promise<void>;
  kill(): Promise<void>;
}

/**
 * Starts `schakel serve --config <file>` with `PORT` set and waits until /readyz answers 200 (at most
 * `timeoutMs`). Extra node flags (e.g. --cpu-prof) go in `nodeArgs`.
 */
export async function startInstance(
  name: string,
  configYaml: string,
  configPath: string,
  port: number,
  options: { timeoutMs?: number; nodeArgs?: string[]; env?: Record<string, string> } = {},
): Promise<Instance> {
  writeFileSync(configPath, configYaml);
  const env: Record<string, string | undefined> = { ...process.env, ...options.env, PORT: String(port) };
  for (const k of ['SCHAKEL_CONFIG', 'SCHAKEL_DATA_DIR', 'SCHAKEL_POSTGRES_URL', 'SCHAKEL_RABBITMQ_URL']) delete env[k];
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), join(PROJECT_ROOT, 'bin', 'schakel.mjs'), 'serve', '--config', configPath],
    { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(...chunk.toString().split('\n').filter(Boolean));
    if (output.length > 200) output.splice(0, output.length - 200);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let gone = false;
  void exited.then(() => (gone = true));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    if (gone) throw new Error(`${name} exited before it was ready:\n${output.slice(-30).join('\n')}`);
    try {
      const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(
        `${name} was not ready within ${options.timeoutMs ?? 60_000} ms:\n${output.slice(-30).join('\n')}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const waitExit = async (signal: NodeJS.Signals, graceMs: number) => {
    if (gone) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };
  return {
    name,
    url,
    child,
    output,
    exited,
    stop: () => waitExit('SIGTERM', 30_000),
    kill: () => waitExit('SIGKILL', 10_000),
  };
}

export interface PostResult {
  status: number;
  /** The receipt's message id (202 and 200). */
  id?: string;
  /** Milliseconds from sending to the complete answer. */
  ms: number;
  error?: string;
}

const agents = new Map<string, http.Agent>();

/** POST /berichten over a keep-alive connection; network errors come back as status 0. */
export function postBericht(
  baseUrl: string,
  body: string | Buffer,
  key = LOAD_KEY,
  timeoutMs = 30_000,
): Promise<PostResult> {
  const url = new URL('/berichten', baseUrl);
  let agent = agents.get(url.host);
  if (!agent) agents.set(url.host, (agent = new http.Agent({ keepAlive: true, maxSockets: 256 })));
  const started = performance.now();
  return new Promise((resolve) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/xml',
          authorization: `Bearer ${key}`,
          'content-length': Buffer.byteLength(body),
        },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const ms = performance.now() - started;
          let id: string | undefined;
          try {
            id = (JSON.parse(Buffer.concat(chunks).toString()) as { id?: string }).id;
          } catch {
            // not JSON
          }
          resolve({ status: res.statusCode ?? 0, ...(id ? { id } : {}), ms });
        });
        res.on('error', (e) => resolve({ status: 0, ms: performance.now() - started, error: e.message }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ status: 0, ms: performance.now() - started, error: e.message }));
    req.end(body);
  });
}

export function closeAgents(): void {
  for (const a of agents.values()) a.destroy();
  agents.clear();
}

/**
 * Runs `task(i)` for i in [0, count) with at most `concurrency` running at once; `onDone` sees each result as
 * it comes. Resolves with all results in order.
 */
export async function runBounded<T>(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<T>,
  onDone?: (result: T, i: number, done: number) => void,
): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  let done = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      results[i] = await task(i);
      done++;
      onDone?.(results[i]!, i, done);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return results;
}
