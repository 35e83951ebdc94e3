/** A real gateway for integration tests: HTTP on a random port, SQLite in a temp dataDir, logs captured. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.ts';
import { Gateway } from '../../src/gateway.ts';
import { createLogger } from '../../src/log.ts';
import { hashApiKey } from '../../src/security/api-keys.ts';
import { openSqliteStoreFromConfig } from '../../src/store/sqlite.ts';
import type { MessageStore } from '../../src/store/types.ts';

/** Plaintext test keys; the config holds only their hashes. */
export const KEYS = {
  /** Internal system of gemeente 0384: may send anything as 0384. */
  wijkteam: 'test-key-wijkteam-0384',
  /** Internal system of gemeente 0363 only. */
  andereGemeente: 'test-key-gemeente-0363',
  /** Internal system of 0384 that may send JW301 only. */
  alleenJw: 'test-key-alleen-jw301',
  /** Aanbieder 42420001 (party "zorg") on /inbound/zorg. */
  zorg: 'test-key-aanbieder-42420001',
  /** Aanbieder 65656055 (party "jeugd") on /inbound/jeugd. */
  jeugd: 'test-key-aanbieder-65656055',
} as const;

/** Where the test destinations live (intercepted with nock in-process, or a real receiver for a child process). */
export interface DestinationUrls {
  /** Aanbieder 42420001: heenberichten to it, retours built for its rejected berichten. */
  zorg: string;
  /** Aanbieder 65656055: WMO325 declaratie-antwoorden. */
  jeugd: string;
  /** Gemeente 0384's system: retours that answer its heenberichten. */
  gemeenteRetour: string;
  /** Gemeente 0384's system: heenberichten from aanbieders. */
  gemeenteInbox: string;
}

export const NOCK_DESTINATIONS: DestinationUrls = {
  zorg: 'http://zorg.example/berichten',
  jeugd: 'http://jeugd.example/berichten',
  gemeenteRetour: 'http://gemeente.example/retour',
  gemeenteInbox: 'http://gemeente.example/inbox',
};

export interface TestConfigOptions {
  dataDir: string;
  destinations?: DestinationUrls;
  bodyLimitBytes?: number;
  maxAttempts?: number;
  /** Replace the route table (YAML flow sequence entries, one per line); default: the full table below. */
  routes?: string[];
  port?: number;
  /** transport.leaseMs: how soon a delivery a crashed process held is taken up again. */
  leaseMs?: number;
  /** More top-level YAML appended to the configuration (e.g. a `beheer:` section). */
  extraYaml?: string;
  /** server.tls: the gateway serves HTTPS with this certificate profile (define it in extraYaml's `tls:`). */
  serverTls?: { profile: string; clientCertificates: 'none' | 'optional' | 'required' };
  /** More callers and destinations (YAML flow mappings, one per entry). */
  extraCallers?: string[];
  extraDestinations?: string[];
  /** More external parties and inbound parties (YAML flow mappings, one per entry). */
  extraParties?: string[];
  extraInbound?: string[];
}

export const DEFAULT_ROUTES = [
  // A 325 routes on its Ontvanger (the aanbieder), so it comes before the retour-on-Afzender rule.
  '{ standard: iwmo, message: WMO325, ontvanger: "65656055", destination: jeugd }',
  '{ standard: iwmo, direction: retour, afzender: "0384", destination: gemeente-retour }',
  '{ standard: iwmo, direction: retour, afzender: "42420001", destination: zorg }',
  '{ standard: iwmo, direction: heen, ontvanger: "42420001", destination: zorg }',
  '{ standard: iwmo, direction: heen, ontvanger: "0384", destination: gemeente-inbox }',
];

/** The test configuration as YAML: hashed keys, tiny retry delays, the given destinations and routes. */
export function testConfigYaml(o: TestConfigOptions): string {
  const d = o.destinations ?? NOCK_DESTINATIONS;
  const routes = o.routes ?? DEFAULT_ROUTES;
  return `
server:
  port: ${o.port ?? 0}
  host: 127.0.0.1
  bodyLimitBytes: ${o.bodyLimitBytes ?? 25 * 1024 * 1024}
  requestTimeoutMs: 30000${o.serverTls ? `\n  tls: ${JSON.stringify(o.serverTls)}` : ''}
dataDir: ${JSON.stringify(o.dataDir)}
log:
  level: info
parties:
  gemeenten:
    - { code: "0384", name: Testgemeente 0384 }
    - { code: "0363", name: Testgemeente 0363 }
  external:
    - { id: zorg, kind: aanbieder, codes: { agb: ["42420001"] } }
    - { id: jeugd, kind: aanbieder, codes: { agb: ["65656055"] } }${(o.extraParties ?? []).map((x) => `\n    - ${x}`).join('')}
callers:
  - { id: wijkteam, apiKeys: ["${hashApiKey(KEYS.wijkteam)}"], afzenders: ["0384"], messages: ["*"] }
  - { id: andere-gemeente, apiKeys: ["${hashApiKey(KEYS.andereGemeente)}"], afzenders: ["0363"], messages: ["*"] }
  - { id: alleen-jw, apiKeys: ["${hashApiKey(KEYS.alleenJw)}"], afzenders: ["0384"], messages: [JW301] }${(o.extraCallers ?? []).map((c) => `\n  - ${c}`).join('')}
inbound:
  - { party: zorg, apiKeys: ["${hashApiKey(KEYS.zorg)}"], messages: [WMO302, WMO315, WMO317, WMO323] }
  - { party: jeugd, apiKeys: ["${hashApiKey(KEYS.jeugd)}"], messages: [WMO323, WMO315] }${(o.extraInbound ?? []).map((x) => `\n  - ${x}`).join('')}
destinations:
  - { id: zorg, adapter: webhook, url: "${d.zorg}", timeoutMs: 5000 }
  - { id: jeugd, adapter: webhook, url: "${d.jeugd}", timeoutMs: 5000 }
  - { id: gemeente-retour, adapter: webhook, url: "${d.gemeenteRetour}", timeoutMs: 5000 }
  - { id: gemeente-inbox, adapter: webhook, url: "${d.gemeenteInbox}", timeoutMs: 5000 }${(o.extraDestinations ?? []).map((x) => `\n  - ${x}`).join('')}
routes:${routes.length ? routes.map((r) => `\n  - ${r}`).join('') : ' []'}
retry:
  maxAttempts: ${o.maxAttempts ?? 5}
  baseDelayMs: 20
  maxDelayMs: 200
  jitter: 0
transport:
  kind: embedded
  concurrency: 4
  pollIntervalMs: 20
  leaseMs: ${o.leaseMs ?? 10000}
${o.extraYaml ?? ''}`;
}

export interface HttpResult {
  status: number;
  headers: Headers;
  /** Parsed JSON when the answer is JSON, else the text. */
  body: any;
  text: string;
}

export interface TestGateway {
  gateway: Gateway;
  url: string;
  dataDir: string;
  /** POST a body; `contentType` defaults to application/xml; `key` null sends no Authorization header. */
  post(path: string, body: string | Uint8Array, key: string | null, contentType?: string): Promise<HttpResult>;
  get(path: string, key?: string | null): Promise<HttpResult>;
  /** Every log line the gateway wrote (JSON text, one per entry). */
  logs: string[];
  /** Every body this gateway was sent through `post`, and every answer it gave. */
  sent: string[];
  answers: HttpResult[];
  stop(): Promise<void>;
}

export interface StartOptions extends Omit<TestConfigOptions, 'dataDir'> {
  today?: () => Date;
  /** Wraps the gateway's SQLite store (to slow it down or observe it). */
  wrapStore?: (store: MessageStore) => MessageStore;
}

/** Starts a gateway on a fresh temp dataDir. `stop()` stops it and removes the folder. */
export async function startTestGateway(options: StartOptions = {}): Promise<TestGateway> {
  const dataDir = mkdtempSync(join(tmpdir(), 'schakel-gw-'));
  const config = parseConfig(testConfigYaml({ ...options, dataDir }), join(dataDir, 'test.yaml'), { env: {} });
  const logs: string[] = [];
  const logger = createLogger({
    level: 'trace',
    name: 'schakel',
    destination: { write: (line: string) => void logs.push(line) },
  });
  const gateway = new Gateway({
    config,
    logger,
    today: options.today ?? (() => new Date('2026-11-01T12:00:00')),
    ...(options.wrapStore ? { store: options.wrapStore(openSqliteStoreFromConfig(config)) } : {}),
  });
  await gateway.start();
  const url = `${options.serverTls ? 'https' : 'http'}://127.0.0.1:${gateway.port}`;
  const sent: string[] = [];
  const answers: HttpResult[] = [];

  const call = async (path: string, init: RequestInit): Promise<HttpResult> => {
    const res = await fetch(url + path, init);
    const text = await res.text();
    let body: unknown = text;
    if ((res.headers.get('content-type') ?? '').includes('json')) body = JSON.parse(text);
    const result = { status: res.status, headers: res.headers, body, text };
    answers.push(result);
    return result;
  };

  let stopped = false;
  return {
    gateway,
    url,
    dataDir,
    logs,
    sent,
    answers,
    post(path, body, key, contentType = 'application/xml') {
      sent.push(typeof body === 'string' ? body : Buffer.from(body).toString('utf8'));
      const headers: Record<string, string> = { 'content-type': contentType };
      if (key !== null) headers.authorization = `Bearer ${key}`;
      return call(path, { method: 'POST', headers, body: typeof body === 'string' ? body : Buffer.from(body) });
    },
    get(path, key = KEYS.wijkteam) {
      return call(path, { headers: key === null ? {} : { authorization: `Bearer ${key}` } });
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await gateway.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Polls `fn` until it returns without throwing (and, when it returns a value, until that value is truthy),
 * or the deadline passes; then throws the last failure.
 */
export async function eventually<T>(
  fn: () => T | Promise<T>,
  opts: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  const interval = opts.intervalMs ?? 20;
  let last: unknown = new Error('eventually: never ran');
  for (;;) {
    try {
      const v = await fn();
      if (v !== false) return v;
      last = new Error('eventually: condition stayed false');
    } catch (e) {
      last = e;
    }
    if (Date.now() >= deadline) throw last;
    await new Promise((r) => setTimeout(r, interval));
  }
}

/** Every `<…:Bsn>` value in an XML text. */
export function bsnsIn(xml: string): string[] {
  return [...xml.matchAll(/<(?:[\w.-]+:)?Bsn>\s*([^<\s]+)\s*<\//g)].map((m) => m[1]!);
}

/** Replaces the (first) header BerichtIdentificatie/Identificatie of an iWmo/iJw bericht. */
export function withIdentificatie(xml: string, identificatie: string): string {
  return replaceOnce(
    xml,
    /(<(?:[\w-]+:)?BerichtIdentificatie>\s*<(?:[\w-]+:)?Identificatie>)[^<]*(<)/,
    `$1${identificatie}$2`,
  );
}

/** Replaces the first match, failing loudly when the pattern does not occur (so a test never edits nothing). */
export function replaceOnce(xml: string, pattern: RegExp, replacement: string): string {
  if (!pattern.test(xml)) throw new Error(`pattern ${pattern} not found`);
  return xml.replace(pattern, replacement);
}
