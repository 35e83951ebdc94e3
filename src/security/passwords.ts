import { randomBytes, type ScryptOptions, timingSafeEqual } from 'node:crypto';
import { Worker } from 'node:worker_threads';

/** `scrypt:<salt>:<hash>`, both base64url: how a beheer user's password is kept in configuration. */
export const PASSWORD_HASH_PATTERN = /^scrypt:[A-Za-z0-9_-]{16,}:[A-Za-z0-9_-]{43,}$/;

const KEY_LENGTH = 64;
const SALT_BYTES = 16;
/** N = 2^15: about 30 ms and 32 MiB per hash. The cost is fixed by the format, so it is part of it. */
const PARAMS: ScryptOptions = { N: 32768, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

/**
 * One thread that derives keys, one request at a time. scrypt on the libuv thread pool (crypto.scrypt) would
 * compete with the WAL fsync every 202 waits for: a login flood would stall intake. Here a flood only queues
 * behind itself. Started on first use; it does not keep the process alive while idle.
 */
class ScryptThread {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, { resolve: (key: Buffer) => void; reject: (e: Error) => void }>();
  private seq = 0;

  derive(password: string, salt: Buffer): Promise<Buffer> {
    const worker = this.worker ?? this.start();
    const id = ++this.seq;
    return new Promise<Buffer>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({ id, password, salt, keyLength: KEY_LENGTH, params: PARAMS });
    });
  }

  private start(): Worker {
    const worker = new Worker(new URL('./scrypt-worker.mjs', import.meta.url));
    worker.on('message', (msg: { id: number; key?: Uint8Array; error?: string }) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (this.pending.size === 0) worker.unref();
      if (msg.key) p.resolve(Buffer.from(msg.key));
      else p.reject(new Error(`password hashing failed: ${msg.error}`));
    });
    const fail = (e: Error) => {
      if (this.worker === worker) this.worker = null;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the password hashing thread exited (${code})`)));
    worker.unref();
    this.worker = worker;
    return worker;
  }
}

const scryptThread = new ScryptThread();

function derive(password: string, salt: Buffer): Promise<Buffer> {
  return scryptThread.derive(password.normalize('NFC'), salt);
}

/** The stored form of a password; a fresh salt each time. */
export async function hashPassword(password: string): Promise<string> {
  if (password.length === 0) throw new Error('an empty password cannot be hashed');
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt);
  return `scrypt:${salt.toString('base64url')}:${key.toString('base64url')}`;
}

/** A hash that matches no password, compared against for unknown users so their answer takes as long. */
const DUMMY = `scrypt:${Buffer.alloc(SALT_BYTES).toString('base64url')}:${Buffer.alloc(KEY_LENGTH).toString('base64url')}`;

/**
 * Whether `password` matches `stored` (`null` for an unknown user: the work is done anyway and the answer is
 * false, so timing does not tell which names exist).
 */
export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  const [scheme, salt, hash] = (stored ?? DUMMY).split(':');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const key = await derive(password, Buffer.from(salt, 'base64url'));
  return stored !== null && expected.length === key.length && timingSafeEqual(expected, key);
}
