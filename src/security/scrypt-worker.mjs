// The password hasher's thread: scrypt runs here, synchronously, so it never occupies the libuv thread pool
// that the store's fsyncs and file reads use. Plain JavaScript: a worker starts without the TypeScript loader.
import { scryptSync } from 'node:crypto';
import { parentPort } from 'node:worker_threads';

parentPort.on('message', ({ id, password, salt, keyLength, params }) => {
  try {
    const key = scryptSync(password, Buffer.from(salt), keyLength, params);
    parentPort.postMessage({ id, key });
  } catch (e) {
    parentPort.postMessage({ id, error: e instanceof Error ? e.message : String(e) });
  }
});
