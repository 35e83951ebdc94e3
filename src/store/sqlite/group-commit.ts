import type Database from 'better-sqlite3';
import type { WalSync } from './wal-sync.ts';

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

interface Queued {
  fn: () => unknown;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

/**
 * Group commit: the one way the SQLite store writes. The writes queued within the window (or, while an fsync of
 * the WAL runs, until it ends) run in one IMMEDIATE transaction (should one fail, again each inside its own
 * savepoint, so it rolls back alone), and every promise settles only after the COMMIT and the fsync of the WAL that
 * holds it. better-sqlite3 commits on the event loop, so the commit only writes (synchronous=NORMAL) and `WalSync`
 * fsyncs on the libuv thread pool: a resolved write is as durable as with synchronous=FULL, 64 concurrent requests
 * cost one fsync instead of 64, and the event loop validates the next requests while the disk works.
 *
 * A write that arrives during an fsync could not be durable before the next fsync anyway, so it waits for the
 * running one to end and commits with everything else that arrived meanwhile: one commit per fsync under load,
 * where a commit every window wrote the pages all those commits share (index leaves, the outbox) once each.
 * Without a `WalSync` (`:memory:`, or a database that could not switch to WAL and runs synchronous=FULL) a write
 * settles right after its COMMIT.
 */
export class GroupCommit {
  private readonly queued: Queued[] = [];
  private flushScheduled = false;
  private committed = 0;
  /** Built once: better-sqlite3 makes a new wrapper (four, one per mode) on every `transaction()` call. */
  private readonly group: (batch: Queued[], outcomes: Outcome[]) => void;
  /** The batch without a savepoint per write: what runs first (see `flush`). */
  private readonly plain: (batch: Queued[], outcomes: Outcome[]) => void;
  /** Nested inside `group`, better-sqlite3 runs it as a savepoint. */
  private readonly savepoint: (fn: () => unknown) => unknown;

  constructor(
    db: Database.Database,
    private readonly walSync: Pick<WalSync, 'synced' | 'inFlight'> | null,
    /** Milliseconds to collect writes; 0 commits at the end of the current event-loop turn. */
    private readonly windowMs: number,
  ) {
    this.savepoint = db.transaction((fn: () => unknown) => fn());
    this.group = db.transaction((batch: Queued[], outcomes: Outcome[]) => {
      for (const item of batch) {
        try {
          outcomes.push({ ok: true, value: this.savepoint(item.fn) });
        } catch (error) {
          outcomes.push({ ok: false, error });
        }
      }
    }).immediate;
    this.plain = db.transaction((batch: Queued[], outcomes: Outcome[]) => {
      for (const item of batch) {
        try {
          outcomes.push({ ok: true, value: item.fn() });
        } catch (error) {
          throw new WriteFailed(error);
        }
      }
    }).immediate;
  }

  /** Runs `fn` (synchronous statements) in the next group transaction; resolves once that is durable. */
  run<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queued.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        const syncing = this.walSync?.inFlight;
        if (syncing) {
          // After the fsync's own settlements (their answers may queue more writes) have run.
          const after = () => setImmediate(() => this.flush());
          syncing.then(after, after);
        } else if (this.windowMs > 0) setTimeout(() => this.flush(), this.windowMs);
        else setImmediate(() => this.flush());
      }
    });
  }

  /** Commits what is queued now (also on close, so no write is left behind). */
  flush(): void {
    this.flushScheduled = false;
    const batch = this.queued.splice(0);
    if (batch.length === 0) return;
    const outcomes: Outcome[] = [];
    try {
      // Optimistic: the writes of a batch almost never fail, and a savepoint per write costs a sub-journal copy
      // of every page each write touches. Should one fail, the whole transaction rolls back and the batch runs
      // again with a savepoint per write, so only the failing one fails (a write is its statements: rerunning it
      // after the rollback computes it afresh).
      this.plain(batch, outcomes);
    } catch (error) {
      // The transaction could not begin or commit (the database locked past busy_timeout, the disk full): no
      // write is to blame, and running the batch again would only wait out busy_timeout a second time.
      if (!(error instanceof WriteFailed)) {
        for (const item of batch) item.reject(error);
        return;
      }
      outcomes.length = 0;
      try {
        this.group(batch, outcomes);
      } catch (error) {
        for (const item of batch) item.reject(error);
        return;
      }
    }
    this.committed++;
    const settle = () =>
      batch.forEach((item, i) => {
        const o = outcomes[i]!;
        if (o.ok) item.resolve(o.value);
        else item.reject(o.error);
      });
    if (!this.walSync) return settle();
    this.walSync.synced().then(settle, (error: unknown) => {
      for (const item of batch) item.reject(error);
    });
  }

  /** Transactions committed so far (for tests and diagnostics). */
  get commits(): number {
    return this.committed;
  }

  get pending(): number {
    return this.queued.length;
  }
}

/** A write of the batch threw (as opposed to BEGIN or COMMIT): the batch runs again with a savepoint per write. */
class WriteFailed {
  constructor(readonly cause: unknown) {}
}
