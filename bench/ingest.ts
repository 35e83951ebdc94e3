/**
 * `npm run bench:ingest -- --mode scale-out|embedded [--count N] [--seconds S] [--concurrency C] [--profile DIR]`
 *
 * Starts the gateway as real processes (`schakel serve`): embedded = one instance on SQLite with the in-process
 * transport; scale-out = two instances sharing a fresh PostgreSQL schema and RabbitMQ queue prefix. Posts the
 * official WMO301 example (a unique BerichtIdentificatie/Identificatie per request, half to each instance) with
 * `--concurrency` requests in flight for `--count` messages or `--seconds`, whichever ends first, while the
 * gateways deliver to a real HTTP receiver. Prints accepted msg/s and the p50/p99 time to the 2xx, the CPU each
 * component spent per message (from /proc, Linux), and, in the same run, the raw RabbitMQ publish-confirm rate:
 * a plain amqplib confirm-channel loop publishing the same body with the same window to a quorum queue.
 * `--profile DIR` runs the gateways with `node --cpu-prof` and writes their profiles there.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import amqp from 'amqplib';
import { topology } from '../src/transport/rabbitmq-topology.ts';
import { startReceiver } from '../tests/helpers/http-receiver.ts';
import { removeTopology } from '../tests/helpers/rabbitmq.ts';
import {
  closeAgents,
  freePort,
  type Instance,
  instanceConfigYaml,
  OFFICIAL_WMO301,
  type PostResult,
  postBericht,
  readOfficialWmo301,
  runBounded,
  startInstance,
  wmo301Variant,
} from '../tests/helpers/scale-out.ts';
import { AMQP_URL, createSchema, PG_URL, probePostgres, probeRabbitMq, uniqueName } from '../tests/helpers/services.ts';

const { values: args } = parseArgs({
  options: {
    mode: { type: 'string', default: 'scale-out' },
    count: { type: 'string', default: '6000' },
    seconds: { type: 'string', default: '40' },
    concurrency: { type: 'string', default: '64' },
    window: { type: 'string', default: '256' },
    warmup: { type: 'string', default: '300' },
    profile: { type: 'string' },
  },
});
const mode = args.mode as 'scale-out' | 'embedded';
if (mode !== 'scale-out' && mode !== 'embedded') {
  console.error('usage: npm run bench:ingest -- --mode scale-out|embedded [--count N] [--seconds S] [--concurrency C]');
  process.exit(2);
}
const COUNT = Number(args.count);
const SECONDS = Number(args.seconds);
const CONCURRENCY = Number(args.concurrency);
const WINDOW = Number(args.window);
const WARMUP = Number(args.warmup);
const GOAL = mode === 'scale-out' ? 2000 : 1000;

if (!existsSync(OFFICIAL_WMO301)) {
  console.error(
    `bench:ingest needs the official WMO301 example at ${OFFICIAL_WMO301}; it is absent, nothing measured.`,
  );
  process.exit(2);
}
const probes = await Promise.all(mode === 'scale-out' ? [probePostgres(), probeRabbitMq()] : [probeRabbitMq()]);
const down = probes.filter((p) => !p.ok);
if (down.length) {
  console.error(`bench:ingest: ${down.map((p) => (p.ok ? '' : p.reason)).join('; ')}`);
  process.exit(2);
}

const official = readOfficialWmo301();
const dir = mkdtempSync(join(tmpdir(), 'schakel-bench-'));
const schema = uniqueName('schakel_bench');
const prefix = uniqueName('schakel-bench');
const receiver = await startReceiver(() => ({ status: 200 }));
const instances: Instance[] = [];
let dropSchema: (() => Promise<void>) | undefined;

try {
  if (mode === 'scale-out') dropSchema = await createSchema(schema);
  const names = mode === 'scale-out' ? ['a', 'b'] : ['a'];
  for (const name of names) {
    const port = await freePort();
    const yaml = instanceConfigYaml({
      port,
      dataDir: join(dir, `data-${name}`),
      receiverUrl: `${receiver.url}/berichten`,
      mode,
      pgUrl: PG_URL,
      schema,
      amqpUrl: AMQP_URL,
      queuePrefix: prefix,
      logLevel: 'warn',
    }).replace('publishWindow: 256', `publishWindow: ${WINDOW}`);
    const nodeArgs = args.profile ? ['--cpu-prof', '--cpu-prof-dir', args.profile] : [];
    instances.push(await startInstance(name, yaml, join(dir, `${name}.yaml`), port, { nodeArgs }));
  }
  const post = (i: number, tag: string) =>
    postBericht(
      instances[i % instances.length]!.url,
      wmo301Variant(official, `${tag}${i.toString(36).padStart(8, '0')}`),
    );

  // Warm-up: schemas compiled, connections open, JIT warm.
  await runBounded(WARMUP, CONCURRENCY, (i) => post(i, 'W'));

  const cpuBefore = cpuByComponent();
  const deadline = Date.now() + SECONDS * 1000;
  const started = performance.now();
  const results = await runBounded(
    COUNT,
    CONCURRENCY,
    async (i): Promise<PostResult | null> => (Date.now() > deadline ? null : post(i, 'B')),
  );
  const elapsed = (performance.now() - started) / 1000;
  const cpuAfter = cpuByComponent();
  const done = results.filter((r): r is PostResult => r !== null);
  const accepted = done.filter((r) => r.status === 202);
  const latencies = accepted.map((r) => r.ms).sort((a, b) => a - b);
  const statuses = new Map<number, number>();
  for (const r of done) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
  const rate = accepted.length / elapsed;

  // Let the deliveries catch up (bounded), to report the end-to-end picture too.
  const wanted = WARMUP + accepted.length;
  const drainDeadline = Date.now() + 120_000;
  while (new Set(receiver.requests.map((r) => r.headers['x-schakel-id'])).size < wanted && Date.now() < drainDeadline) {
    await new Promise((r) => setTimeout(r, 200));
  }
  const deliveredAfter = (performance.now() - started) / 1000;
  const delivered = new Set(receiver.requests.map((r) => r.headers['x-schakel-id'])).size - WARMUP;

  const raw = await rawPublishConfirmRate(Buffer.from(official), Math.max(5000, accepted.length), WINDOW);

  const cpu = cpuDiff(cpuBefore, cpuAfter);
  const perMessage = (s: number) => `${((s * 1000) / Math.max(1, accepted.length)).toFixed(2)} ms`;
  const line = (label: string, value: string) => console.log(`  ${label.padEnd(34)} ${value}`);
  console.log(
    `\nbench:ingest mode=${mode} instances=${instances.length} concurrency=${CONCURRENCY} window=${WINDOW} ` +
      `body=${Buffer.byteLength(official)} B cores=${cpuCount()}`,
  );
  line('accepted (202)', `${accepted.length} in ${elapsed.toFixed(1)} s = ${rate.toFixed(0)} msg/s`);
  line('answers', [...statuses].map(([s, n]) => `${s === 0 ? 'network error' : s}: ${n}`).join(', '));
  line(
    'ack latency (POST → 202)',
    `p50 ${pct(latencies, 0.5)} ms, p99 ${pct(latencies, 0.99)} ms, max ${pct(latencies, 1)} ms`,
  );
  line(
    'delivered to the receiver',
    `${delivered} of ${accepted.length}, ${(delivered / deliveredAfter).toFixed(0)} msg/s end to end`,
  );
  if (cpu) {
    line(
      'CPU per accepted message',
      Object.entries(cpu)
        .map(([k, v]) => `${k} ${perMessage(v)}`)
        .join(', '),
    );
    const total = Object.values(cpu).reduce((a, b) => a + b, 0);
    line('CPU used / available', `${total.toFixed(1)} s of ${(elapsed * cpuCount()).toFixed(1)} s`);
  }
  line(
    'RabbitMQ raw publish-confirm',
    `${raw.toFixed(0)} msg/s (amqplib confirm channel, window ${WINDOW}, same body, quorum queue)`,
  );
  line('goal', `≥ ${GOAL} msg/s ${mode}: ${rate >= GOAL ? 'met' : `not met (${((100 * rate) / GOAL).toFixed(0)}%)`}`);
} finally {
  for (const i of instances) await i.stop();
  closeAgents();
  await receiver.close();
  await dropSchema?.();
  if (mode === 'scale-out') {
    await removeTopology(topology(prefix, { baseDelayMs: 100, maxDelayMs: 2000 }, 20), ['receiver']).catch(
      () => undefined,
    );
  }
  rmSync(dir, { recursive: true, force: true });
}

function pct(sorted: number[], p: number): string {
  if (sorted.length === 0) return '-';
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!.toFixed(1);
}

/** Publishes `count` copies of `body` to a fresh quorum queue over one confirm channel, `window` unconfirmed at most. */
async function rawPublishConfirmRate(body: Buffer, count: number, window: number): Promise<number> {
  const connection = await amqp.connect(AMQP_URL);
  const queue = uniqueName('schakel-bench-raw');
  try {
    const ch = await connection.createConfirmChannel();
    await ch.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    let inFlight = 0;
    let failed = 0;
    let wake: (() => void) | null = null;
    const started = performance.now();
    for (let i = 0; i < count; i++) {
      while (inFlight >= window) await new Promise<void>((r) => (wake = r));
      inFlight++;
      ch.sendToQueue(queue, body, { persistent: true }, (err: unknown) => {
        if (err) failed++;
        inFlight--;
        wake?.();
        wake = null;
      });
    }
    await ch.waitForConfirms();
    if (failed) throw new Error(`${failed} raw publishes were not confirmed`);
    const rate = count / ((performance.now() - started) / 1000);
    await ch.deleteQueue(queue);
    return rate;
  } finally {
    await connection.close();
  }
}

function cpuCount(): number {
  return (readFileSync('/proc/cpuinfo', 'utf8').match(/^processor/gm) ?? []).length || 1;
}

/** CPU seconds (user + system) per component, from /proc; null where /proc is not there. */
function cpuByComponent(): Record<string, number> | null {
  if (!existsSync('/proc/self/stat')) return null;
  const out: Record<string, number> = {};
  const gatewayPids = new Set(instances.map((i) => i.child.pid));
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const seconds = (Number(fields[11]) + Number(fields[12])) / 100;
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const group = gatewayPids.has(Number(pid))
        ? 'gateways'
        : cmd.startsWith('postgres')
          ? 'postgres'
          : cmd.includes('beam.smp')
            ? 'rabbitmq'
            : Number(pid) === process.pid
              ? 'bench (load + receiver)'
              : 'other processes';
      out[group] = (out[group] ?? 0) + seconds;
    } catch {
      // the process ended meanwhile
    }
  }
  return out;
}

function cpuDiff(a: Record<string, number> | null, b: Record<string, number> | null): Record<string, number> | null {
  if (!a || !b) return null;
  const order = ['gateways', 'postgres', 'rabbitmq', 'bench (load + receiver)', 'other processes'];
  return Object.fromEntries(order.filter((k) => k in b).map((k) => [k, Math.max(0, b[k]! - (a[k] ?? 0))]));
}
