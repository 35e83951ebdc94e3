import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultAdapterRegistry } from '../../adapters/registry.ts';
import { ConfigError, defaultConfigPath, loadConfig, parseConfig } from '../../src/config/load.ts';
import { findRoute } from '../../src/config/routes.ts';
import { verifyApiKey } from '../../src/security/api-keys.ts';
import { retentionAges } from '../../src/store/retention.ts';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'schakel-config-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

const MINIMAL = `
destinations:
  - { id: out, adapter: webhook, url: "http://127.0.0.1:9/x" }
routes:
  - { standard: iwmo, destination: out }
`;

describe('default.yaml', () => {
  const config = loadConfig({ env: {} });

  it('loads with the demo parties, caller and routes', () => {
    expect(config.parties.gemeenten.map((g) => g.code)).toEqual(['0363', '0384']);
    expect(config.parties.external.flatMap((p) => p.codes.agb)).toEqual(['42420001', '65656055']);
    expect(config.callers.map((c) => c.id)).toContain('demo-wijkteam');
    expect(config.server).toEqual({
      port: 8080,
      host: '127.0.0.1',
      bodyLimitBytes: 25 * 1024 * 1024,
      requestTimeoutMs: 30_000,
      rateLimit: { perSecond: 500, burst: 1000, failuresPerMinute: 60, failureBurst: 60 },
      bodiesInFlightBytes: 64 * 1024 * 1024,
      bodiesInFlightPerHolderBytes: 32 * 1024 * 1024,
      admissionWaitMs: 30_000,
      trustProxy: false,
    });
    expect(config.dataDir).toBe(resolve(defaultConfigPath(), '../../.schakel'));
  });

  it('documents demo API keys whose hashes are the ones configured', () => {
    const text = readFileSync(defaultConfigPath(), 'utf8');
    const wijkteamKey = /Demo API key[^:]*: (\S+)/.exec(text)![1]!;
    const caller = config.callers.find((c) => c.id === 'demo-wijkteam')!;
    expect(verifyApiKey(wijkteamKey, caller.apiKeys)).toBe(true);
    const aanbiederKey = /Demo API key: (\S+)/.exec(text)![1]!;
    expect(verifyApiKey(aanbiederKey, config.inbound[0]!.apiKeys)).toBe(true);
    expect(verifyApiKey(aanbiederKey, caller.apiKeys)).toBe(false);
  });

  it('routes heen to the demo receiver and retours back to the wijkteam', () => {
    const route = (key: Parameters<typeof findRoute>[1]) => findRoute(config.routes, key)?.destination;
    expect(
      route({ standard: 'iwmo', message: 'WMO301', direction: 'heen', afzender: '0363', ontvanger: '42420001' }),
    ).toBe('demo-receiver');
    expect(
      route({ standard: 'ijw', message: 'JW301', direction: 'heen', afzender: '0384', ontvanger: '65656055' }),
    ).toBe('demo-receiver');
    expect(
      route({ standard: 'iwmo', message: 'WMO302', direction: 'retour', afzender: '0363', ontvanger: '42420001' }),
    ).toBe('demo-wijkteam-inbox');
    expect(
      route({ standard: 'iwmo', message: 'WMO305', direction: 'heen', afzender: '42420001', ontvanger: '0363' }),
    ).toBe('demo-wijkteam-inbox');
  });

  it('only uses adapters that exist', () => {
    expect(defaultAdapterRegistry().unsupported(config.destinations)).toEqual([]);
  });

  it('keeps StUF-Jeugdzorg bodies 24 hours and everything else 30 days', () => {
    const ages = retentionAges(config.retention);
    expect(ages.body).toEqual({ default: 30 * 86_400_000, perStandard: { 'stuf-jz': 24 * 3_600_000 } });
    expect(ages.metadata).toEqual({ default: 730 * 86_400_000, perStandard: { 'stuf-jz': 183 * 86_400_000 } });
  });
});

describe('environment overrides', () => {
  it('PORT, SCHAKEL_HOST, SCHAKEL_DATA_DIR and SCHAKEL_CONFIG', () => {
    const dir = tempDir();
    const file = join(dir, 'gemeente.yaml');
    writeFileSync(file, `${MINIMAL}\nserver: { port: 7000 }\ndataDir: ./data\n`);
    const fromFile = loadConfig({ env: { SCHAKEL_CONFIG: file } });
    expect(fromFile.server.port).toBe(7000);
    expect(fromFile.dataDir).toBe(join(dir, 'data'));

    expect(fromFile.server.host).toBe('127.0.0.1');
    const overridden = loadConfig({
      env: { SCHAKEL_CONFIG: file, PORT: '9123', SCHAKEL_DATA_DIR: 'elders', SCHAKEL_HOST: '0.0.0.0' },
      cwd: '/srv',
    });
    expect(overridden.server.port).toBe(9123);
    expect(overridden.server.host).toBe('0.0.0.0');
    expect(overridden.dataDir).toBe('/srv/elders');
  });

  it('an explicit path wins over SCHAKEL_CONFIG', () => {
    const dir = tempDir();
    const file = join(dir, 'a.yaml');
    writeFileSync(file, `${MINIMAL}\nserver: { port: 7001 }\n`);
    expect(loadConfig({ path: file, env: { SCHAKEL_CONFIG: join(dir, 'missing.yaml') } }).server.port).toBe(7001);
  });

  it('rejects a PORT that is not a port', () => {
    const err = configError(() => loadConfig({ env: { PORT: 'eighty' } }));
    expect(err.issues).toEqual([{ path: 'env PORT', message: 'must be a port number 0-65535, got "eighty"' }]);
    expect(configError(() => loadConfig({ env: { PORT: '70000' } })).message).toMatch(/env PORT/);
  });
});

describe('invalid configuration', () => {
  it('fills defaults for what is left out', () => {
    const c = parseConfig(MINIMAL, '/etc/schakel.yaml');
    expect(c.retry).toEqual({ maxAttempts: 8, baseDelayMs: 30_000, maxDelayMs: 6 * 3_600_000, jitter: 0.2 });
    expect(c.retention).toEqual({ bodyDays: 30, metadataDays: 730, perStandard: {} });
    expect(c.server.bodyLimitBytes).toBe(25 * 1024 * 1024);
    expect(c.destinations[0]).toEqual({
      id: 'out',
      adapter: 'webhook',
      url: 'http://127.0.0.1:9/x',
      timeoutMs: 30_000,
      headers: {},
    });
    expect(c.dataDir).toBe('/etc/.schakel');
  });

  it('names the field, its line and the reason', () => {
    const text = `destinations:
  - { id: out, adapter: webhook, url: "http://127.0.0.1:9/x" }
routes:
  - { standard: iwmo, destination: out }
  - { standard: ijw, destination: nowhere }
`;
    const err = configError(() => parseConfig(text, 'test.yaml'));
    expect(err.issues).toEqual([{ path: 'routes[1].destination', line: 5, message: 'unknown destination "nowhere"' }]);
    expect(err.message).toContain('test.yaml');
    expect(err.message).toContain('routes[1].destination (line 5): unknown destination "nowhere"');
  });

  it('explains unquoted codes, plaintext keys, typos and bad URLs', () => {
    const text = `parties:
  gemeenten:
    - { code: 363, name: Demo }
callers:
  - id: wijkteam
    apiKeys: [hunter2]
    afzenders: ["0363"]
    messages: ["*"]
server:
  prot: 8080
destinations:
  - { id: out, adapter: webhook, url: "ftp://example.org" }
`;
    const issues = configError(() => parseConfig(text, 'x.yaml')).issues;
    const byPath = Object.fromEntries(issues.map((i) => [i.path, i]));
    expect(byPath['parties.gemeenten[0].code']!.message).toMatch(/quote codes/);
    expect(byPath['parties.gemeenten[0].code']!.line).toBe(3);
    expect(byPath['callers[0].apiKeys[0]']!.message).toMatch(/sha256:.*never a plaintext key/);
    expect(byPath.server!.message).toBe('unknown field(s) "prot"');
    expect(byPath['destinations[0].url']!.message).toBe('must be an http(s) URL');
  });

  it('checks references and duplicates', () => {
    const text = `parties:
  external:
    - { id: zorg, kind: aanbieder, codes: { agb: ["42420001"] } }
    - { id: zorg, kind: aanbieder }
inbound:
  - { party: onbekend, apiKeys: ["sha256:${'a'.repeat(64)}"], messages: [WMO302] }
retry: { baseDelayMs: 1000, maxDelayMs: 10 }
`;
    const issues = configError(() => parseConfig(text, 'x.yaml')).issues;
    expect(issues).toContainEqual({ path: 'parties.external[1]', line: 4, message: 'duplicate party id "zorg"' });
    expect(issues).toContainEqual({ path: 'inbound[0].party', line: 6, message: 'unknown party "onbekend"' });
    expect(issues).toContainEqual({
      path: 'retry.maxDelayMs',
      line: 7,
      message: 'maxDelayMs must not be smaller than baseDelayMs',
    });
  });

  it('reports YAML syntax errors with their line', () => {
    const err = configError(() => parseConfig('server:\n  port: 80\n bad indent: [\n', 'x.yaml'));
    expect(err.issues[0]!.path).toBe('(yaml)');
    expect(err.issues[0]!.line).toBeGreaterThanOrEqual(3);
  });

  it('reports a missing file', () => {
    const err = configError(() => loadConfig({ path: '/nonexistent/schakel.yaml', env: {} }));
    expect(err.issues[0]!.path).toBe('(file)');
    expect(err.message).toMatch(/ENOENT/);
  });
});
