/**
 * `node --import tsx bench/postgres-store.ts [--count N] [--concurrency C]`
 *
 * The PostgreSQL store's part of one scale-out message, without HTTP or broker: N official WMO301 inserted with C
 * at once (the ingest path, group-committed), then per round of 200: lease for publish + mark published (the
 * relay), claim (16 at once, the consumers) and complete (16 at once). Prints the CPU per message of this process
 * (the pg client) and of its own PostgreSQL backends (from /proc, by application_name), per step. Set `ROOT` to
 * another checkout to measure its store with the same script (A/B on the same machine).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import type { PostgresStore } from '../src/store/postgres.ts';
import type { Lease, NewMessage } from '../src/store/types.ts';
import type { OFFICIAL_WMO301 as OfficialPath } from '../tests/helpers/scale-out.ts';

const { values: args } = parseArgs({
  options: { count: { type: 'string', default: '2000' }, concurrency: { type: 'string', default: '64' } },
});
const N = Number(args.count);
const C = Number(args.concurrency);
const ROOT = resolve(process.env.ROOT ?? join(import.meta.dirname, '..'));
const { openPostgresStore } = (await import(join(ROOT, 'src/store/postgres.ts'))) as {
  openPostgresStore: (o: object) => PostgresStore;
};
const { wmo301 } = (await import(join(ROOT, 'tests/helpers/messages.ts'))) as {
  wmo301: (o: Partial<NewMessage>) => NewMessage;
};
const services = await import('../tests/helpers/services.ts');
const { OFFICIAL_WMO301 } = (await import('../tests/helpers/scale-out.ts')) as { OFFICIAL_WMO301: typeof OfficialPath };

const body = readFileSync(OFFICIAL_WMO301);
const schema = services.uniqueName('bench_store');
const dropSchema = await services.createSchema(schema);
const app = `bench-store-${process.pid}`;
const store = openPostgresStore({ url: services.PG_URL, schema, poolSize: 10, applicationName: app });
const admin = new pg.Client({ connectionString: services.PG_URL });

interface Cpu {
  node: number;
  pg: number;
}

async function bounded(n: number, c: number, f: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: c }, async () => {
      while (next < n) await f(next++);
    }),
  );
}

async function cpu(): Promise<Cpu> {
  const { rows } = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [
    app,
  ]);
  let seconds = 0;
  for (const { pid } of rows) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      seconds += (Number(f[11]) + Number(f[12])) / 100;
    } catch {
      // the backend ended
    }
  }
  const u = process.cpuUsage();
  return { node: (u.user + u.system) / 1e6, pg: seconds };
}

const steps = new Map<string, Cpu>();
async function step<T>(name: string, f: () => Promise<T>): Promise<T> {
  const a = await cpu();
  const result = await f();
  const b = await cpu();
  const s = steps.get(name) ?? { node: 0, pg: 0 };
  steps.set(name, { node: s.node + b.node - a.node, pg: s.pg + b.pg - a.pg });
  return result;
}

try {
  await store.ready;
  await admin.connect();
  const message = (i: number, tag: string) => wmo301({ berichtIdentificatie: `${tag}${i}`, body });
  // Warm-up: every pool connection open, statements prepared.
  await bounded(200, C, (i) => store.insertMessage(message(i, 'W'), 'client'));
  await step('insert', () => bounded(N, C, (i) => store.insertMessage(message(i, 'B'), 'client')));
  let delivered = 0;
  for (;;) {
    const leases = await step('lease + mark published', async () => {
      const l = await store.leaseForPublish('relay', 200, 30_000);
      if (l.length) await store.markPublished(l);
      return l;
    });
    if (leases.length === 0) break;
    const claimed: Lease[] = [];
    await step('claim', () =>
      bounded(leases.length, 16, async (i) => {
        const c = await store.claimPublished(leases[i]!, 'consumer', 60_000);
        if (c.kind !== 'claimed') throw new Error(`claim: ${c.kind}`);
        claimed.push(c.lease);
      }),
    );
    await step('complete', () =>
      bounded(claimed.length, 16, async (i) => {
        const now = new Date();
        const attempt = { startedAt: now, finishedAt: now, outcome: 'delivered' as const, httpStatus: 200 };
        await store.completeDelivery(claimed[i]!, attempt, { kind: 'delivered' });
      }),
    );
    delivered += leases.length;
  }
  const ms = (s: number, n: number) => `${((s * 1000) / n).toFixed(3)} ms`;
  console.log(`bench:store root=${ROOT} messages=${N} concurrency=${C} delivered=${delivered}`);
  let total: Cpu = { node: 0, pg: 0 };
  for (const [name, c] of steps) {
    const n = name === 'insert' ? N : delivered;
    console.log(`  ${name.padEnd(24)} PostgreSQL ${ms(c.pg, n)}, Node ${ms(c.node, n)} per message`);
    total = { node: total.node + (c.node * N) / n, pg: total.pg + (c.pg * N) / n };
  }
  console.log(`  ${'total'.padEnd(24)} PostgreSQL ${ms(total.pg, N)}, Node ${ms(total.node, N)} per message`);
} finally {
  await admin.end().catch(() => undefined);
  await store.close();
  await dropSchema();
}
