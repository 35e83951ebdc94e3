/**
 * `npm run build`: plain tsc to JavaScript plus the assets, run with plain node and no tsx anywhere (a loader
 * hook refuses to resolve it), validation worker threads included, as the container runs it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../../src/security/api-keys.ts';
import { eventually } from '../helpers/gateway.ts';
import { projectRoot } from '../helpers/reference.ts';
import { runProcess } from '../helpers/run-process.ts';

// Inside the project (.scratch/ is git-ignored) so node_modules resolves as it does for dist/.
mkdirSync(join(projectRoot, '.scratch'), { recursive: true });
const out = mkdtempSync(join(projectRoot, '.scratch', 'dist-test-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(out, { recursive: true, force: true });
});

const run = runProcess;

/** A loader hook that makes any import of tsx fail: proves the compiled gateway does not need it. */
const noTsx = join(out, 'no-tsx.mjs');
const noTsxHooks = join(out, 'no-tsx-hooks.mjs');

describe('npm run build', { timeout: 600_000 }, () => {
  it('compiles to JavaScript that runs with plain node, workers included, without tsx', async () => {
    const tsc = await run(process.execPath, [
      join(projectRoot, 'node_modules/typescript/bin/tsc'),
      '-p',
      'tsconfig.build.json',
      '--outDir',
      out,
    ]);
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.code).toBe(0);
    const assets = await run(process.execPath, ['tools/build-dist.mjs', out]);
    expect(assets.code, assets.stderr).toBe(0);
    for (const f of [
      'src/cli/main.js',
      'src/validation/worker.js',
      'src/validation/worker-entry.mjs',
      'src/store/sqlite/checkpoint-worker.mjs',
      'src/security/scrypt-worker.mjs',
      'src/beheer/static/index.html',
      'config/default.yaml',
      'data/cbs-gemeenten-2026.json',
    ]) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    writeFileSync(
      noTsxHooks,
      "export async function resolve(s, c, next) { if (s === 'tsx' || s.startsWith('tsx/')) throw new Error('tsx is not allowed here'); return next(s, c); }\n",
    );
    writeFileSync(
      noTsx,
      `import { register } from 'node:module';\nregister(${JSON.stringify(new URL(`file://${noTsxHooks}`).href)});\n`,
    );
    const node = (args: string[], env: Record<string, string> = {}) =>
      run(process.execPath, ['--import', noTsx, join(out, 'src/cli/run.js'), ...args], { ...process.env, ...env });

    expect(await node(['--version'])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^schakel \d/) });
    const check = await node(['check-config']);
    expect(check.code, check.stderr).toBe(0);

    const s = net.createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as net.AddressInfo).port;
    await new Promise((r) => s.close(r));
    const config = join(out, 'gateway.yaml');
    writeFileSync(
      config,
      `server: { port: ${port} }\ndataDir: ${JSON.stringify(join(out, 'data-dir'))}\nvalidation: { workers: 1 }\ncallers:\n  - { id: sys, apiKeys: ["${hashApiKey('build-test-key')}"], afzenders: ["0384"], messages: ["*"] }\n`,
    );
    let logs = '';
    const child = spawn(process.execPath, ['--import', noTsx, join(out, 'src/cli/run.js'), 'serve', config], {
      cwd: projectRoot,
      env: { ...process.env, LOG_FORMAT: 'json' },
    });
    children.push(child);
    child.stdout.on('data', (c: Buffer) => (logs += c.toString()));
    child.stderr.on('data', (c: Buffer) => (logs += c.toString()));
    await eventually(() => logs.includes('routes to'), { timeoutMs: 90_000, intervalMs: 100 });
    // Judged by the validation worker thread (workers: 1, inlineMaxBytes 0): its entry loaded worker.js.
    const res = await fetch(`http://127.0.0.1:${port}/berichten`, {
      method: 'POST',
      headers: { 'content-type': 'application/xml', authorization: 'Bearer build-test-key' },
      body: '<a/>',
    });
    expect([400, 422]).toContain(res.status);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UNKNOWN_NAMESPACE');
    const health = await node(['healthcheck', '--ready', config]);
    expect(health.code, health.stderr).toBe(0);
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    expect(child.exitCode, logs).toBe(0);
    expect(logs).not.toMatch(/tsx is not allowed/);
  });
});
