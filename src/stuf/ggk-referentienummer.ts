import { createHash } from 'node:crypto';
import { isUuidV4 } from './stuurgegevens.ts';

/**
 * The referentienummer of the GGK envelope a message travels in, and back.
 *
 * It must be a UUID v4 (§4.6; GGK IB009), the same for every attempt and every resend of that message, so that a
 * resend after an unclear outcome reuses it and a StUF016/IB216 on the resend can be read as "the first copy
 * arrived" (§6.5); and a StUF answer (Fo01, Bv01) names it as crossRefnummer, so the gateway must find the message
 * from it. Message ids are UUID v7 (src/store/message-id.ts): their 122 free bits go through a fixed 4-round
 * Feistel permutation (SHA-256 as round function) and come out as the 122 free bits of a UUID v4. It is a
 * bijection, so `messageIdOf` turns the referentienummer back into the id; it hides the id's time order but is no
 * secret (anyone can invert it, as anyone could read the id when the id itself was the referentienummer).
 *
 * Ids of other forms keep what they had: a UUID v4 id (stored before ids were v7) is its own referentienummer, any
 * other id is hashed into a UUID v4 (one way).
 */
export function ggkReferentienummer(messageId: string): string {
  if (UUID_V7.test(messageId)) return layout(permute(freeBits(messageId)), 4);
  if (isUuidV4(messageId)) return messageId;
  const h = createHash('sha256').update(`schakel/ggk/referentienummer/${messageId}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x40;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/**
 * The message ids a GGK referentienummer can stand for, most likely first: the UUID v7 id it was made from, and
 * the referentienummer itself (an id from before ids were v7). Empty for anything that is not a UUID v4.
 */
export function messageIdsOf(referentienummer: string): string[] {
  if (!isUuidV4(referentienummer)) return [];
  return [layout(unpermute(freeBits(referentienummer)), 7), referentienummer];
}

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const M61 = (1n << 61n) - 1n;
const M62 = (1n << 62n) - 1n;
const ROUNDS = 4;

/** The 122 bits of a UUID that are not its version (4 bits) or variant (2 bits). */
function freeBits(uuid: string): bigint {
  const n = BigInt(`0x${uuid.replaceAll('-', '')}`);
  return ((n >> 80n) << 74n) | (((n >> 64n) & 0xfffn) << 62n) | (n & M62);
}

/** A UUID (RFC 9562 variant) of `version` carrying the 122 `bits`. */
function layout(bits: bigint, version: 4 | 7): string {
  const n =
    ((bits >> 74n) << 80n) | (BigInt(version) << 76n) | (((bits >> 62n) & 0xfffn) << 64n) | (2n << 62n) | (bits & M62);
  const hex = n.toString(16).padStart(32, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function round(i: number, half: bigint): bigint {
  const d = createHash('sha256')
    .update(`schakel/ggk/referentienummer/${i}/${half.toString(16)}`)
    .digest();
  return d.readBigUInt64BE(0) & M61;
}

function permute(bits: bigint): bigint {
  let [l, r] = [bits >> 61n, bits & M61];
  for (let i = 0; i < ROUNDS; i++) [l, r] = [r, l ^ round(i, r)];
  return (l << 61n) | r;
}

function unpermute(bits: bigint): bigint {
  let [l, r] = [bits >> 61n, bits & M61];
  for (let i = ROUNDS - 1; i >= 0; i--) [l, r] = [r ^ round(i, l), l];
  return (l << 61n) | r;
}
