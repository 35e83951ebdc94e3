import { promises as fs } from 'node:fs';

/**
 * Makes committed SQLite WAL frames durable without blocking the event loop: the database runs with
 * synchronous=NORMAL (a commit writes its frames but does not fsync), and `synced()` fsyncs the WAL file on the
 * libuv thread pool. fsync acts on the file, not on the descriptor, so it covers what SQLite's own descriptor
 * wrote. A commit that resolves after `synced()` is on disk, exactly as with synchronous=FULL.
 *
 * Syncs are coalesced: while one runs, every later caller waits for the next one (which starts when the running
 * one ends, since the running one may have begun before the caller's commit was written).
 */
export class WalSync {
  private handle: Promise<{ file: fs.FileHandle; ino: number }> | null = null;
  private running: Promise<void> | null = null;
  private next: Promise<void> | null = null;
  private closed = false;
  /** fsyncs done so far (for tests and metrics). */
  syncs = 0;

  constructor(private readonly path: string) {}

  /** Resolves when everything written to the WAL before this call is on stable storage. */
  synced(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('store closed'));
    if (!this.running) {
      this.running = this.sync().finally(() => {
        this.running = null;
      });
      return this.running;
    }
    this.next ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.next = null;
        return this.synced();
      });
    return this.next;
  }

  /** The fsync under way (settling when it ends), or null when none runs. */
  get inFlight(): Promise<void> | null {
    return this.running;
  }

  async close(): Promise<void> {
    await this.running?.catch(() => undefined);
    await this.next?.catch(() => undefined);
    this.closed = true;
    const h = await this.handle?.catch(() => null);
    this.handle = null;
    await h?.file.close().catch(() => undefined);
  }

  private async sync(): Promise<void> {
    const { file, ino } = await this.open();
    await file.sync();
    this.syncs++;
    // SQLite recreates the WAL only when the last connection closes; should another process have made it do so
    // meanwhile, sync the file that is there now as well.
    const now = await fs.stat(this.path).catch(() => null);
    if (now && now.ino !== ino) {
      this.handle = null;
      await file.close().catch(() => undefined);
      const fresh = await this.open();
      await fresh.file.sync();
    }
  }

  private open(): Promise<{ file: fs.FileHandle; ino: number }> {
    this.handle ??= (async () => {
      const file = await fs.open(this.path, 'r');
      return { file, ino: (await file.stat()).ino };
    })();
    this.handle.catch(() => {
      this.handle = null;
    });
    return this.handle;
  }
}
