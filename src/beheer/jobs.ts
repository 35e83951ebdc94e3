/**
 * Bulk actions as background jobs: resend, hold, release or cancel a list of messages with bounded
 * concurrency, recording the store's honest answer per message. The job and its results live in the store
 * (`BeheerState`), so every instance lists a job and follows its progress. The instance that runs a job holds a
 * lease on it and writes progress in batches (every `flushMs`, or sooner after `flushEvery` results), which also
 * extends the lease. An instance that stops lets go of its jobs; one that dies lets their lease run out. Either
 * way another instance (or the same one after a restart) takes the job over and continues with the messages not
 * yet recorded; a message acted on but not yet recorded is acted on again, and the store answers that honestly
 * (the actions are idempotent per message state: a second resend of a queued message is `invalid-state`). Until
 * it is taken over, a job whose lease ran out shows as `interrupted`.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../log.ts';
import { redactBsn } from '../security/redact.ts';
import { ACTION_FROM as STORE_ACTION_FROM } from '../store/rules.ts';
import type {
  ActionResult,
  AuditLog,
  BeheerActions,
  BeheerState,
  MessageStatus,
  StoredJob,
  StoredJobResult,
} from '../store/types.ts';

export const JOB_ACTIONS = ['resend', 'hold', 'release', 'cancel'] as const;
export type JobAction = (typeof JOB_ACTIONS)[number];

/** The statuses each action may start from: the store's own rule (for the page's buttons). */
export const ACTION_FROM: Readonly<Record<JobAction, readonly MessageStatus[]>> = STORE_ACTION_FROM;

export interface JobResult {
  id: string;
  ok: boolean;
  /** The status after the action, or the status that refused it. */
  status?: MessageStatus;
  /** Why it was not done: not-found, invalid-state, in-flight, body-purged, no-destination, error. */
  reason?: string;
}

export interface Job {
  id: string;
  action: JobAction;
  actor: string;
  /** What was asked for: explicit ids, or a filter resolved to ids when the job was made. */
  selection: { kind: 'ids' } | { kind: 'filter'; filter: Record<string, unknown> };
  /** `interrupted`: its instance stopped or died and no instance has taken it over (yet). */
  state: 'running' | 'done' | 'interrupted';
  createdAt: Date;
  finishedAt: Date | null;
  total: number;
  done: number;
  ok: number;
  failed: number;
  /** One per message handled so far, in the order they were recorded. */
  results: JobResult[];
}

export interface JobRunnerOptions {
  store: BeheerActions & AuditLog & { readonly beheerState: BeheerState };
  logger: Logger;
  concurrency: () => number;
  /** After a resend or release succeeded: wake the transport. */
  onQueued?: () => void;
  /** Jobs listed (newest first). */
  keep?: number;
  /** This instance, as the owner of the jobs it runs. Default: a random id. */
  instance?: string;
  /** How long a job stays this instance's without a progress write. Default 30 s. */
  leaseMs?: number;
  /** Progress is written at least this often while there is some. Default 250 ms. */
  flushMs?: number;
  /** … and as soon as this many results wait. Default 200. */
  flushEvery?: number;
  /** How often to look for jobs whose instance is gone, to continue them; 0: never. Default 5 s. */
  adoptEveryMs?: number;
  /** Finished jobs and their results are deleted this long after they finished (checked hourly). Default 30 days. */
  keepFinishedMs?: number;
  now?: () => number;
}

export class JobRunner {
  private readonly running = new Set<Promise<void>>();
  private readonly instance: string;
  private readonly leaseMs: number;
  private readonly now: () => number;
  private readonly adopter: NodeJS.Timeout | null;
  private closing = false;
  private lastPurge = 0;

  constructor(private readonly o: JobRunnerOptions) {
    this.instance = o.instance ?? randomUUID();
    this.leaseMs = o.leaseMs ?? 30_000;
    this.now = o.now ?? Date.now;
    const every = o.adoptEveryMs ?? 5000;
    this.adopter = every > 0 ? setInterval(() => void this.adopt(), every) : null;
    this.adopter?.unref();
  }

  private get state(): BeheerState {
    return this.o.store.beheerState;
  }

  /**
   * Records a job over these ids (deduplicated) in the store and returns it; the work goes on in the background.
   */
  async start(input: {
    action: JobAction;
    actor: string;
    ids: readonly string[];
    selection: Job['selection'];
    reason?: string;
  }): Promise<Job> {
    if (this.closing) throw new Error('the gateway is stopping');
    const ids = [...new Set(input.ids)];
    const now = this.now();
    const job: StoredJob = {
      id: randomUUID(),
      action: input.action,
      actor: input.actor,
      selection: input.selection,
      reason: input.reason === undefined ? null : redactBsn(input.reason),
      ids,
      state: 'running',
      owner: this.instance,
      leaseUntil: now + this.leaseMs,
      createdAt: now,
      finishedAt: null,
      total: ids.length,
      done: 0,
      ok: 0,
      failed: 0,
    };
    await this.state.createJob(job);
    this.launch(job, ids, 'beheer.job-started');
    return toJob(job, [], now);
  }

  async get(id: string): Promise<Job | undefined> {
    const found = await this.state.getJob(id);
    return found ? toJob(found.job, found.results, this.now()) : undefined;
  }

  /** Newest first, without their results. */
  async list(): Promise<Job[]> {
    const now = this.now();
    return (await this.state.listJobs(this.o.keep ?? 100)).map((j) => toJob(j, [], now));
  }

  /**
   * Stops starting actions and waits for the ones under way; their results are written and the jobs let go, so
   * another instance may continue them. Unhandled messages stay as they are.
   */
  async close(): Promise<void> {
    this.closing = true;
    if (this.adopter) clearInterval(this.adopter);
    await Promise.all(this.running);
  }

  /** Continues one job whose instance is gone, if there is one. */
  async adopt(): Promise<boolean> {
    if (this.closing) return false;
    const log = this.o.logger;
    try {
      const now = this.now();
      if (now - this.lastPurge >= 3_600_000) {
        this.lastPurge = now;
        await this.state.purgeJobs(now - (this.o.keepFinishedMs ?? 30 * 24 * 3_600_000));
      }
      const claimed = await this.state.claimStaleJob(this.instance, now, now + this.leaseMs);
      if (!claimed) return false;
      const handled = new Set(claimed.handled);
      this.launch(
        claimed.job,
        claimed.job.ids.filter((id) => !handled.has(id)),
        'beheer.job-resumed',
      );
      return true;
    } catch (err) {
      log.error({ err: String(err) }, 'looking for interrupted beheer jobs failed');
      return false;
    }
  }

  private launch(job: StoredJob, ids: string[], auditAction: string): void {
    const work = this.run(job, ids, auditAction).finally(() => this.running.delete(work));
    this.running.add(work);
  }

  private async run(job: StoredJob, ids: string[], auditAction: string): Promise<void> {
    const log = this.o.logger.child({ jobId: job.id, action: job.action, actor: job.actor });
    const audit = (action: string, details: Record<string, unknown>) =>
      this.o.store
        .audit({ actor: job.actor, action, details: { jobId: job.id, action: job.action, ...details } })
        .catch((err: unknown) => log.error({ err: String(err) }, `audit of ${action} failed`));
    log.info({ total: job.total, remaining: ids.length }, `${auditAction.replace('beheer.job-', 'beheer job ')}`);
    await audit(auditAction, { total: job.total, remaining: ids.length, selection: job.selection });
    const progress = new Progress(this.state, job, this.instance, this.leaseMs, this.now, this.o, log);
    let next = 0;
    const worker = async () => {
      while (!this.closing && !progress.lost && next < ids.length) {
        const id = ids[next++]!;
        const result = await this.act(job.action as JobAction, id, job.actor, job.reason ?? undefined).catch(
          (err: unknown): ActionResult | 'error' => {
            log.error(
              { err: err instanceof Error ? { name: err.name, message: err.message } : String(err), messageId: id },
              'beheer action failed',
            );
            return 'error';
          },
        );
        const r: StoredJobResult =
          result === 'error'
            ? { messageId: id, ok: false, status: null, reason: 'error' }
            : result.ok
              ? { messageId: id, ok: true, status: result.status, reason: null }
              : { messageId: id, ok: false, status: result.status ?? null, reason: result.reason };
        progress.add(r);
        if (r.ok && r.status === 'queued') this.o.onQueued?.();
      }
    };
    const lanes = Math.max(1, Math.min(this.o.concurrency(), ids.length));
    await Promise.all(Array.from({ length: lanes }, worker));
    await progress.stop();
    if (progress.lost) return void log.warn('beheer job taken over by another instance');
    if (next < ids.length) {
      // Stopping: the rest is for whichever instance takes the job over.
      await this.state.releaseJob(job.id, this.instance).catch(() => undefined);
      return void log.info({ done: progress.done, left: ids.length - next }, 'beheer job let go (stopping)');
    }
    const counts = progress.counts();
    log.info(counts, 'beheer job finished');
    await audit('beheer.job-finished', { total: job.total, ...counts });
    // Done once its audit entry is written too (the store resolves a write once it is durable).
    await this.state
      .finishJob(job.id, this.instance, this.now())
      .catch((err: unknown) => log.error({ err: String(err) }, 'marking a beheer job done failed'));
  }

  private act(action: JobAction, id: string, actor: string, reason: string | undefined): Promise<ActionResult> {
    const s = this.o.store;
    switch (action) {
      case 'resend':
        return s.resend(id, actor);
      case 'hold':
        return s.hold(id, actor, reason);
      case 'release':
        return s.release(id, actor);
      case 'cancel':
        return s.cancel(id, actor, reason);
    }
  }
}

/** A running job's results on their way to the store: written in batches, one write at a time. */
class Progress {
  lost = false;
  done: number;
  private ok: number;
  private failed: number;
  private buffer: StoredJobResult[] = [];
  private writing: Promise<void> = Promise.resolve();
  private lastWrite: number;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly state: BeheerState,
    private readonly job: StoredJob,
    private readonly owner: string,
    private readonly leaseMs: number,
    private readonly now: () => number,
    private readonly o: Pick<JobRunnerOptions, 'flushMs' | 'flushEvery'>,
    private readonly log: Logger,
  ) {
    this.done = job.done;
    this.ok = job.ok;
    this.failed = job.failed;
    this.lastWrite = now();
    this.timer = setInterval(() => {
      if (this.buffer.length > 0 || this.now() - this.lastWrite >= this.leaseMs / 3) this.flush();
    }, o.flushMs ?? 250);
  }

  add(r: StoredJobResult): void {
    this.buffer.push(r);
    this.done++;
    if (r.ok) this.ok++;
    else this.failed++;
    if (this.buffer.length >= (this.o.flushEvery ?? 200)) this.flush();
  }

  counts(): { done: number; ok: number; failed: number } {
    return { done: this.done, ok: this.ok, failed: this.failed };
  }

  /** Writes what waits (after the write under way); also extends the lease. */
  flush(): Promise<void> {
    const batch = this.buffer.splice(0);
    this.writing = this.writing.then(async () => {
      if (this.lost) return;
      try {
        this.lastWrite = this.now();
        const held = await this.state.recordJobProgress(this.job.id, this.owner, batch, this.now() + this.leaseMs);
        if (!held) this.lost = true;
      } catch (err) {
        // Kept for the next write: the results are not lost because the store failed once.
        this.buffer.unshift(...batch);
        this.log.error({ err: String(err) }, 'writing beheer job progress failed');
      }
    });
    return this.writing;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
    // One more try for a batch a failed write put back.
    if (this.buffer.length > 0 && !this.lost) await this.flush();
  }
}

function toJob(j: StoredJob, results: readonly StoredJobResult[], now: number): Job {
  return {
    id: j.id,
    action: j.action as JobAction,
    actor: j.actor,
    selection: j.selection as Job['selection'],
    state: j.state === 'done' ? 'done' : j.leaseUntil < now ? 'interrupted' : 'running',
    createdAt: new Date(j.createdAt),
    finishedAt: j.finishedAt === null ? null : new Date(j.finishedAt),
    total: j.total,
    done: j.done,
    ok: j.ok,
    failed: j.failed,
    results: results.map((r) => ({
      id: r.messageId,
      ok: r.ok,
      ...(r.status ? { status: r.status as MessageStatus } : {}),
      ...(r.reason ? { reason: r.reason } : {}),
    })),
  };
}
