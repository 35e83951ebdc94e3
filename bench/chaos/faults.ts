/**
 * The faults of the reliability run: a destination answering 503, a stalled database (SQLite: another
 * connection holding BEGIN EXCLUSIVE; PostgreSQL: a session holding ACCESS EXCLUSIVE locks on the hot tables),
 * and RabbitMQ stopped and started. RabbitMQ is always left running, also when a step fails.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import pg from 'pg';
import { brokerLock } from '../../tests/helpers/services.ts';
import { sleep } from './load.ts';

const run = promisify(execFile);

/** Holds the SQLite write lock from a second connection for `ms` (readers go on; every writer waits). */
export async function stallSqlite(file: string, ms: number): Promise<void> {
  const db = new Database(file, { timeout: 10_000 });
  try {
    db.exec('BEGIN EXCLUSIVE');
    await sleep(ms);
    db.exec('COMMIT');
  } finally {
    db.close();
  }
}

/** Holds ACCESS EXCLUSIVE locks on the messages and outbox tables of `schema` for `ms`: every statement on them waits. */
export async function stallPostgres(url: string, schema: string, ms: number): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query(`LOCK TABLE "${schema}".messages, "${schema}".outbox IN ACCESS EXCLUSIVE MODE`);
    await sleep(ms);
    await client.query('COMMIT');
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function rabbitmqctl(...args: string[]): Promise<void> {
  await run('rabbitmqctl', args, { timeout: 120_000 });
}

/**
 * `rabbitmqctl stop_app`, `downMs` without a broker, `start_app`, `await_startup`. Takes the test suites' broker
 * lock exclusively first (so no test file that holds it shared loses the broker under it), waiting at most
 * `lockWaitMs`; resolves false when it did not get it and did nothing.
 */
export async function restartRabbitMq(downMs: number, lockWaitMs = 60_000): Promise<boolean> {
  const pending = brokerLock('exclusive');
  const timedOut = Symbol('timeout');
  const got = await Promise.race([pending, sleep(lockWaitMs).then(() => timedOut)]);
  if (got === timedOut) {
    // Give the lock back the moment it is granted after all.
    void pending.then((release) => release()).catch(() => undefined);
    return false;
  }
  const release = got as () => Promise<void>;
  try {
    await rabbitmqctl('stop_app');
    await sleep(downMs);
  } finally {
    await ensureRabbitMqRunning();
    await release();
  }
  return true;
}

/** start_app + await_startup; harmless when the broker runs. */
export async function ensureRabbitMqRunning(): Promise<void> {
  await rabbitmqctl('start_app').catch(() => undefined);
  await rabbitmqctl('await_startup');
}
