/**
 * Beheer's shared state in the SQLite store (the `BeheerState` role): sessions survive a restart of the single
 * instance, and the same code path serves the embedded and the scale-out deployment. Writes run through the
 * store's group commit (durable when they resolve); reads run directly on the connection.
 */
import type Database from 'better-sqlite3';
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

type Write = <T>(fn: () => T) => Promise<T>;

export class SqliteBeheerState implements BeheerState {
  private readonly s;

  constructor(
    db: Database.Database,
    private readonly write: Write,
  ) {
    this.s = {
      insertSession: db.prepare(
        `INSERT INTO beheer_sessions (id_hash, user_name, csrf_token, created_at, expires_at, auth)
         VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      findSession: db.prepare<[string, number], SessionRow>(
        'SELECT * FROM beheer_sessions WHERE id_hash = ? AND expires_at > ?',
      ),
      deleteSession: db.prepare<[string]>('DELETE FROM beheer_sessions WHERE id_hash = ?'),
      sweepSessions: db.prepare<[number]>('DELETE FROM beheer_sessions WHERE expires_at <= ?'),
      reserveLogin: db.prepare<{ user: string; now: number; max: number; window: number }, { running: number }>(
        `INSERT INTO beheer_login_attempts (user_name, failed, running, since) VALUES (@user, 0, 1, @now)
         ON CONFLICT (user_name) DO UPDATE SET
           failed  = CASE WHEN @now - since > @window THEN 0 ELSE failed END,
           running = CASE WHEN @now - since > @window THEN 1 ELSE running + 1 END,
           since   = CASE WHEN @now - since > @window THEN @now ELSE since END
         WHERE @now - since > @window OR failed + running < @max
         RETURNING running`,
      ),
      settleFailed: db.prepare<[string]>(
        'UPDATE beheer_login_attempts SET failed = failed + 1, running = MAX(running - 1, 0) WHERE user_name = ?',
      ),
      settleOk: db.prepare<[string]>(
        'UPDATE beheer_login_attempts SET failed = 0, running = MAX(running - 1, 0) WHERE user_name = ?',
      ),
      bucket: db.prepare<[string], { tokens: number; at: number }>(
        'SELECT tokens, at FROM beheer_buckets WHERE key = ?',
      ),
      setBucket: db.prepare<[string, number, number]>(
        `INSERT INTO beheer_buckets (key, tokens, at) VALUES (?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET tokens = excluded.tokens, at = excluded.at`,
      ),
      buckets: db.prepare<[string], { key: string; tokens: number; at: number }>(
        "SELECT key, tokens, at FROM beheer_buckets WHERE key LIKE ? || '%'",
      ),
      deleteBucket: db.prepare<[string]>('DELETE FROM beheer_buckets WHERE key = ?'),
      insertJob: db.prepare(
        `INSERT INTO beheer_jobs (${JOB_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      ownedJob: db.prepare<[string, string], { done: number }>(
        "SELECT done FROM beheer_jobs WHERE id = ? AND owner = ? AND state = 'running'",
      ),
      insertResult: db.prepare(
        'INSERT INTO beheer_job_results (job_id, seq, message_id, ok, status, reason) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      progress: db.prepare(
        'UPDATE beheer_jobs SET done = done + ?, ok = ok + ?, failed = failed + ?, lease_until = ? WHERE id = ?',
      ),
      finishJob: db.prepare<[number, string, string]>(
        "UPDATE beheer_jobs SET state = 'done', finished_at = ? WHERE id = ? AND owner = ? AND state = 'running'",
      ),
      releaseJob: db.prepare<[string, string]>(
        "UPDATE beheer_jobs SET lease_until = 0 WHERE id = ? AND owner = ? AND state = 'running'",
      ),
      staleJob: db.prepare<[number], JobRow>(
        `SELECT ${JOB_COLUMNS} FROM beheer_jobs WHERE state = 'running' AND lease_until < ?
         ORDER BY created_at LIMIT 1`,
      ),
      takeJob: db.prepare<[string, number, string]>('UPDATE beheer_jobs SET owner = ?, lease_until = ? WHERE id = ?'),
      handled: db.prepare<[string], { message_id: string }>(
        'SELECT message_id FROM beheer_job_results WHERE job_id = ? ORDER BY seq',
      ),
      getJob: db.prepare<[string], JobRow>(`SELECT ${JOB_COLUMNS} FROM beheer_jobs WHERE id = ?`),
      results: db.prepare<[string], JobResultRow>(
        'SELECT message_id, ok, status, reason FROM beheer_job_results WHERE job_id = ? ORDER BY seq',
      ),
      purgeJobs: db.prepare<[number]>("DELETE FROM beheer_jobs WHERE state = 'done' AND finished_at < ?"),
      listJobs: db.prepare<[number], JobRow>(
        `SELECT ${JOB_COLUMNS} FROM beheer_jobs ORDER BY created_at DESC, rowid DESC LIMIT ?`,
      ),
    };
  }

  createSession(s: StoredSession): Promise<void> {
    return this.write(() => {
      this.s.insertSession.run(
        s.idHash,
        s.user,
        s.csrfToken,
        s.createdAt,
        s.expiresAt,
        s.auth == null ? null : JSON.stringify(s.auth),
      );
    });
  }

  async findSession(idHash: string, now: number): Promise<StoredSession | null> {
    const row = this.s.findSession.get(idHash, now);
    return row ? toSession(row) : null;
  }

  deleteSession(idHash: string): Promise<void> {
    return this.write(() => void this.s.deleteSession.run(idHash));
  }

  sweepSessions(now: number): Promise<number> {
    return this.write(() => this.s.sweepSessions.run(now).changes);
  }

  reserveLogin(user: string, now: number, max: number, windowMs: number): Promise<boolean> {
    return this.write(() => this.s.reserveLogin.get({ user, now, max, window: windowMs }) !== undefined);
  }

  settleLogin(user: string, ok: boolean): Promise<void> {
    return this.write(() => void (ok ? this.s.settleOk : this.s.settleFailed).run(user));
  }

  takeToken(key: string, rate: BucketRate, now: number, force: boolean): Promise<{ taken: boolean; tokens: number }> {
    return this.write(() => {
      const tokens = this.refilled(key, rate, now);
      const taken = tokens >= 1 || force;
      const left = taken ? Math.max(0, tokens - 1) : tokens;
      this.s.setBucket.run(key, left, now);
      return { taken, tokens: left };
    });
  }

  refundToken(key: string, rate: BucketRate, now: number): Promise<void> {
    return this.write(() => {
      this.s.setBucket.run(key, Math.min(rate.capacity, this.refilled(key, rate, now) + 1), now);
    });
  }

  async emptyBuckets(prefix: string, rate: BucketRate, now: number): Promise<{ key: string; tokens: number }[]> {
    const empty: { key: string; tokens: number }[] = [];
    const full: string[] = [];
    for (const b of this.s.buckets.all(prefix)) {
      const tokens = Math.min(rate.capacity, b.tokens + Math.max(0, now - b.at) * rate.perMs);
      if (tokens < 1) empty.push({ key: b.key, tokens });
      else if (tokens >= rate.capacity) full.push(b.key);
    }
    if (full.length > 0) await this.write(() => full.forEach((k) => this.s.deleteBucket.run(k)));
    return empty;
  }

  createJob(j: StoredJob): Promise<void> {
    return this.write(() => {
      this.s.insertJob.run(
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
      );
    });
  }

  recordJobProgress(
    id: string,
    owner: string,
    results: readonly StoredJobResult[],
    leaseUntil: number,
  ): Promise<boolean> {
    return this.write(() => {
      const job = this.s.ownedJob.get(id, owner);
      if (!job) return false;
      results.forEach((r, i) => {
        this.s.insertResult.run(id, job.done + i + 1, r.messageId, r.ok ? 1 : 0, r.status, r.reason);
      });
      const ok = results.filter((r) => r.ok).length;
      this.s.progress.run(results.length, ok, results.length - ok, leaseUntil, id);
      return true;
    });
  }

  finishJob(id: string, owner: string, finishedAt: number): Promise<boolean> {
    return this.write(() => this.s.finishJob.run(finishedAt, id, owner).changes > 0);
  }

  releaseJob(id: string, owner: string): Promise<void> {
    return this.write(() => void this.s.releaseJob.run(id, owner));
  }

  claimStaleJob(owner: string, now: number, leaseUntil: number): Promise<{ job: StoredJob; handled: string[] } | null> {
    // Looked for every few seconds: no write (and no fsync) unless there is a job to take.
    if (!this.s.staleJob.get(now)) return Promise.resolve(null);
    return this.write(() => {
      const row = this.s.staleJob.get(now);
      if (!row) return null;
      this.s.takeJob.run(owner, leaseUntil, row.id);
      return {
        job: toJob({ ...row, owner, lease_until: leaseUntil }),
        handled: this.s.handled.all(row.id).map((r) => r.message_id),
      };
    });
  }

  async getJob(id: string): Promise<{ job: StoredJob; results: StoredJobResult[] } | null> {
    const row = this.s.getJob.get(id);
    if (!row) return null;
    return { job: toJob(row), results: this.s.results.all(id).map(toJobResult) };
  }

  purgeJobs(before: number): Promise<number> {
    return this.write(() => this.s.purgeJobs.run(before).changes);
  }

  async listJobs(limit: number): Promise<StoredJob[]> {
    return this.s.listJobs.all(Math.max(1, limit)).map(toJob);
  }

  /** The bucket's tokens at `now` (a new bucket is full). */
  private refilled(key: string, rate: BucketRate, now: number): number {
    const b = this.s.bucket.get(key);
    if (!b) return rate.capacity;
    return Math.min(rate.capacity, b.tokens + Math.max(0, now - b.at) * rate.perMs);
  }
}
