/**
 * Encryption at rest of what a stored bericht holds (issue 15 part 4): its body, its findings' texts and the
 * answers kept with its delivery attempts. AES-256-GCM (node:crypto), a random 96-bit nonce per value, and
 * additional data binding the value to its message id and purpose: a body copied to another row, or a finding
 * text moved into the body column, does not decrypt.
 *
 * - A body is stored as nonce ‖ ciphertext ‖ tag with the key id in a column of its own (`body_key`).
 * - A text (finding, answer excerpt) is stored as `s1:<key id>:<base64 of nonce ‖ ciphertext ‖ tag>`.
 *
 * Keys are 32 bytes, identified by a short id; `current` encrypts, every configured key decrypts (rotation:
 * add a new key, make it current, run `schakel reencrypt`, then drop the old key).
 */
import { createCipheriv, createDecipheriv, randomBytes, randomFillSync } from 'node:crypto';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const TEXT_PREFIX = 's1:';

/** What a sealed value belongs to; part of the additional data. */
export type SealPurpose = 'body' | 'finding' | 'answer';

/** A key id: what `body_key` columns and sealed texts carry. */
export const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

/** A sealed value names a key this gateway does not have (`store.encryption.keys`). */
export class BodyKeyMissingError extends Error {
  override readonly name = 'BodyKeyMissingError';
  readonly code = 'BODY_KEY_MISSING';
  constructor(readonly keyId: string) {
    super(`body key ${keyId} not configured`);
  }
}

/** A sealed value that does not decrypt: altered, or moved to another message or purpose. */
export class BodyTamperedError extends Error {
  override readonly name = 'BodyTamperedError';
  readonly code = 'BODY_TAMPERED';
  constructor(
    readonly messageId: string,
    readonly purpose: SealPurpose,
  ) {
    super(`the stored ${purpose} of message ${messageId} does not decrypt (altered or moved)`);
  }
}

/**
 * A key as configuration gives it: 32 bytes as 64 hex digits or base64 (44 characters). Throws with the
 * specifics (never the value) for anything else.
 */
export function parseKey(text: string, what: string): Buffer {
  const value = text.trim();
  // Only hex digits: hex (a 32-byte key in base64 has 44 characters ending in "=", never only hex digits).
  if (/^[0-9a-fA-F]+$/.test(value)) {
    if (value.length === 2 * KEY_BYTES) return Buffer.from(value, 'hex');
    throw new Error(`${what}: a key must be 32 bytes (64 hex digits); this one has ${value.length} hex digits`);
  }
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(value) && value.length % 4 === 0) {
    const bytes = Buffer.from(value, 'base64');
    if (bytes.length === KEY_BYTES) return bytes;
    throw new Error(`${what}: a key must be 32 bytes; this base64 value is ${bytes.length} bytes`);
  }
  throw new Error(`${what}: a key must be 32 bytes written as 64 hex digits or as base64 (44 characters)`);
}

/** A new random key in the form `parseKey` reads. */
export function newKeyText(): string {
  return randomBytes(KEY_BYTES).toString('base64');
}

export interface BodyKey {
  id: string;
  key: Buffer;
}

/** The keys of one gateway: `current` seals, all of them open. */
export class BodyCipher {
  private readonly keys = new Map<string, Buffer>();

  constructor(
    keys: readonly BodyKey[],
    readonly current: string,
  ) {
    for (const k of keys) {
      if (!KEY_ID.test(k.id)) throw new Error(`body key id "${k.id}" must be 1-32 letters, digits, "_" or "-"`);
      if (k.key.length !== KEY_BYTES) throw new Error(`body key ${k.id} must be 32 bytes, not ${k.key.length}`);
      if (this.keys.has(k.id)) throw new Error(`body key id ${k.id} is given twice`);
      this.keys.set(k.id, Buffer.from(k.key));
    }
    if (!this.keys.has(current)) throw new Error(`the current body key ${current} is not among the keys`);
  }

  /** A cipher with one random key that lives only in this process (an in-memory store). */
  static ephemeral(): BodyCipher {
    return new BodyCipher([{ id: 'ephemeral', key: randomBytes(KEY_BYTES) }], 'ephemeral');
  }

  get keyIds(): string[] {
    return [...this.keys.keys()];
  }

  has(keyId: string): boolean {
    return this.keys.has(keyId);
  }

  /** Encrypts `plain` under the current key: nonce ‖ ciphertext ‖ tag. */
  seal(messageId: string, purpose: SealPurpose, plain: Buffer): { keyId: string; sealed: Buffer } {
    const nonce = freshNonce();
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.current)!, nonce);
    cipher.setAAD(aad(this.current, messageId, purpose));
    const body = cipher.update(plain);
    const tail = cipher.final(); // empty for GCM, which is a stream cipher mode
    const sealed = sealedBuffer(NONCE_BYTES + body.length + tail.length + TAG_BYTES);
    nonce.copy(sealed, 0);
    body.copy(sealed, NONCE_BYTES);
    tail.copy(sealed, NONCE_BYTES + body.length);
    cipher.getAuthTag().copy(sealed, NONCE_BYTES + body.length + tail.length);
    return { keyId: this.current, sealed };
  }

  /** Decrypts what `seal` made under `keyId` for this message and purpose; throws when it does not. */
  open(messageId: string, purpose: SealPurpose, keyId: string, sealed: Buffer): Buffer {
    const key = this.keys.get(keyId);
    if (!key) throw new BodyKeyMissingError(keyId);
    if (sealed.length < NONCE_BYTES + TAG_BYTES) throw new BodyTamperedError(messageId, purpose);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, NONCE_BYTES));
      decipher.setAAD(aad(keyId, messageId, purpose));
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
      const plain = decipher.update(sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES));
      const tail = decipher.final(); // checks the tag; empty for GCM, so the plain text needs no second copy
      return tail.length === 0 ? plain : Buffer.concat([plain, tail]);
    } catch {
      throw new BodyTamperedError(messageId, purpose);
    }
  }

  /** A text sealed under the current key, as one string (`s1:<key id>:<base64>`). */
  sealText(messageId: string, purpose: SealPurpose, text: string): string {
    const { keyId, sealed } = this.seal(messageId, purpose, Buffer.from(text, 'utf8'));
    return `${TEXT_PREFIX}${keyId}:${sealed.toString('base64')}`;
  }

  /** The text of a `sealText` value; a value that is not sealed (stored before encryption) as it is. */
  openText(messageId: string, purpose: SealPurpose, value: string): string {
    const parsed = parseSealedText(value);
    if (!parsed) return value;
    return this.open(messageId, purpose, parsed.keyId, parsed.sealed).toString('utf8');
  }

  /** Like `openText`, but a value under a missing key reads as "[body key <id> not configured]". */
  openTextOrNotice(messageId: string, purpose: SealPurpose, value: string): string {
    try {
      return this.openText(messageId, purpose, value);
    } catch (e) {
      if (e instanceof BodyKeyMissingError || e instanceof BodyTamperedError) return `[${e.message}]`;
      throw e;
    }
  }
}

/** The key id and bytes of a sealed text, or null when `value` is not one. */
export function parseSealedText(value: string): { keyId: string; sealed: Buffer } | null {
  if (!value.startsWith(TEXT_PREFIX)) return null;
  const colon = value.indexOf(':', TEXT_PREFIX.length);
  if (colon < 0) return null;
  const keyId = value.slice(TEXT_PREFIX.length, colon);
  if (!KEY_ID.test(keyId)) return null;
  return { keyId, sealed: Buffer.from(value.slice(colon + 1), 'base64') };
}

/**
 * A 96-bit GCM nonce from the CSPRNG, taken from a pool filled 4 KiB at a time (one call per 341 nonces instead of
 * one each): as random, and as unlikely to repeat, as `randomBytes(12)`.
 */
function freshNonce(): Buffer {
  if (nonceOffset + NONCE_BYTES > noncePool.length) {
    randomFillSync(noncePool);
    nonceOffset = 0;
  }
  const nonce = noncePool.subarray(nonceOffset, nonceOffset + NONCE_BYTES);
  nonceOffset += NONCE_BYTES;
  return nonce;
}
const noncePool = Buffer.alloc(4092);
let nonceOffset = noncePool.length;

/**
 * Room for a sealed value, cut from a shared slab as Buffer.allocUnsafe does for values under 4 KiB: a body of a
 * few KB would otherwise get an ArrayBuffer of its own, whose allocation, accounting and collection cost about as
 * much as encrypting it. A slab lives as long as any value cut from it; the stores hold a sealed value only until
 * it is written, and a slab holds nothing but nonces, ciphertexts and tags.
 */
function sealedBuffer(bytes: number): Buffer {
  if (bytes > SLAB_BYTES / 4) return Buffer.allocUnsafe(bytes);
  if (slabOffset + bytes > slab.length) {
    slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
    slabOffset = 0;
  }
  const room = slab.subarray(slabOffset, slabOffset + bytes);
  slabOffset += bytes;
  return room;
}
const SLAB_BYTES = 64 * 1024;
let slab = Buffer.alloc(0);
let slabOffset = 0;

function aad(keyId: string, messageId: string, purpose: SealPurpose): Buffer {
  return Buffer.from(`schakel/v1/${purpose}/${keyId}/${messageId}`, 'utf8');
}
