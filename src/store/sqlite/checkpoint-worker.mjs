// The WAL checkpointer of the embedded store (see wal-checkpointer.ts): its own connection to the database on a
// worker thread, so copying WAL pages into the database file and the fsyncs that go with it never run on the
// gateway's event loop. Plain JavaScript: it needs no TypeScript loader.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { file, intervalMs } = workerData;
const db = new Database(file);
// How long RESTART may wait for the writer's lock and then, holding it, for readers of the old log: the writer's
// transactions are synchronous and short, so this only runs out when another process holds a long read (a
// backup); the checkpoint then ends as a PASSIVE one did, and the writer waited no longer than this.
db.pragma('busy_timeout = 100');
let stopped = false;

function checkpoint() {
  if (stopped) return;
  try {
    // PASSIVE: copies what no reader still needs, never waits for the writer and never blocks it.
    let [r] = db.pragma('wal_checkpoint(PASSIVE)');
    // Under a steady load the writer commits while that runs, so the log is never all copied when the writer
    // begins its next transaction, and the WAL never restarts: it grew to ~256 MB, where the writer's own
    // automatic checkpoint ran on the event loop. RESTART copies what was committed meanwhile (little, just after
    // the PASSIVE) holding the writer's lock, so the writer waits that long, and the writer's next transaction
    // starts the log again at its beginning: the WAL stays the size of one interval's writes, and its file is
    // written over in place instead of grown (a grown file costs the kernel zeroing every new block).
    if (r.log > 0) [r] = db.pragma('wal_checkpoint(RESTART)');
    parentPort.postMessage({ kind: 'checkpoint', busy: r.busy, log: r.log, checkpointed: r.checkpointed });
  } catch (e) {
    parentPort.postMessage({ kind: 'error', message: e instanceof Error ? e.message : String(e) });
  }
}

const timer = setInterval(checkpoint, intervalMs);
parentPort.on('message', (m) => {
  if (m === 'checkpoint') checkpoint();
  if (m === 'stop') {
    stopped = true;
    clearInterval(timer);
    db.close();
    parentPort.postMessage({ kind: 'stopped' });
    parentPort.close();
  }
});
parentPort.postMessage({ kind: 'ready' });
