/**
 * `schakel` as an operator runs it: a real process. --version, --help that starts nothing, one-line errors for a
 * port in use or an unwritable data folder, the log lines (level names, ISO times, start-up facts, request
 * lines, probes at debug), pretty lines on request, and the healthcheck command against a running gateway.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/gateway.ts';
import { projectRoot } from '../helpers/reference.ts';
import { type ProcessResult, runProcess } from '../helpers/run-process.ts';

const bin = join(projectRoot, 'bin/schakel.mjs');
const dir = mkdtempSync(join(tmpdir(), 'schakel-cli-process-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function env(extra: Record<string, string>): NodeJS.ProcessEnv {
  const {
    LOG_LEVEL: _l,
    LOG_FORMAT: _f,
    SCHAKEL_CONFIG: _c,
    PORT: _p,
    SCHAKEL_HOST: _h,
    SCHAKEL_DATA_DIR: _d,
    ...rest
  } = process.env;
  return { ...rest, ...extra };
}

function schakel(args: string[], extra: Record<string, string> = {}): Promise<ProcessResult> {
  return runProcess(process.execPath, [bin, ...args], env(extra), 120_000);
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

function config(name: string, yaml: string): string {
  const file = join(dir, name);
  writeFileSync(file, yaml);
  return file;
}

const KEY = 'cli-process-test-key';

// Each spawn compiles the TypeScript source through tsx: slow on a busy machine, so the timeouts are generous.
describe('schakel as a process', { timeout: 300_000 }, () => {
  it('--version prints the version; serve --help starts nothing', async () => {
    expect(await schakel(['--version'])).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^schakel \d+\.\d+\.\d+\n$/),
    });
    const port = await freePort();
    const r = await schakel(['serve', '--help'], { PORT: String(port) });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^usage: schakel serve/);
    expect(r.stdout).not.toMatch(/"msg"|listening/);
    expect((await schakel(['validate', '--help'])).code).toBe(0);
  });

  it('a port in use is one clear line, no stack trace, exit 1', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const file = config(
        'busy.yaml',
        `server: { port: ${port} }\ndataDir: ${JSON.stringify(join(dir, 'busy-data'))}\n`,
      );
      const r = await schakel(['serve', file]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^schakel serve: port ${port} on 127\\.0\\.0\\.1 is already in use`, 'm'));
      expect(r.stderr).not.toMatch(/^\s+at /m);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  it('an unwritable data folder is one clear line, no stack trace, exit 1', async () => {
    writeFileSync(join(dir, 'not-a-folder'), '');
    const file = config(
      'ro.yaml',
      `server: { port: 0 }\ndataDir: ${JSON.stringify(join(dir, 'not-a-folder', 'data'))}\n`,
    );
    const r = await schakel(['serve', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^schakel serve: the data folder .*not-a-folder\/data cannot be made/m);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });

  it('logs level names, ISO times, the start-up facts and request lines; probes at debug; healthcheck answers', async () => {
    const { hashApiKey } = await import('../../src/security/api-keys.ts');
    const port = await freePort();
    const file = config(
      'run.yaml',
      [
        `server: { port: ${port} }`,
        `dataDir: ${JSON.stringify(join(dir, 'run-data'))}`,
        'validation: { workers: 0 }',
        `callers:\n  - { id: wijkteam, apiKeys: ["${hashApiKey(KEY)}"], afzenders: ["0384"], messages: ["*"] }`,
        'destinations:\n  - { id: zorg, adapter: webhook, url: "http://user:pw@127.0.0.1:9/berichten" }',
        'routes:\n  - { standard: iwmo, destination: zorg }',
        '',
      ].join('\n'),
    );
    const lines: string[] = [];
    const child = spawn(process.execPath, [bin, 'serve', file], { cwd: projectRoot, env: env({}) });
    children.push(child);
    let buffer = '';
    child.stdout.on('data', (c: Buffer) => {
      buffer += c.toString();
      const parts = buffer.split('\n');
      buffer = parts.pop()!;
      lines.push(...parts);
    });
    await eventually(() => lines.some((l) => l.includes('routes to')), { timeoutMs: 90_000, intervalMs: 100 });
    const base = `http://127.0.0.1:${port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/nope/123`)).status).toBe(404);
    const bad = await fetch(`${base}/berichten`, {
      method: 'POST',
      headers: { 'content-type': 'application/xml', 'x-api-key': KEY },
      body: '<a/>',
    });
    expect(bad.status).toBeGreaterThanOrEqual(400);
    const health = await schakel(['healthcheck', file]);
    expect(health).toMatchObject({ code: 0, stdout: `http://127.0.0.1:${port}/healthz: 200\n` });
    expect((await schakel(['healthcheck', '--ready', file])).code).toBe(0);
    await eventually(() => lines.some((l) => l.includes('"path":"/berichten"')), { timeoutMs: 10_000 });
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    expect(child.exitCode).toBe(0);

    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const r of records) {
      expect(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).toContain(r.level);
      expect(r.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    }
    const started = records.find((r) => /^schakel \S+ started$/.test(String(r.msg)))!;
    expect(started).toMatchObject({
      level: 'info',
      config: file,
      store: { kind: 'sqlite' },
      transport: { kind: 'embedded' },
    });
    const routes = records.find((r) => String(r.msg).includes('routes to'))!;
    expect(routes).toMatchObject({
      routes: 1,
      destinations: [{ id: 'zorg', adapter: 'webhook', url: 'http://127.0.0.1:9/berichten' }],
    });
    expect(lines.join('\n')).not.toContain('pw@');
    // Probes are at debug, below the default level.
    expect(records.some((r) => r.path === '/healthz')).toBe(false);
    expect(records.find((r) => r.path === '/nope/123')).toMatchObject({
      level: 'info',
      method: 'GET',
      status: 404,
      errorCode: 'NOT_FOUND',
    });
    const post = records.find((r) => r.path === '/berichten')!;
    expect(post).toMatchObject({
      level: 'info',
      method: 'POST',
      caller: 'wijkteam',
      route: '/berichten',
      errorCode: expect.any(String),
    });
    expect(typeof post.durationMs).toBe('number');
  });

  it('LOG_LEVEL=debug shows the probes; LOG_FORMAT=pretty writes readable lines; a bad LOG_LEVEL is refused', async () => {
    const port = await freePort();
    const file = config(
      'pretty.yaml',
      `server: { port: ${port} }\ndataDir: ${JSON.stringify(join(dir, 'pretty-data'))}\nvalidation: { workers: 0 }\n`,
    );
    expect(await schakel(['serve', file], { LOG_LEVEL: 'loud' })).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('LOG_LEVEL must be one of'),
    });
    let text = '';
    const child = spawn(process.execPath, [bin, 'serve', file], {
      cwd: projectRoot,
      env: env({ LOG_LEVEL: 'debug', LOG_FORMAT: 'pretty' }),
    });
    children.push(child);
    child.stdout.on('data', (c: Buffer) => (text += c.toString()));
    await eventually(() => text.includes('routes to'), { timeoutMs: 90_000, intervalMs: 100 });
    await fetch(`http://127.0.0.1:${port}/healthz`);
    await eventually(() => text.includes('"path":"/healthz"'), { timeoutMs: 10_000 });
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    expect(text).toMatch(/^\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}\] INFO \(schakel\): schakel \S+ started/m);
    expect(text).toMatch(/DEBUG \(schakel\): request \{.*"method":"GET","path":"\/healthz".*"status":200/);
    expect(text).not.toMatch(/^\{"level"/m);
  });
});
