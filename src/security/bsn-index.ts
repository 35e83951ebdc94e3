/**
 * The keyed-hash index of the BSNs in a bericht (issue 15 part 4): the exact-BSN search of beheer reads this
 * index instead of the (encrypted) bodies. Each BSN is kept only as HMAC-SHA256 under a key derived for this
 * purpose alone (HKDF from the store's or the configured history secret), so an index row matches nothing else
 * and says nothing without the key.
 *
 * The BSNs are the values of the standards' BSN elements (`Bsn` of iWmo/iJw/iEb/iPgb, `inp.bsn` and
 * `inn.nnpId` of StUF-Jeugdzorg: redact.ts `BSN_ELEMENTS`), in the bericht itself and in the base64 bericht a
 * GGK envelope carries.
 */
import { createHmac, hkdfSync } from 'node:crypto';
import { BSN_ELEMENTS } from './redact.ts';

/** The name of the bericht element inside a GGK envelope (ggk-envelope.ts `envelopePayload`). */
const ENVELOPED = Buffer.from('bericht');

/** A BSN element's name, and the part of it that is searched for (its rarer end: ".bsn", ".nnpId", "Bsn"). */
const BSN_NAMES = BSN_ELEMENTS.map((name) => {
  const dot = Math.max(0, name.lastIndexOf('.'));
  return { name: Buffer.from(name), dot, probe: Buffer.from(name.slice(dot)) };
});

const LT = 0x3c;
const GT = 0x3e;
const COLON = 0x3a;

/** A BSN as nine digits: separators dropped, a lost leading zero restored; null when it is not one. */
export function normaliseBsn(value: string): string | null {
  const digits = value.replace(/[\s.-]/g, '');
  if (!/^\d{1,12}$/.test(digits)) return null;
  const trimmed = digits.replace(/^0+(?=\d{9}$)/, '');
  const nine = trimmed.length < 9 && trimmed.length >= 8 ? trimmed.padStart(9, '0') : trimmed;
  return /^\d{9}$/.test(nine) ? nine : null;
}

/**
 * The values of the BSN elements in `body`, in document order: what `<(?:[\w.-]+:)?(?:Bsn|inp\.bsn|inn\.nnpId)
 * (?:\s[^>]*)?>([^<]{1,40})(?=<)` matches in its UTF-8 text. Found by `indexOf` of the names in the bytes themselves
 * (issue #17): the names and the markup around them are ASCII, which UTF-8 never uses inside another character, so
 * only the values are decoded, not the whole body into a string for every bericht the store seals.
 */
function bsnValues(body: Buffer): string[] {
  const found: [number, string][] = [];
  for (const { name, dot, probe } of BSN_NAMES) {
    for (let p = body.indexOf(probe); p !== -1; p = body.indexOf(probe, p + 1)) {
      const at = p - dot;
      if (at < 0 || (dot > 0 && !bytesAt(body, name, at))) continue;
      const start = tagStart(body, at);
      const close = start === -1 ? -1 : tagEnd(body, at + name.length);
      if (close === -1) continue;
      const end = body.indexOf(LT, close + 1);
      // At most 40 characters: at most 160 bytes, counted exactly once decoded.
      if (end === -1 || end === close + 1 || end - close - 1 > 160) continue;
      const value = body.toString('utf8', close + 1, end);
      if (value.length <= 40) found.push([start, value]);
    }
  }
  return found.sort((a, b) => a[0] - b[0]).map(([, value]) => value);
}

/** Whether `name` stands in `body` at `at`. */
function bytesAt(body: Buffer, name: Buffer, at: number): boolean {
  return body.compare(name, 0, name.length, at, at + name.length) === 0;
}

/** Where the start tag of the element named at `at` begins: "<" or "<prefix:" right before the name; -1: none. */
function tagStart(body: Buffer, at: number): number {
  let start = at - 1;
  if (body[start] === COLON) {
    while (start > 0 && isNameChar(body[start - 1]!)) start--;
    if (start === at - 1) return -1;
    start--;
  }
  return body[start] === LT ? start : -1;
}

/** The ">" that closes a start tag whose name ends before `after`: right there, or after white space; -1: none. */
function tagEnd(body: Buffer, after: number): number {
  const c = body[after];
  if (c === GT) return after;
  if (c === undefined || !isWhiteSpace(body, after)) return -1;
  return body.indexOf(GT, after);
}

/** Whether the character at byte `at` is white space as `\s` means it (a non-ASCII one decoded first). */
function isWhiteSpace(body: Buffer, at: number): boolean {
  const c = body[at]!;
  if (c < 0x80) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  return /^\s/.test(body.toString('utf8', at, Math.min(at + 4, body.length)));
}

/** [\w.-]: a character of a namespace prefix. */
function isNameChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 46 || c === 45;
}

/** Every BSN in a bericht (and in the bericht of a GGK envelope), each once. */
export function bsnsIn(body: Buffer, depth = 0): string[] {
  const found = new Set<string>();
  for (const value of bsnValues(body)) {
    const bsn = normaliseBsn(value);
    if (bsn) found.add(bsn);
  }
  if (depth === 0) {
    // `<(?:[\w.-]+:)?bericht(?:\s[^>]*)?>`, its base64 content taken up to the next "<" (a regular expression's
    // greedy loop over a 16 MB text node overflows its backtracking stack).
    for (let p = body.indexOf(ENVELOPED); p !== -1; p = body.indexOf(ENVELOPED, p + 1)) {
      const close = tagStart(body, p) === -1 ? -1 : tagEnd(body, p + ENVELOPED.length);
      if (close === -1) continue;
      p = close;
      const end = body.indexOf(LT, close + 1);
      if (end - close - 1 < 16) continue;
      // Node's base64 decoder skips white space (and stops at what is not base64).
      for (const bsn of bsnsIn(Buffer.from(body.toString('utf8', close + 1, end), 'base64'), 1)) found.add(bsn);
    }
  }
  return [...found];
}

/** The index key: HKDF-SHA256 of `secret` for this purpose only. */
export function bsnIndexKey(secret: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'schakel/bsn-search/v1', 32));
}

/** HMAC-SHA256 (hex) of a nine-digit BSN under the index key. */
export function bsnIndexHash(key: Buffer, bsn: string): string {
  return createHmac('sha256', key).update(bsn, 'utf8').digest('hex');
}

/** The index entries of a bericht. */
export function bsnIndexHashes(key: Buffer, body: Buffer): string[] {
  return bsnsIn(body).map((bsn) => bsnIndexHash(key, bsn));
}
