import { Worker } from 'node:worker_threads';

export interface CheckpointReport {
  /** WAL frames in the log, and how many of them are now in the database file. */
  log: number;
  checkpointed: number;
}

/**
 * Checkpoints the WAL of a SQLite database from a worker thread with its own connection, every `intervalMs`:
 * PASSIVE for the bulk, then RESTART for what was committed meanwhile (checkpoint-worker.mjs). The gateway's
 * connection turns its automatic checkpoint down to a far-off safety net, so the page copying and the database
 * fsync of a checkpoint stop blocking the event loop; the writer restarts the WAL from the beginning after each
 * checkpoint, also under a load that never pauses.
 */
export class WalCheckpointer {
  private readonly worker: Worker;
  private stopped: Promise<void> | null = null;
  /** The last report, for tests and diagnostics. */
  last: CheckpointReport | null = null;
  /** Listeners waiting for the next report. */
  private readonly waiting: ((r: CheckpointReport) => void)[] = [];

  constructor(file: string, intervalMs: number, onError: (message: string) => void) {
    this.worker = new Worker(new URL('./checkpoint-worker.mjs', import.meta.url), { workerData: { file, intervalMs } });
    this.worker.on('message', (m: { kind: string; log?: number; checkpointed?: number; message?: string }) => {
      if (m.kind === 'checkpoint') {
        this.last = { log: m.log ?? 0, checkpointed: m.checkpointed ?? 0 };
        for (const w of this.waiting.splice(0)) w(this.last);
      } else if (m.kind === 'error') {
        onError(m.message ?? 'unknown error');
      }
    });
    this.worker.on('error', (e) => onError(e.message));
    this.worker.unref();
  }

  /** Runs a checkpoint now and resolves with its report. */
  checkpointNow(): Promise<CheckpointReport> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.worker.postMessage('checkpoint');
    });
  }

  stop(): Promise<void> {
    this.stopped ??= new Promise<void>((resolve) => {
      this.worker.once('exit', () => resolve());
      // Held while it closes its connection, or a process that is shutting down would end before it did.
      this.worker.ref();
      this.worker.postMessage('stop');
    });
    return this.stopped;
  }
}
