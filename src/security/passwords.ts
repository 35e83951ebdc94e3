import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** `scrypt:<salt>:<hash>`, both base64url: how a beheer user's password is kept in configuration. */
export const PASSWORD_HASH_PATTERN = /^scrypt:[A-Za-z0-9_-]{16,}:[A-Za-z0-9_-]{43,}$/;

const KEY_LENGTH = 64;
const SALT_BYTES = 16;
/** N = 2^15: about 30 ms and 32 MiB per hash. The cost is fixed by the format, so it is part of it. */
const PARAMS: ScryptOptions = { N: 32768, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

function derive(password: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, KEY_LENGTH, PARAMS, (err, key) => (err ? reject(err) : resolve(key))),
  );
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
