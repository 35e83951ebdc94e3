/**
 * Beheer's shared state in the PostgreSQL store (the `BeheerState` role), so that any gateway instance serves any
 * beheer request: a login attempt is reserved in one statement under the row's lock (parallel guesses on several
 * instances cannot pass the limit), a token bucket is taken under its row lock, a bulk job's progress is appended
 * in batches by the instance holding its lease.
 */
import type pg from 'pg';
import {
  JOB_COLUMNS,
  type JobResultRow,
  type JobRow,
  type SessionRow,
  toJob,
  toJobResult,
  toSession,
} from '../beheer-rows.ts';
import type { BeheerState, BucketRate, StoredJob, StoredJobResult, StoredSession } from '../types.ts';

const RESERVE_LOGIN = `INSERT INTO beheer_login_attempts AS a (user_name, failed, running, since)
  VALUES ($1, 0, 1, $2::bigint)
  ON CONFLICT (user_name) DO UPDATE SET
    failed  = CASE WHEN $2::bigint - a.since > $4::bigint THEN 0 ELSE a.failed END,
    running = CASE WHEN $2::bigint - a.since > $4::bigint THEN 1 ELSE a.running + 1 END,
    since   = CASE WHEN $2::bigint - a.since > $4::bigint THEN $2::bigint ELSE a.since END
  WHERE $2::bigint - a.since > $4::bigint OR a.failed + a.running < $3::integer
  RETURNING running`;

const DRAIN_BUCKET = `INSERT INTO beheer_buckets AS b (key, tokens, at)
  VALUES ($1, GREATEST(0, $2::float8 - 1), $3::bigint)
  ON CONFLICT (key) DO UPDATE SET
    tokens = GREATEST(0, LEAST($2::float8, b.tokens + GREATEST(0, $3::bigint - b.at) * $4::float8) - 1),
    at = $3::bigint
  RETURNING tokens`;

export class PostgresBeheerState implements BeheerState {
  constructor(
    private readonly pool: pg.Pool,
    private readonly ready: Promise<unknown>,
  ) {}

  private async q<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<pg.QueryResult<R>> {
    await this.ready;
    return this.pool.query<R>(text, values);
  }

  private async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    await this.ready;
    const c = await this.pool.connect();
    let broken = false;
    try {
      await c.query('BEGIN');
      const result = await fn(c);
      await c.query('COMMIT');
      return result;
    } catch (e) {
      await c.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw e;
    } finally {
      c.release(broken);
    }
  }

  async createSession(s: StoredSession): Promise<void> {
    await this.q(
      `INSERT INTO beheer_sessions (id_hash, user_name, csrf_token, created_at, expires_at, auth)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [s.idHash, s.user, s.csrfToken, s.createdAt, s.expiresAt, s.auth == null ? null : JSON.stringify(s.auth)],
    );
  }

  async findSession(idHash: string, now: number): Promise<StoredSession | null> {
    const { rows } = await this.q<SessionRow>(
      'SELECT * FROM beheer_sessions WHERE id_hash = $1 AND expires_at > $2::bigint',
      [idHash, now],
    );
    return rows[0] ? toSession(rows[0]) : null;
  }

  async deleteSession(idHash: string): Promise<void> {
    await this.q('DELETE FROM beheer_sessions WHERE id_hash = $1', [idHash]);
  }

  async sweepSessions(now: number): Promise<number> {
    return (await this.q('DELETE FROM beheer_sessions WHERE expires_at <= $1::bigint', [now])).rowCount ?? 0;
  }

  async reserveLogin(user: string, now: number, max: number, windowMs: number): Promise<boolean> {
    return ((await this.q(RESERVE_LOGIN, [user, now, max, windowMs])).rowCount ?? 0) > 0;
  }

  async settleLogin(user: string, ok: boolean): Promise<void> {
    await this.q(
      `UPDATE beheer_login_attempts SET failed = ${ok ? '0' : 'failed + 1'}, running = GREATEST(running - 1, 0)
       WHERE user_name = $1`,
      [user],
    );
  }

  async takeToken(
    key: string,
    rate: BucketRate,
    now: number,
    force: boolean,
  ): Promise<{ taken: boolean; tokens: number }> {
    if (force) {
      // One statement (a failure is counted in the background; it should land soon).
      const { rows } = await this.q<{ tokens: number }>(DRAIN_BUCKET, [key, rate.capacity, now, rate.perMs]);
      return { taken: true, tokens: rows[0]!.tokens };
    }
    return this.tx(async (c) => {
      const tokens = await lockedTokens(c, key, rate, now);
      const taken = tokens >= 1 || force;
      const left = taken ? Math.max(0, tokens - 1) : tokens;
      await c.query('UPDATE beheer_buckets SET tokens = $2, at = $3::bigint WHERE key = $1', [key, left, now]);
      return { taken, tokens: left };
    });
  }

  refundToken(key: string, rate: BucketRate, now: number): Promise<void> {
    return this.tx(async (c) => {
      const tokens = Math.min(rate.capacity, (await lockedTokens(c, key, rate, now)) + 1);
      await c.query('UPDATE beheer_buckets SET tokens = $2, at = $3::bigint WHERE key = $1', [key, tokens, now]);
    });
  }

  async emptyBuckets(prefix: string, rate: BucketRate, now: number): Promise<{ key: string; tokens: number }[]> {
    // Full buckets hold no information: forgotten here.
    await this.q(
      `DELETE FROM beheer_buckets
       WHERE starts_with(key, $1) AND tokens + GREATEST(0, $2::bigint - at) * $3::float8 >= $4::float8`,
      [prefix, now, rate.perMs, rate.capacity],
    );
    const { rows } = await this.q<{ key: string; tokens: number }>(
      `SELECT key, LEAST($4::float8, tokens + GREATEST(0, $2::bigint - at) * $3::float8) AS tokens
       FROM beheer_buckets WHERE starts_with(key, $1) AND tokens + GREATEST(0, $2::bigint - at) * $3::float8 < 1`,
      [prefix, now, rate.perMs, rate.capacity],
    );
    return rows;
  }

  async createJob(j: StoredJob): Promise<void> {
    await this.q(
      `INSERT INTO beheer_jobs (${JOB_COLUMNS})
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::bigint, $10::bigint, $11::bigint, $12, $13, $14, $15)`,
      [
        j.id,
        j.action,
        j.actor,
        JSON.stringify(j.selection),
        j.reason,
        JSON.stringify(j.ids),
        j.state,
        j.owner,
        j.leaseUntil,
        j.createdAt,
        j.finishedAt,
        j.total,
        j.done,
        j.ok,
        j.failed,
      ],
    );
  }

  recordJobProgress(
    id: string,
    owner: string,
    results: readonly StoredJobResult[],
    leaseUntil: number,
  ): Promise<boolean> {
    return this.tx(async (c) => {
      const { rows } = await c.query<{ done: number }>(
        "SELECT done FROM beheer_jobs WHERE id = $1 AND owner = $2 AND state = 'running' FOR UPDATE",
        [id, owner],
      );
      const job = rows[0];
      if (!job) return false;
      if (results.length > 0) {
        await c.query(
          `INSERT INTO beheer_job_results (job_id, seq, message_id, ok, status, reason)
           SELECT $1, $2::integer + n, m, o, s, r
           FROM unnest($3::text[], $4::boolean[], $5::text[], $6::text[]) WITH ORDINALITY AS t(m, o, s, r, n)`,
          [
            id,
            job.done,
            results.map((r) => r.messageId),
            results.map((r) => r.ok),
            results.map((r) => r.status),
            results.map((r) => r.reason),
          ],
        );
      }
      const ok = results.filter((r) => r.ok).length;
      await c.query(
        'UPDATE beheer_jobs SET done = done + $2, ok = ok + $3, failed = failed + $4, lease_until = $5::bigint WHERE id = $1',
        [id, results.length, ok, results.length - ok, leaseUntil],
      );
      return true;
    });
  }

  async finishJob(id: string, owner: string, finishedAt: number): Promise<boolean> {
    const r = await this.q(
      `UPDATE beheer_jobs SET state = 'done', finished_at = $3::bigint
       WHERE id = $1 AND owner = $2 AND state = 'running'`,
      [id, owner, finishedAt],
    );
    return (r.rowCount ?? 0) > 0;
  }

  async releaseJob(id: string, owner: string): Promise<void> {
    await this.q("UPDATE beheer_jobs SET lease_until = 0 WHERE id = $1 AND owner = $2 AND state = 'running'", [
      id,
      owner,
    ]);
  }

  claimStaleJob(owner: string, now: number, leaseUntil: number): Promise<{ job: StoredJob; handled: string[] } | null> {
    return this.tx(async (c) => {
      const { rows } = await c.query<JobRow>(
        `UPDATE beheer_jobs SET owner = $1, lease_until = $3::bigint
         WHERE id = (SELECT id FROM beheer_jobs WHERE state = 'running' AND lease_until < $2::bigint
                     ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
         RETURNING ${JOB_COLUMNS}`,
        [owner, now, leaseUntil],
      );
      const row = rows[0];
      if (!row) return null;
      const handled = await c.query<{ message_id: string }>(
        'SELECT message_id FROM beheer_job_results WHERE job_id = $1 ORDER BY seq',
        [row.id],
      );
      return { job: toJob(row), handled: handled.rows.map((r) => r.message_id) };
    });
  }

  async getJob(id: string): Promise<{ job: StoredJob; results: StoredJobResult[] } | null> {
    const { rows } = await this.q<JobRow>(`SELECT ${JOB_COLUMNS} FROM beheer_jobs WHERE id = $1`, [id]);
    if (!rows[0]) return null;
    const results = await this.q<JobResultRow>(
      'SELECT message_id, ok, status, reason FROM beheer_job_results WHERE job_id = $1 ORDER BY seq',
      [id],
    );
    return { job: toJob(rows[0]), results: results.rows.map(toJobResult) };
  }

  async purgeJobs(before: number): Promise<number> {
    const r = await this.q("DELETE FROM beheer_jobs WHERE state = 'done' AND finished_at < $1::bigint", [before]);
    return r.rowCount ?? 0;
  }

  async listJobs(limit: number): Promise<StoredJob[]> {
    const { rows } = await this.q<JobRow>(
      `SELECT ${JOB_COLUMNS} FROM beheer_jobs ORDER BY created_at DESC, id DESC LIMIT $1`,
      [Math.max(1, limit)],
    );
    return rows.map(toJob);
  }
}

/** The bucket's tokens at `now`, its row locked for the transaction (created full when missing). */
async function lockedTokens(c: pg.PoolClient, key: string, rate: BucketRate, now: number): Promise<number> {
  await c.query('INSERT INTO beheer_buckets (key, tokens, at) VALUES ($1, $2, $3::bigint) ON CONFLICT DO NOTHING', [
    key,
    rate.capacity,
    now,
  ]);
  const { rows } = await c.query<{ tokens: number; at: number }>(
    'SELECT tokens, at FROM beheer_buckets WHERE key = $1 FOR UPDATE',
    [key],
  );
  const b = rows[0]!;
  return Math.min(rate.capacity, b.tokens + Math.max(0, now - b.at) * rate.perMs);
}
