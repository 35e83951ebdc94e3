import { createHash, hash, randomBytes, timingSafeEqual } from 'node:crypto';

const PREFIX = 'sha256:';

/** The stored form of a key (see `hashApiKey`). */
export const API_KEY_HASH_PATTERN = /^sha256:[0-9a-f]{64}$/;

/** The form an API key is stored in configuration: `sha256:<hex>`. The plaintext key is never stored. */
export function hashApiKey(key: string): string {
  return PREFIX + createHash('sha256').update(key, 'utf8').digest('hex');
}

/** A new random API key (256 bits, base64url) to hand to a caller once; store only its `hashApiKey`. */
export function generateApiKey(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Whether `key` matches one of the stored hashes. Every hash is compared, each in constant time, so the time
 * taken does not tell which entry (or how much of it) matched.
 */
export function verifyApiKey(key: string, hashes: readonly string[]): boolean {
  const digest = hash('sha256', key, 'buffer');
  let match = false;
  for (const h of hashes) {
    const stored = storedDigest(h);
    const comparable = stored.length === digest.length ? stored : Buffer.alloc(digest.length);
    const equal = timingSafeEqual(comparable, digest) && stored.length === digest.length;
    match = equal || match;
  }
  return match;
}

/** Stored hashes decoded once: they come from the configuration, a few per key holder. */
const decoded = new Map<string, Buffer>();
const DECODED_MAX = 10_000;

/** The digest a stored `sha256:<hex>` holds; empty when it is not in that form (it then matches nothing). */
function storedDigest(h: string): Buffer {
  let d = decoded.get(h);
  if (d === undefined) {
    d = h.startsWith(PREFIX) ? Buffer.from(h.slice(PREFIX.length), 'hex') : Buffer.alloc(0);
    if (decoded.size >= DECODED_MAX) decoded.clear();
    decoded.set(h, d);
  }
  return d;
}
