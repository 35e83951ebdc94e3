/** `schakel reencrypt`: key rotation on a real SQLite store, through the command table as an operator runs it. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { openStore } from '../../src/composition.ts';
import { loadConfig } from '../../src/config/load.ts';
import { BSN, wmo301 } from '../helpers/messages.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function run(argv: string[]) {
  let out = '';
  let err = '';
  const sink = (add: (s: string) => void) => new Writable({ write: (c: Buffer, _e, cb) => (add(c.toString()), cb()) });
  const input = new PassThrough();
  input.end('');
  const code = await main(argv, { out: sink((s) => (out += s)), err: sink((s) => (err += s)), in: input });
  return { code, out, err };
}

const K1 = Buffer.alloc(32, 0x11).toString('hex');
const K2 = Buffer.alloc(32, 0x22).toString('base64');

/** A data folder with a configuration naming these keys (k1 in a key file, k2 inline). */
function setup(): { dir: string; write(keys: ('k1' | 'k2')[], current: 'k1' | 'k2'): string } {
  const dir = mkdtempSync(join(tmpdir(), 'schakel-reencrypt-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'k1.key'), K1, { mode: 0o600 });
  return {
    dir,
    write(keys, current) {
      const lines = keys.map((k) =>
        k === 'k1' ? '      - { id: k1, file: k1.key }' : `      - { id: k2, key: "${K2}" }`,
      );
      const file = join(dir, 'schakel.yaml');
      writeFileSync(
        file,
        `dataDir: data\nstore:\n  kind: sqlite\n  encryption:\n    current: ${current}\n    keys:\n${lines.join('\n')}\n`,
      );
      return file;
    },
  };
}

async function insert(configFile: string, n: number): Promise<string> {
  const store = openStore(loadConfig({ path: configFile }));
  try {
    const r = await store.insertMessage(wmo301({ berichtIdentificatie: `R-${n}` }), 'test');
    return r.id;
  } finally {
    await store.close();
  }
}

function keysAtRest(dir: string): (string | null)[] {
  const db = new Database(join(dir, 'data', 'schakel.sqlite'), { readonly: true });
  try {
    return (db.prepare('SELECT body_key FROM messages ORDER BY id').all() as { body_key: string | null }[]).map(
      (r) => r.body_key,
    );
  } finally {
    db.close();
  }
}

describe('schakel reencrypt', () => {
  it('after a new key is made current, seals every row under it in batches; then the old key can go', async () => {
    const s = setup();
    const first = s.write(['k1'], 'k1');
    await insert(first, 1);
    await insert(first, 2);
    await insert(first, 3);
    expect(keysAtRest(s.dir)).toEqual(['k1', 'k1', 'k1']);

    // The old key removed too early: named, exit 1, nothing lost.
    const early = await run(['reencrypt', '--config', s.write(['k2'], 'k2')]);
    expect(early.code).toBe(1);
    expect(early.err).toContain('3 rows left: body key k1 not configured');

    const rotated = s.write(['k1', 'k2'], 'k2');
    await insert(rotated, 4);
    const r = await run(['reencrypt', '--batch', '2', '--config', rotated]);
    expect(r).toMatchObject({ code: 0, err: '' });
    // Two batches of messages (2 + 1), counts only.
    expect(r.out).toContain('messages: 2 sealed under k2');
    expect(r.out).toContain('messages: 3 sealed under k2');
    expect(r.out).toContain('done: 3 messages and 0 answers sealed under k2, 0 older messages indexed');
    expect(r.out).not.toContain(BSN);
    expect(keysAtRest(s.dir)).toEqual(['k2', 'k2', 'k2', 'k2']);

    // Only k2 now: everything reads, and a second run has nothing to do.
    const onlyNew = s.write(['k2'], 'k2');
    const store = openStore(loadConfig({ path: onlyNew }));
    try {
      const page = await store.listMessages({ bsn: BSN });
      expect(page.total).toBe(4);
      for (const m of page.items) expect((await store.getBody(m.id))!.toString()).toContain(BSN);
      const audit = await store.listAudit({ actor: 'cli:reencrypt' });
      expect(audit.map((a) => a.action)).toEqual(
        expect.arrayContaining(['store.reencrypt-started', 'store.reencrypt-finished']),
      );
    } finally {
      await store.close();
    }
    expect(await run(['reencrypt', '--config', onlyNew])).toMatchObject({ code: 0 });
  });

  it('refuses a batch size that is not a whole number from 1 (exit 2)', async () => {
    const s = setup();
    const file = s.write(['k1'], 'k1');
    expect((await run(['reencrypt', '--batch', '0', '--config', file])).code).toBe(2);
    expect((await run(['reencrypt', '--batch', 'ten', '--config', file])).err).toContain('--batch');
  });
});
