/**
 * Issue 15 part 4, must show: after a run the database holds no BSN and no bericht text in clear. The gateway
 * (embedded SQLite, then PostgreSQL) runs the demo's conversations against the demo parties: delivered berichten
 * answered with retours, a refusal by the receiver (failed), a dead one, berichten the gateway rejects (rule and
 * XSD findings, the retour in the answer) and the aanbieder's own berichten. Then the gateway stops and the test
 * reads the storage byte-wise: the SQLite files (db, -wal, -shm), and for PostgreSQL every column of every table
 * in the test's schema plus the tables' relation files in the cluster's data directory when readable.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';
import { DEMO_KEYS, postBericht, startDemoParties } from '../../src/examples/demo-parties.ts';
import { makeExample } from '../../src/examples/examples.ts';
import { TEST_BSNS } from '../../src/examples/stuf-jz.ts';
import { Gateway } from '../../src/gateway.ts';
import { bsnsIn } from '../../src/security/bsn-index.ts';
import type { MessageStatus } from '../../src/store/types.ts';
import { BerichtValidator } from '../../src/validation/validator.ts';
import { SchemaPacks } from '../../src/xml/packs.ts';
import { projectRoot } from '../helpers/reference.ts';
import { createSchema, PG_URL, probePostgres, servicesAvailable, uniqueName } from '../helpers/services.ts';

const DEMO_CONFIG = path.join(projectRoot, 'config/demo.yaml');
const SCENARIO: readonly { name: string; invalid?: string }[] = [
  { name: 'WMO301' },
  { name: 'JW301' },
  { name: 'JW319' },
  { name: 'WMO405' },
  { name: 'WMO301', invalid: 'TR135' },
  { name: 'WMO301', invalid: 'XSD_INVALID' },
  { name: 'JW301', invalid: 'CS002' },
];
/** Bericht text that must not be found in clear: element names and values only a body holds. */
const TEXTS = ['<Bsn>', 'Bsn>', ':Client>', 'ProductCode', 'Onverwacht', 'niet in het schema', 'Geboortedatum'];
const SETTLED: ReadonlySet<MessageStatus> = new Set(['delivered', 'failed', 'dead', 'cancelled', 'rejected']);

const validator = new BerichtValidator(SchemaPacks.load());
const pgAvailable = await servicesAvailable('encryption scan on PostgreSQL', probePostgres());

/** Runs the gateway over the scenario until every bericht and every answer settled, then stops it. */
async function runGateway(dataDir: string, storeYaml: string): Promise<{ bsns: Set<string>; stored: number }> {
  const bsns = new Set<string>(TEST_BSNS);
  const parties = await startDemoParties({ port: 0, validator, log: () => undefined, answerDelayMs: 50 });
  let gateway: Gateway | undefined;
  try {
    const text = `${readFileSync(DEMO_CONFIG, 'utf8').replaceAll('127.0.0.1:8081', `127.0.0.1:${parties.port}`)}\n${storeYaml}`;
    const config = parseConfig(text, DEMO_CONFIG, {
      env: { PORT: '0', SCHAKEL_DATA_DIR: dataDir, LOG_LEVEL: 'silent' },
    });
    gateway = new Gateway({ config });
    await gateway.start();
    const url = `http://127.0.0.1:${gateway.port}`;
    parties.gatewayUrl = url;
    for (const step of SCENARIO) {
      const xml = makeExample(step.name, { afzender: '0363', ...(step.invalid ? { invalid: step.invalid } : {}) });
      for (const b of bsnsIn(Buffer.from(xml))) bsns.add(b);
      const r = await postBericht(`${url}/berichten`, DEMO_KEYS.wijkteam, xml);
      expect([202, 422]).toContain(r.status);
    }
    const g = gateway;
    await expect
      .poll(
        async () => {
          await parties.settled();
          const page = await g.store.listMessages({ limit: 500 });
          return page.items.length > SCENARIO.length && page.items.every((m) => SETTLED.has(m.status));
        },
        { timeout: 60_000, interval: 250 },
      )
      .toBe(true);
    await parties.settled();
    const all = await g.store.listMessages({ limit: 500 });
    // What the scenario shows: rejected ones with findings, retours, a failed and a dead delivery.
    const statuses = new Set(all.items.map((m) => m.status));
    for (const s of ['delivered', 'failed', 'dead', 'rejected'] as const) expect(statuses).toContain(s);
    expect(all.items.some((m) => m.direction === 'retour')).toBe(true);
    expect(all.items.some((m) => m.findingCount > 0)).toBe(true);
    // The search still finds the client by BSN, through the index.
    expect((await g.store.listMessages({ bsn: TEST_BSNS[0] })).total).toBeGreaterThan(1);
    const one = all.items.find((m) => m.direction === 'heen' && m.status === 'delivered')!;
    expect((await g.store.getBody(one.id))!.toString()).toMatch(/Bsn>/);
    return { bsns, stored: all.total };
  } finally {
    await parties.close();
    await gateway?.stop();
  }
}

/** Every needle found in `bytes`, as "needle@where". */
function findIn(bytes: Buffer, where: string, bsns: Set<string>): string[] {
  return [...bsns, ...TEXTS].filter((n) => bytes.includes(Buffer.from(n, 'utf8'))).map((n) => `${n}@${where}`);
}

describe('no BSN and no bericht text in clear in the database files', () => {
  it('embedded SQLite: the db, -wal and -shm files', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'schakel-scan-'));
    try {
      const { bsns, stored } = await runGateway(dataDir, '');
      expect(stored).toBeGreaterThan(SCENARIO.length);
      const files = ['schakel.sqlite', 'schakel.sqlite-wal', 'schakel.sqlite-shm']
        .map((f) => path.join(dataDir, f))
        .filter((f) => existsSync(f));
      expect(files.length).toBeGreaterThan(0);
      const found = files.flatMap((f) => findIn(readFileSync(f), path.basename(f), bsns));
      // The scan can fail: the same run over plain text would find these (checked on the bodies themselves).
      expect(findIn(Buffer.from(makeExample('WMO301', { afzender: '0363' })), 'plain', bsns).length).toBeGreaterThan(2);
      expect(found).toEqual([]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);

  it.skipIf(!pgAvailable)(
    'PostgreSQL: every column of every table in the schema, and its relation files',
    async () => {
      const schema = uniqueName('schakel_scan');
      const dropSchema = await createSchema(schema);
      const dataDir = mkdtempSync(path.join(os.tmpdir(), 'schakel-scan-'));
      const client = new pg.Client({ connectionString: PG_URL });
      try {
        const storeYaml = `store:\n  kind: postgres\n  url: "${PG_URL}"\n  schema: ${schema}\n  poolSize: 4\n`;
        const { bsns } = await runGateway(dataDir, storeYaml);
        await client.connect();
        const { rows: tables } = await client.query<{ table_name: string }>(
          `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'`,
          [schema],
        );
        expect(tables.map((t) => t.table_name)).toEqual(expect.arrayContaining(['messages', 'bsn_index', 'audit_log']));
        const found: string[] = [];
        let values = 0;
        for (const { table_name } of tables) {
          const { rows } = await client.query(`SELECT * FROM "${schema}"."${table_name}"`);
          for (const row of rows) {
            for (const [column, v] of Object.entries(row as Record<string, unknown>)) {
              if (v === null || v === undefined) continue;
              values++;
              const bytes = Buffer.isBuffer(v) ? v : Buffer.from(typeof v === 'string' ? v : JSON.stringify(v), 'utf8');
              found.push(...findIn(bytes, `${table_name}.${column}`, bsns));
            }
          }
        }
        expect(values).toBeGreaterThan(100);
        expect(found).toEqual([]);

        // The relation files (tables, their TOAST tables and indexes), after a checkpoint, when this user can read them.
        await client.query('CHECKPOINT').catch(() => undefined);
        const [{ data_directory: pgData } = { data_directory: '' }] = (
          await client.query<{ data_directory: string }>('SHOW data_directory')
        ).rows;
        const { rows: files } = await client.query<{ path: string | null }>(
          `SELECT pg_relation_filepath(c.oid) AS path FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname IN ($1, 'pg_toast') AND (n.nspname = $1 OR c.oid IN (
           SELECT reltoastrelid FROM pg_class t JOIN pg_namespace tn ON tn.oid = t.relnamespace WHERE tn.nspname = $1
           UNION SELECT i.indexrelid FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
             WHERE t.reltoastrelid <> 0 AND i.indrelid IN (SELECT reltoastrelid FROM pg_class t2
               JOIN pg_namespace tn2 ON tn2.oid = t2.relnamespace WHERE tn2.nspname = $1)))`,
          [schema],
        );
        const readable = files
          .map((f) => (f.path ? path.join(pgData, f.path) : ''))
          .filter((f) => {
            try {
              readFileSync(f);
              return true;
            } catch {
              return false;
            }
          });
        if (readable.length === 0) {
          console.warn(`encryption scan: the relation files under ${pgData} are not readable here; columns only`);
        } else {
          const bytes = readable.flatMap((f) => findIn(readFileSync(f), path.basename(f), bsns));
          expect(bytes).toEqual([]);
        }
      } finally {
        await client.end().catch(() => undefined);
        rmSync(dataDir, { recursive: true, force: true });
        await dropSchema();
      }
    },
    180_000,
  );
});
