/**
 * Sealed values for cookies: JSON encrypted and authenticated with AES-256-GCM under a key derived (HKDF) from
 * a secret every instance shares, with an expiry inside. Whatever a browser changes, shortens or replays after
 * expiry opens to nothing; no instance keeps any of it in memory, so any instance behind a load balancer can
 * open what another sealed.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface SealKey {
  key: Buffer;
  /** Bound into the ciphertext (GCM additional data): a value sealed for one purpose opens for no other. */
  purpose: string;
}

/** A 256-bit key for `purpose`, derived from `secret`. */
export function sealKey(secret: string, purpose: string): SealKey {
  const key = Buffer.from(hkdfSync('sha256', secret, 'schakel-sealed-v1', purpose, 32));
  return { key, purpose };
}

/** base64url(iv ‖ tag ‖ ciphertext) of `{v: value, exp}`. */
export function seal(k: SealKey, value: unknown, ttlMs: number, now: number): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', k.key, iv);
  cipher.setAAD(Buffer.from(k.purpose, 'utf8'));
  const plain = Buffer.from(JSON.stringify({ v: value, exp: now + ttlMs }), 'utf8');
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
}

export type Unsealed = { ok: true; value: unknown } | { ok: false; reason: 'tampered' | 'expired' };

/** Opens a sealed value: `tampered` when it does not authenticate (or is not ours), `expired` after its time. */
export function unseal(k: SealKey, sealed: string, now: number): Unsealed {
  const raw = Buffer.from(sealed, 'base64url');
  if (raw.length <= IV_BYTES + TAG_BYTES) return { ok: false, reason: 'tampered' };
  try {
    const decipher = createDecipheriv('aes-256-gcm', k.key, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(k.purpose, 'utf8'));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    const plain = Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
    const parsed = JSON.parse(plain.toString('utf8')) as { v: unknown; exp: number };
    if (typeof parsed.exp !== 'number' || parsed.exp <= now) return { ok: false, reason: 'expired' };
    return { ok: true, value: parsed.v };
  } catch {
    return { ok: false, reason: 'tampered' };
  }
}
