/**
 * `npm run chaos -- [--scenario embedded|scale-out|all] [--messages N] [--seconds S] [--drain-seconds D]`
 *
 * The reliability run. Per scenario it starts the gateway as real processes (`schakel serve`) — embedded: one
 * instance on SQLite; scale-out: two instances on this machine's PostgreSQL (a fresh schema) and RabbitMQ (a
 * fresh queue prefix) — and a receiving server that counts every delivery it answers 2xx by message id. It
 * posts N distinct variants of the official WMO301 example (a unique BerichtIdentificatie each), paced over S
 * seconds, while it
 *   - makes the destination answer 503 for a while,
 *   - stalls the database (SQLite: another connection holds BEGIN EXCLUSIVE; PostgreSQL: a session holds
 *     ACCESS EXCLUSIVE locks on messages and outbox),
 *   - kills a gateway instance with SIGKILL and starts it again on the same data,
 *   - (scale-out) stops and starts RabbitMQ (rabbitmqctl stop_app / start_app; always left running).
 * Posts that get no answer or a 5xx are posted again, as a client would. Then it waits (bounded) until every
 * accepted message was delivered and the store has nothing waiting, and prints one table: sent, accepted,
 * delivered, lost (accepted, never delivered), duplicates delivered, dead, time to drain. Exit status 1 when any
 * scenario lost a message, 2 when the run could not do what it says (a service or the example missing, a fault
 * that could not be applied).
 *
 * Restarting RabbitMQ disturbs whatever else uses the broker at that moment; the run takes the test suites'
 * broker lock first (tests/helpers/services.ts), so it waits for test files that hold it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { topology } from '../src/transport/rabbitmq-topology.ts';
import { startReceiver } from '../tests/helpers/http-receiver.ts';
import { removeTopology } from '../tests/helpers/rabbitmq.ts';
import {
  closeAgents,
  freePort,
  type Instance,
  instanceConfigYaml,
  OFFICIAL_WMO301,
  readOfficialWmo301,
  startInstance,
  wmo301Variant,
} from '../tests/helpers/scale-out.ts';
import { AMQP_URL, createSchema, PG_URL, probePostgres, probeRabbitMq, uniqueName } from '../tests/helpers/services.ts';
import { BeheerClient, beheerYaml } from './chaos/beheer.ts';
import { ensureRabbitMqRunning, restartRabbitMq, stallPostgres, stallSqlite } from './chaos/faults.ts';
import { type LoadStats, runLoad, sleep } from './chaos/load.ts';
import { DeliveryTally, exitCodeOf, formatTable, type ScenarioRow } from './chaos/tally.ts';

type Scenario = 'embedded' | 'scale-out';

const { values: args } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'all' },
    messages: { type: 'string', default: '3000' },
    seconds: { type: 'string', default: '45' },
    'drain-seconds': { type: 'string', default: '180' },
  },
});
const USAGE =
  'usage: npm run chaos -- [--scenario embedded|scale-out|all] [--messages N] [--seconds S] [--drain-seconds D]';
const scenarios: Scenario[] = args.scenario === 'all' ? ['embedded', 'scale-out'] : [args.scenario as Scenario];
const MESSAGES = Number(args.messages);
const LOAD_MS = Number(args.seconds) * 1000;
const DRAIN_MS = Number(args['drain-seconds']) * 1000;
if (
  !scenarios.every((s) => s === 'embedded' || s === 'scale-out') ||
  !(MESSAGES > 0) ||
  !(LOAD_MS > 0) ||
  !(DRAIN_MS > 0)
) {
  console.error(USAGE);
  process.exit(2);
}

/** Short retries so the run drains quickly; enough attempts to outlast every fault below. */
const RETRY = { maxAttempts: 60, baseDelayMs: 50, maxDelayMs: 1000, jitter: 0.2 };
const DELIVERY_LIMIT = 20; // the RabbitMQ transport's default x-delivery-limit
const LEASE_MS = 3000;
const OUTAGE_MS = 6000;
const STALL_MS = 4000;
const BROKER_DOWN_MS = 4000;
const CONCURRENCY = 32;
const RECEIVER_DELAY_MS = 100;

if (!existsSync(OFFICIAL_WMO301)) {
  console.error(`chaos needs the official WMO301 example at ${OFFICIAL_WMO301}; it is absent, nothing was run.`);
  process.exit(2);
}
if (scenarios.includes('scale-out')) {
  const down = (await Promise.all([probePostgres(), probeRabbitMq()])).filter((p) => !p.ok);
  if (down.length) {
    console.error(`chaos (scale-out): ${down.map((p) => (p.ok ? '' : p.reason)).join('; ')}`);
    process.exit(2);
  }
}

const official = readOfficialWmo301();
const runTag = Math.floor(Math.random() * 36 ** 4)
  .toString(36)
  .padStart(4, '0');
const children = new Set<Instance>();
let brokerTouched = false;

// Interrupted: no gateway process outlives the run, and RabbitMQ is running again.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const c of children) c.child.kill('SIGKILL');
    if (brokerTouched) {
      try {
        execFileSync('rabbitmqctl', ['start_app'], { stdio: 'ignore', timeout: 60_000 });
        execFileSync('rabbitmqctl', ['await_startup'], { stdio: 'ignore', timeout: 120_000 });
      } catch {
        console.error('chaos: could not confirm RabbitMQ is running; run `rabbitmqctl start_app`');
      }
    }
    process.exit(130);
  });
}

console.log(
  `chaos: ${scenarios.join(' + ')}; ${MESSAGES} messages per scenario paced over ${LOAD_MS / 1000} s, ${CONCURRENCY} in flight; ` +
    `retry ${RETRY.baseDelayMs}…${RETRY.maxDelayMs} ms × ${RETRY.maxAttempts}; machine: ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}`,
);

const rows: ScenarioRow[] = [];
const problems: string[] = [];
for (const scenario of scenarios) {
  try {
    rows.push(await runScenario(scenario));
  } catch (e) {
    problems.push(`${scenario}: ${(e as Error).stack ?? String(e)}`);
  }
}
console.log(`\n${formatTable(rows)}`);
console.log(
  'lost = accepted (202/200) but never answered 2xx by the receiver; dead = dead or failed in the store; time to drain from the end of the load and the last fault',
);
for (const p of problems) console.error(`chaos: ${p}`);
process.exitCode = exitCodeOf(rows) || (problems.length ? 2 : 0);

// ---------------------------------------------------------------------------------------------------------

interface Fault {
  /** When it starts, as a share of the load's duration. */
  at: number;
  name: string;
  run: () => Promise<void>;
}

async function runScenario(scenario: Scenario): Promise<ScenarioRow> {
  const log = (t0: number, text: string) =>
    console.log(`[${scenario} ${((performance.now() - t0) / 1000).toFixed(1).padStart(5)} s] ${text}`);
  const dir = mkdtempSync(join(tmpdir(), `schakel-chaos-${scenario}-`));
  const schema = uniqueName('schakel_chaos');
  const prefix = uniqueName('schakel-chaos');
  const tally = new DeliveryTally();
  let outage = false;
  let refused = 0;
  const receiver = await startReceiver((req) => {
    if (outage) {
      refused++;
      return { status: 503, body: 'chaos: destination unavailable' };
    }
    const id = req.headers['x-schakel-id'];
    if (typeof id === 'string') tally.recordDelivery(id);
    // A destination that takes a moment: deliveries are in flight when the faults strike.
    return { status: 200, delayMs: RECEIVER_DELAY_MS };
  });
  const names = scenario === 'embedded' ? ['a'] : ['a', 'b'];
  const instances = new Map<string, Instance | null>();
  let dropSchema: (() => Promise<void>) | undefined;
  try {
    if (scenario === 'scale-out') dropSchema = await createSchema(schema);
    const extraYaml = await beheerYaml();
    const ports = new Map<string, number>();
    for (const name of names) ports.set(name, await freePort());
    const start = async (name: string): Promise<Instance> => {
      const port = ports.get(name)!;
      const yaml = instanceConfigYaml({
        port,
        dataDir: join(dir, scenario === 'embedded' ? 'data' : `data-${name}`),
        receiverUrl: `${receiver.url}/berichten`,
        mode: scenario,
        pgUrl: PG_URL,
        schema,
        amqpUrl: AMQP_URL,
        queuePrefix: prefix,
        leaseMs: LEASE_MS,
        retry: RETRY,
        extraYaml,
      });
      const instance = await startInstance(name, yaml, join(dir, `${name}.yaml`), port);
      children.add(instance);
      void instance.exited.then(() => children.delete(instance));
      instances.set(name, instance);
      return instance;
    };
    await Promise.all(names.map(start));
    const live = () =>
      [...instances.values()]
        .filter((i): i is Instance => i !== null && i.child.exitCode === null && i.child.signalCode === null)
        .map((i) => i.url);

    const victim = names[names.length - 1]!;
    let killedBy: NodeJS.Signals | null = null;
    const faults: Fault[] = [
      {
        at: 0.1,
        name: `destination answers 503 for ${OUTAGE_MS / 1000} s`,
        run: async () => {
          outage = true;
          await sleep(OUTAGE_MS);
          outage = false;
        },
      },
      {
        at: 0.3,
        name:
          scenario === 'embedded'
            ? `database stalled ${STALL_MS / 1000} s (another connection holds BEGIN EXCLUSIVE)`
            : `database stalled ${STALL_MS / 1000} s (LOCK TABLE messages, outbox IN ACCESS EXCLUSIVE MODE)`,
        run: () =>
          scenario === 'embedded'
            ? stallSqlite(join(dir, 'data', 'schakel.sqlite'), STALL_MS)
            : stallPostgres(PG_URL, schema, STALL_MS),
      },
      {
        at: 0.5,
        name: `SIGKILL of instance ${victim}, started again after 1 s`,
        run: async () => {
          const instance = instances.get(victim)!;
          instances.set(victim, null);
          await instance.kill();
          killedBy = (await instance.exited).signal;
          await sleep(1000);
          await start(victim);
        },
      },
      ...(scenario === 'scale-out'
        ? [
            {
              at: 0.7,
              name: `RabbitMQ stop_app, ${BROKER_DOWN_MS / 1000} s down, start_app`,
              run: async () => {
                brokerTouched = true;
                if (!(await restartRabbitMq(BROKER_DOWN_MS)))
                  throw new Error('the broker lock stayed taken by a running test suite; RabbitMQ was not restarted');
              },
            },
          ]
        : []),
    ];

    const t0 = performance.now();
    const chaos = (async () => {
      for (const f of faults) {
        const wait = t0 + f.at * LOAD_MS - performance.now();
        if (wait > 0) await sleep(wait);
        log(t0, `${f.name} …`);
        await f.run();
        log(t0, `${f.name}: over`);
      }
      return performance.now();
    })();
    const body = (i: number) =>
      wmo301Variant(official, `${runTag}${scenario === 'embedded' ? 'E' : 'S'}${i.toString(36).padStart(5, '0')}`);
    const [stats, faultsEnded] = await Promise.all([
      runLoad(
        { count: MESSAGES, durationMs: LOAD_MS, concurrency: CONCURRENCY, urls: live, body, giveUpMs: 60_000 },
        tally,
      ),
      chaos,
    ]);
    const quietFrom = Math.max(stats.endedAt, faultsEnded);
    log(t0, `load done: ${describeLoad(stats)}; waiting for the drain (at most ${DRAIN_MS / 1000} s)`);

    // Drained: every accepted id delivered and nothing waiting (queued, delivering) in the store.
    const beheer = new BeheerClient(() => live()[0]!);
    const deadline = quietFrom + DRAIN_MS;
    let drainedAt: number | null = null;
    while (performance.now() < deadline) {
      if (tally.allDelivered()) {
        const totals = await beheer.totals().catch(() => null);
        if (totals && totals.queued + totals.delivering === 0) {
          drainedAt = performance.now();
          break;
        }
      }
      await sleep(250);
    }
    const totals = await beheer.totals();
    const row = tally.row(scenario, totals.dead + totals.failed, drainedAt === null ? null : drainedAt - quietFrom);
    log(
      t0,
      `store: ${Object.entries(totals)
        .filter(([, n]) => n > 0)
        .map(([s, n]) => `${s} ${n}`)
        .join(', ')}; receiver: ${row.delivered} delivered, ${row.duplicates} duplicates` +
        (tally.unreceipted().length ? `, ${tally.unreceipted().length} delivered without a receipt the load saw` : ''),
    );
    const lostBroker = [...instances.values()]
      .filter((i) => i?.output.some((l) => l.includes('lost the connection to RabbitMQ')))
      .map((i) => i!.name);
    log(
      t0,
      `faults seen: the receiver answered 503 × ${refused}; slowest answer to a post ${(stats.slowestMs / 1000).toFixed(1)} s; ` +
        `instance ${victim} ended by ${killedBy ?? 'nothing'}` +
        (scenario === 'scale-out' ? `; lost the connection to RabbitMQ: ${lostBroker.join(', ') || 'none'}` : ''),
    );
    if (row.lost > 0)
      log(
        t0,
        `LOST (accepted, never delivered): ${tally.missing().slice(0, 20).join(', ')}${row.lost > 20 ? ', …' : ''}`,
      );
    return row;
  } finally {
    for (const i of instances.values()) if (i) await i.stop();
    closeAgents();
    await receiver.close();
    if (scenario === 'scale-out') {
      await ensureRabbitMqRunning().catch((e: unknown) =>
        console.error(`chaos: RabbitMQ may not be running: ${String(e)}; run \`rabbitmqctl start_app\``),
      );
      await removeTopology(topology(prefix, RETRY, DELIVERY_LIMIT), ['receiver']).catch(() => undefined);
    }
    await dropSchema?.().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

function describeLoad(s: LoadStats): string {
  const list = (m: Map<number, number>) =>
    [...m].map(([status, n]) => `${status === 0 ? 'no answer' : status} × ${n}`).join(', ') || 'none';
  return `answers ${list(s.answers)}; posted again after ${list(s.retried)}${s.gaveUp ? `; gave up on ${s.gaveUp}` : ''}`;
}
