// The WAL checkpointer of the embedded store (see wal-checkpointer.ts): its own connection to the database on a
// worker thread, so copying WAL pages into the database file and the fsyncs that go with it never run on the
// gateway's event loop. Plain JavaScript: it needs no TypeScript loader.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { file, intervalMs } = workerData;
const db = new Database(file);
db.pragma('busy_timeout = 1000');
let stopped = false;

function checkpoint() {
  if (stopped) return;
  try {
    // PASSIVE: copies what no reader still needs, never waits for the writer and never blocks it.
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
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
