/** `schakel migrate`: brings the configured store's schema to this version and says which. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { runMigrate } from '../../src/cli/migrate.ts';
import { PG_MIGRATIONS } from '../../src/store/postgres/migrations.ts';
import { MIGRATIONS } from '../../src/store/sqlite/migrations.ts';
import { PG_URL, probePostgres, servicesAvailable, uniqueName } from '../helpers/services.ts';
import { tempDirs } from '../helpers/temp.ts';

const pgAvailable = await servicesAvailable('schakel migrate (PostgreSQL)', probePostgres());
const temp = tempDirs();

function capture(): { stream: Writable; text: () => string } {
  let text = '';
  return {
    stream: new Writable({
      write(chunk: Buffer, _e, cb) {
        text += chunk.toString();
        cb();
      },
    }),
    text: () => text,
  };
}

async function migrate(config: string | null, args: string[] = []) {
  const dir = temp('schakel-migrate-');
  const file = join(dir, 'schakel.yaml');
  if (config !== null) writeFileSync(file, config.replace('DATADIR', JSON.stringify(join(dir, 'data'))));
  const out = capture();
  const err = capture();
  const code = await runMigrate(config === null ? args : ['--config', file, ...args], out.stream, err.stream);
  return { code, out: out.text(), err: err.text() };
}

describe('schakel migrate', () => {
  it('migrates the SQLite store of the embedded deployment', async () => {
    const r = await migrate('dataDir: DATADIR\n');
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toMatch(
      new RegExp(`SQLite store .*schakel\\.sqlite: schema version ${MIGRATIONS.at(-1)!.version}\\n$`),
    );
  });

  it('refuses a bad configuration or bad arguments', async () => {
    expect((await migrate('store: { kind: nosql }\n')).code).toBe(2);
    expect((await migrate(null, ['--config'])).code).toBe(2);
    expect((await migrate('dataDir: DATADIR\n', ['extra'])).code).toBe(2);
  });

  it.skipIf(!pgAvailable)('migrates a PostgreSQL schema once, and says so again when it is current', async () => {
    const schema = uniqueName('schakel_migrate_cli');
    const config = `store: { kind: postgres, url: "${PG_URL}", schema: ${schema} }\n`;
    try {
      const first = await migrate(config);
      expect(first).toMatchObject({ code: 0, err: '' });
      expect(first.out).toBe(`PostgreSQL store (schema ${schema}): schema version ${PG_MIGRATIONS.at(-1)!.version}\n`);
      expect((await migrate(config)).out).toBe(first.out);
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      const { rows } = await client.query(`SELECT COUNT(*)::int AS n FROM "${schema}".schema_migrations`);
      await client.end();
      expect(rows[0].n).toBe(PG_MIGRATIONS.length);
    } finally {
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    }
  });

  it('fails (exit 1) when the database cannot be reached', async () => {
    const r = await migrate('store: { kind: postgres, url: "postgres://nobody@127.0.0.1:1/none" }\n');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^schakel migrate: .*ECONNREFUSED/);
  });
});
