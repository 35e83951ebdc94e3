/**
 * Bulk actions as background jobs: resend, hold, release or cancel a list of messages with bounded
 * concurrency, recording the store's honest answer per message. Job state lives in memory only: a restart
 * loses the progress view of running jobs, not the actions already done (those are in the store, its status
 * history and the audit log).
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../log.ts';
import { ACTION_FROM as STORE_ACTION_FROM } from '../store/rules.ts';
import type { ActionResult, AuditLog, BeheerActions, MessageStatus } from '../store/types.ts';

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
  state: 'running' | 'done';
  createdAt: Date;
  finishedAt: Date | null;
  total: number;
  done: number;
  ok: number;
  failed: number;
  /** One per message handled so far, in the order they finished. */
  results: JobResult[];
}

export interface JobRunnerOptions {
  store: BeheerActions & AuditLog;
  logger: Logger;
  concurrency: () => number;
  /** After a resend or release succeeded: wake the transport. */
  onQueued?: () => void;
  /** Finished jobs kept for viewing. */
  keep?: number;
}

export class JobRunner {
  private readonly jobs = new Map<string, Job>();
  private readonly running = new Set<Promise<void>>();
  private closing = false;

  constructor(private readonly o: JobRunnerOptions) {}

  /** Starts a job over these ids (deduplicated) and returns at once; the work goes on in the background. */
  start(input: {
    action: JobAction;
    actor: string;
    ids: readonly string[];
    selection: Job['selection'];
    reason?: string;
  }): Job {
    if (this.closing) throw new Error('the gateway is stopping');
    const ids = [...new Set(input.ids)];
    const job: Job = {
      id: randomUUID(),
      action: input.action,
      actor: input.actor,
      selection: input.selection,
      state: 'running',
      createdAt: new Date(),
      finishedAt: null,
      total: ids.length,
      done: 0,
      ok: 0,
      failed: 0,
      results: [],
    };
    this.jobs.set(job.id, job);
    this.forgetOld();
    const work = this.run(job, ids, input.reason).finally(() => this.running.delete(work));
    this.running.add(work);
    return job;
  }

  get(id: string): Job | undefined {
    return this.jobs.get(id);
  }

  /** Newest first. */
  list(): Job[] {
    return [...this.jobs.values()].reverse();
  }

  /** Stops starting actions and waits for the ones under way. Unhandled messages stay as they are. */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.running);
  }

  private async run(job: Job, ids: string[], reason: string | undefined): Promise<void> {
    const log = this.o.logger.child({ jobId: job.id, action: job.action, actor: job.actor });
    log.info({ total: job.total }, 'beheer job started');
    await this.o.store
      .audit({
        actor: job.actor,
        action: 'beheer.job-started',
        details: { jobId: job.id, action: job.action, total: job.total, selection: job.selection },
      })
      .catch((err: unknown) => log.error({ err: String(err) }, 'audit of a started job failed'));
    let next = 0;
    const worker = async () => {
      while (!this.closing && next < ids.length) {
        const id = ids[next++]!;
        const result = await this.act(job.action, id, job.actor, reason).catch(
          (err: unknown): ActionResult | 'error' => {
            log.error(
              { err: err instanceof Error ? { name: err.name, message: err.message } : String(err), messageId: id },
              'beheer action failed',
            );
            return 'error';
          },
        );
        const r: JobResult =
          result === 'error'
            ? { id, ok: false, reason: 'error' }
            : result.ok
              ? { id, ok: true, status: result.status }
              : { id, ok: false, reason: result.reason, ...(result.status ? { status: result.status } : {}) };
        job.results.push(r);
        job.done++;
        if (r.ok) job.ok++;
        else job.failed++;
        if (r.ok && r.status === 'queued') this.o.onQueued?.();
      }
    };
    const lanes = Math.max(1, Math.min(this.o.concurrency(), ids.length));
    await Promise.all(Array.from({ length: lanes }, worker));
    job.finishedAt = new Date();
    log.info({ done: job.done, ok: job.ok, failed: job.failed }, 'beheer job finished');
    await this.o.store
      .audit({
        actor: job.actor,
        action: 'beheer.job-finished',
        details: {
          jobId: job.id,
          action: job.action,
          total: job.total,
          done: job.done,
          ok: job.ok,
          failed: job.failed,
        },
      })
      .catch((err: unknown) => log.error({ err: String(err) }, 'audit of a finished job failed'));
    // Done once its audit entry is written too (the store resolves a write once it is on disk).
    job.state = 'done';
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

  private forgetOld(): void {
    const keep = this.o.keep ?? 100;
    for (const [id, job] of this.jobs) {
      if (this.jobs.size <= keep) break;
      if (job.state === 'done') this.jobs.delete(id);
    }
  }
}
