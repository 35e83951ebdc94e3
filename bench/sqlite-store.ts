/**
 * `node --import tsx bench/sqlite-store.ts [--count N] [--concurrency C] [--interleave]`
 *
 * The SQLite store's part of one embedded message, without HTTP or validation: N official WMO301 inserted with C
 * at once (the ingest path, group-committed and fsynced), then rounds of `leaseDue` (C at a time, the embedded
 * transport's batch) and `completeDelivery` of every lease at once; with `--interleave`, each batch of C is leased
 * and completed right after its insert, as the gateway does under a steady load. Prints the CPU per message of this
 * process (all threads: the event loop, the fsyncs on the thread pool) per step. Set `ROOT` to another checkout to
 * measure its store with the same script (A/B on the same machine).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { SqliteStore } from '../src/store/sqlite/store.ts';
import type { NewMessage } from '../src/store/types.ts';
import { OFFICIAL_WMO301 } from '../tests/helpers/scale-out.ts';
import { writeCounters } from './proc.ts';

const { values: args } = parseArgs({
  options: {
    count: { type: 'string', default: '5000' },
    concurrency: { type: 'string', default: '64' },
    interleave: { type: 'boolean', default: false },
  },
});
const N = Number(args.count);
const C = Number(args.concurrency);
const ROOT = resolve(process.env.ROOT ?? join(import.meta.dirname, '..'));
const { openSqliteStore } = (await import(join(ROOT, 'src/store/sqlite.ts'))) as {
  openSqliteStore: (o: object) => SqliteStore;
};
const { wmo301 } = (await import(join(ROOT, 'tests/helpers/messages.ts'))) as {
  wmo301: (o: Partial<NewMessage>) => NewMessage;
};

const body = readFileSync(OFFICIAL_WMO301, 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'schakel-bench-store-'));
const store = openSqliteStore({ file: join(dir, 'schakel.sqlite'), checkpointIntervalMs: 1000 });

async function bounded(n: number, c: number, f: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: c }, async () => {
      while (next < n) await f(next++);
    }),
  );
}

const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const steps = new Map<string, number>();
async function step<T>(name: string, f: () => Promise<T>): Promise<T> {
  const a = cpu();
  const result = await f();
  steps.set(name, (steps.get(name) ?? 0) + cpu() - a);
  return result;
}

try {
  const message = (i: number, tag: string) =>
    wmo301({ berichtIdentificatie: `${tag}${i}`, body, destination: 'zorgaanbieder', gemeente: '0363' });
  const deliverAll = async () => {
    let delivered = 0;
    for (;;) {
      const leases = await step('lease', () => store.leaseDue('bench', C, 30_000));
      if (leases.length === 0) return delivered;
      await step('complete', () =>
        Promise.all(
          leases.map((l) => {
            const now = new Date();
            const attempt = { startedAt: now, finishedAt: now, outcome: 'delivered' as const, httpStatus: 200 };
            return store.completeDelivery(l, attempt, { kind: 'delivered' });
          }),
        ),
      );
      delivered += leases.length;
    }
  };
  // Warm-up: statements prepared, JIT warm.
  await bounded(500, C, (i) => store.insertMessage(message(i, 'W'), 'client'));
  await deliverAll();
  steps.clear();
  let delivered = 0;
  if (args.interleave) {
    // As the gateway runs under a steady load: each batch of C is leased and completed right after its insert.
    for (let from = 0; from < N; from += C) {
      const n = Math.min(C, N - from);
      await step('insert', () => bounded(n, n, (i) => store.insertMessage(message(from + i, 'B'), 'client')));
      delivered += await deliverAll();
    }
  } else {
    await step('insert', () => bounded(N, C, (i) => store.insertMessage(message(i, 'B'), 'client')));
    delivered = await deliverAll();
  }
  const ms = (s: number) => `${((s * 1000) / N).toFixed(3)} ms`;
  console.log(
    `bench:sqlite-store root=${ROOT} messages=${N} concurrency=${C}${args.interleave ? ' interleaved' : ''} delivered=${delivered}`,
  );
  let total = 0;
  for (const [name, s] of steps) {
    console.log(`  ${name.padEnd(10)} ${ms(s)} CPU per message`);
    total += s;
  }
  console.log(`  ${'total'.padEnd(10)} ${ms(total)} CPU per message`);
  const io = writeCounters('self');
  const perMessage = (n: number) => n / (N + 500);
  console.log(
    `  written    ${(perMessage(io.chars) / 1024).toFixed(1)} KiB in ${perMessage(io.calls).toFixed(1)} writes per message (all files)`,
  );
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
