/**
 * The real PostgreSQL and RabbitMQ the integration suites run against. Locally a suite whose service is down
 * is skipped with the reason printed; in CI (`CI` set, as `.ci/run` runs with services it started) an
 * unreachable service fails the suite instead, so a green CI run always means the suites ran.
 */
import { randomBytes } from 'node:crypto';
import amqp from 'amqplib';
import pg from 'pg';
import { IN_CI } from './env.ts';

export const PG_URL = process.env.SCHAKEL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const AMQP_URL = process.env.SCHAKEL_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

export { IN_CI };

export type Probe = { ok: true } | { ok: false; reason: string };

export async function probePostgres(url = PG_URL): Promise<Probe> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return { ok: true };
  } catch (e) {
    return {
      ok: false,
      reason: `PostgreSQL at ${url.replace(/\/\/[^@]*@/, '//')} unreachable: ${(e as Error).message}`,
    };
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function probeRabbitMq(url = AMQP_URL): Promise<Probe> {
  try {
    const connection = await amqp.connect(url, { timeout: 3000 });
    await connection.close();
    return { ok: true };
  } catch (e) {
    return { ok: false, reason: `RabbitMQ at ${url.replace(/\/\/[^@]*@/, '//')} unreachable: ${(e as Error).message}` };
  }
}

/**
 * True when every probe succeeded. Otherwise: in CI throws (the test file fails); locally prints why the
 * suite is skipped and returns false (use with `describe.skipIf`).
 */
export async function servicesAvailable(suite: string, ...probes: Promise<Probe>[]): Promise<boolean> {
  const failed = (await Promise.all(probes)).filter((p): p is { ok: false; reason: string } => !p.ok);
  if (failed.length === 0) return true;
  const reasons = failed.map((f) => f.reason).join('; ');
  if (IN_CI) throw new Error(`${suite}: a service the suite needs is unreachable in CI: ${reasons}`);
  console.warn(`SKIPPED ${suite}: ${reasons} (set CI=true to make this a failure)`);
  return false;
}

/** A name no other test run uses: `<prefix>_<12 hex>`. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

/** Creates an empty schema; returns a function that drops it with everything in it. */
export async function createSchema(schema: string, url = PG_URL): Promise<() => Promise<void>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA "${schema}"`);
  } finally {
    await client.end();
  }
  return async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      await c.end();
    }
  };
}

const BROKER_LOCK = [0x5c4a, 0x0b0c] as const;

/**
 * Test files that need the broker up hold this lock shared; a test that stops the broker (rabbitmqctl
 * stop_app) takes it exclusively, so it never pulls RabbitMQ away from another file running in parallel.
 * Returns the release function.
 */
export async function brokerLock(mode: 'shared' | 'exclusive', url = PG_URL): Promise<() => Promise<void>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const fn = mode === 'shared' ? 'pg_advisory_lock_shared' : 'pg_advisory_lock';
  await client.query(`SELECT ${fn}($1, $2)`, [...BROKER_LOCK]);
  return async () => {
    await client.end().catch(() => undefined);
  };
}
