/** The `schakel` command table, run in-process: strict options, --help/--version everywhere, the new commands. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { pathParts } from '../../src/cli/check-config.ts';
import { COMMANDS } from '../../src/cli/commands.ts';
import { main } from '../../src/cli/main.ts';
import { verifyApiKey } from '../../src/security/api-keys.ts';
import { verifyPassword } from '../../src/security/passwords.ts';
import { openSqliteStoreFromConfig } from '../../src/store/sqlite.ts';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'schakel-cli-'));
  dirs.push(d);
  return d;
}

async function run(argv: string[], stdin?: string) {
  let out = '';
  let err = '';
  const sink = (add: (s: string) => void) => new Writable({ write: (c: Buffer, _e, cb) => (add(c.toString()), cb()) });
  const input = new PassThrough();
  input.end(stdin ?? '');
  const code = await main(argv, { out: sink((s) => (out += s)), err: sink((s) => (err += s)), in: input });
  return { code, out, err };
}

describe('schakel (command table)', () => {
  it('--version and --help at the top and for every command, exit 0, nothing run', async () => {
    expect(await run(['--version'])).toMatchObject({ code: 0, out: `schakel ${pkg.version}\n` });
    const top = await run(['--help']);
    expect(top.code).toBe(0);
    for (const c of COMMANDS) {
      expect(top.out).toContain(c.name);
      const help = await run([c.name, '--help']);
      expect(help, c.name).toMatchObject({ code: 0, err: '' });
      expect(help.out).toMatch(new RegExp(`^usage: schakel ${c.name}`));
      expect(await run([c.name, '--version'])).toMatchObject({ code: 0, out: `schakel ${pkg.version}\n` });
    }
  });

  it('an unknown command, an unknown option or a stray argument is a usage error (exit 2)', async () => {
    expect((await run([])).code).toBe(2);
    expect(await run(['frobnicate'])).toMatchObject({
      code: 2,
      err: expect.stringContaining('unknown command "frobnicate"'),
    });
    expect(await run(['--verbose'])).toMatchObject({
      code: 2,
      err: expect.stringContaining('unknown option "--verbose"'),
    });
    for (const c of COMMANDS) {
      const r = await run([c.name, '--no-such-option']);
      expect(r.code, c.name).toBe(2);
      expect(r.err).toMatch(/--no-such-option/);
      expect(r.err).toMatch(new RegExp(`usage: schakel ${c.name}`));
    }
    expect(await run(['new-api-key', 'extra'])).toMatchObject({
      code: 2,
      err: expect.stringContaining('unexpected argument "extra"'),
    });
    expect(await run(['migrate', 'a.yaml', 'b.yaml'])).toMatchObject({
      code: 2,
      err: expect.stringContaining('unexpected argument "b.yaml"'),
    });
    expect((await run(['receive', '--port', 'eighty'])).code).toBe(2);
  });

  it('takes the configuration file as the argument or as --config, never both, and never falls back to the demo', async () => {
    const missing = join(tempDir(), 'my.yaml');
    for (const cmd of ['serve', 'migrate', 'check-config', 'healthcheck']) {
      const r = await run([cmd, missing]);
      expect(r.code, cmd).toBe(2);
      expect(r.err).toContain(missing);
      expect(r.err).not.toMatch(/default\.yaml/);
    }
    const both = await run(['check-config', 'a.yaml', '--config', 'b.yaml']);
    expect(both).toMatchObject({ code: 2, err: expect.stringContaining('either "a.yaml" or --config b.yaml') });
  });
});

describe('schakel check-config', () => {
  it('passes the demo configuration', async () => {
    const r = await run(['check-config']);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toMatch(/default\.yaml \(the demo configuration\): OK/);
    expect(r.out).toMatch(/\d+ routes/);
  });

  it('refuses a route to an unknown destination and names its line', async () => {
    const dir = tempDir();
    const file = join(dir, 'schakel.yaml');
    writeFileSync(
      file,
      [
        `dataDir: ${JSON.stringify(join(dir, 'data'))}`,
        'destinations:',
        '  - { id: zorg, adapter: webhook, url: "http://127.0.0.1:9/berichten" }',
        'routes:',
        '  - { standard: iwmo, message: WMO301, destination: zorg }',
        '  - { standard: iwmo, message: WMO305, destination: nergens }',
        '',
      ].join('\n'),
    );
    const r = await run(['check-config', file]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/routes\[1\]\.destination \(line 6\): unknown destination "nergens"/);
  });

  it('places problems found after loading on their line: a certificate profile whose files are missing', async () => {
    const dir = tempDir();
    const file = join(dir, 'schakel.yaml');
    writeFileSync(
      file,
      `dataDir: ${JSON.stringify(join(dir, 'data'))}\ntls:\n  profiles:\n    - id: pki\n      cert: nope.pem\n      key: nope.key\n`,
    );
    const r = await run(['check-config', '--config', file]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/tls\.profiles\[0\] \(line 4\): /);
  });

  it('refuses a data folder that cannot be made', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a-file'), '');
    const file = join(dir, 'schakel.yaml');
    writeFileSync(file, `dataDir: ${JSON.stringify(join(dir, 'a-file', 'data'))}\n`);
    const r = await run(['check-config', file]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/dataDir \(line 1\): the data folder .* is not a folder/);
  });

  it('splits dotted paths back into parts', () => {
    expect(pathParts('routes[12].destination')).toEqual(['routes', 12, 'destination']);
    expect(pathParts('tls.profiles[0]')).toEqual(['tls', 'profiles', 0]);
  });
});

describe('schakel new-api-key and hash-password', () => {
  it('prints a new key once with the hash the configuration takes', async () => {
    const a = await run(['new-api-key', '--json']);
    const b = await run(['new-api-key', '--json']);
    const { key, hash } = JSON.parse(a.out) as { key: string; hash: string };
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(verifyApiKey(key, [hash])).toBe(true);
    expect(JSON.parse(b.out).key).not.toBe(key);
    const text = await run(['new-api-key']);
    expect(text.out).toMatch(/^key: {2}\S{43}\nhash: sha256:[0-9a-f]{64}\n$/);
  });

  it('hashes the password read from stdin; none is a usage error', async () => {
    const r = await run(['hash-password'], 'correct horse\n');
    expect(r.code).toBe(0);
    expect(await verifyPassword('correct horse', r.out.trim())).toBe(true);
    expect(await run(['hash-password'], '')).toMatchObject({
      code: 2,
      err: expect.stringContaining('no password given'),
    });
  });
});

describe('schakel backup', () => {
  it('copies the SQLite store while it is open, consistently, and refuses to overwrite', async () => {
    const dir = tempDir();
    const file = join(dir, 'schakel.yaml');
    writeFileSync(file, `dataDir: ${JSON.stringify(join(dir, 'data'))}\n`);
    const store = openSqliteStoreFromConfig({
      dataDir: join(dir, 'data'),
      limits: { listPageMax: 500, answerExcerptChars: 500 },
    });
    try {
      store.db.exec(
        "INSERT INTO audit_log (at, actor, action, target_id, details) VALUES (1, 'test', 'backup-test', NULL, '{}')",
      );
      const to = join(dir, 'backups', 'copy.sqlite');
      const r = await run(['backup', '--to', to, file]);
      expect(r).toMatchObject({ code: 0, err: '' });
      const copy = new Database(to, { readonly: true });
      try {
        expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
        expect(copy.prepare("SELECT count(*) AS n FROM audit_log WHERE action = 'backup-test'").get()).toEqual({
          n: 1,
        });
      } finally {
        copy.close();
      }
      expect(await run(['backup', '--to', to, file])).toMatchObject({
        code: 1,
        err: expect.stringContaining('exists already'),
      });
    } finally {
      await store.close();
    }
    expect((await run(['backup', file])).code).toBe(2);
  });

  it('says to use pg_dump for a PostgreSQL store and exits non-zero', async () => {
    const dir = tempDir();
    const file = join(dir, 'schakel.yaml');
    writeFileSync(file, 'store: { kind: postgres, url: "postgres://u:secret@db.example/schakel" }\n');
    const r = await run(['backup', '--to', join(dir, 'x.sqlite'), file]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/pg_dump/);
    expect(r.err).not.toContain('secret');
  });
});
