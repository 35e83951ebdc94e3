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

const NAMES = BSN_ELEMENTS.map((n) => n.replace(/\./g, '\\.')).join('|');
const BSN_VALUE = new RegExp(`<(?:[\\w.-]+:)?(?:${NAMES})(?:\\s[^>]*)?>([^<]{1,40})<`, 'g');
/**
 * The start tag of the bericht inside a GGK envelope (ggk-envelope.ts `envelopePayload`). Its base64 content is
 * taken up to the next "<" by indexOf, not by the regular expression: a greedy loop over a 16 MB text node overflows
 * the regular expression engine's backtracking stack (RangeError).
 */
const ENVELOPED = /<(?:[\w.-]+:)?bericht(?:\s[^>]*)?>/g;

/** A BSN as nine digits: separators dropped, a lost leading zero restored; null when it is not one. */
export function normaliseBsn(value: string): string | null {
  const digits = value.replace(/[\s.-]/g, '');
  if (!/^\d{1,12}$/.test(digits)) return null;
  const trimmed = digits.replace(/^0+(?=\d{9}$)/, '');
  const nine = trimmed.length < 9 && trimmed.length >= 8 ? trimmed.padStart(9, '0') : trimmed;
  return /^\d{9}$/.test(nine) ? nine : null;
}

/** Every BSN in a bericht (and in the bericht of a GGK envelope), each once. */
export function bsnsIn(body: Buffer, depth = 0): string[] {
  const text = body.toString('utf8');
  const found = new Set<string>();
  for (const m of text.matchAll(BSN_VALUE)) {
    const bsn = normaliseBsn(m[1]!);
    if (bsn) found.add(bsn);
  }
  if (depth === 0) {
    for (const m of text.matchAll(ENVELOPED)) {
      const start = m.index + m[0].length;
      const end = text.indexOf('<', start);
      if (end - start < 16) continue;
      // Node's base64 decoder skips white space (and stops at what is not base64).
      for (const bsn of bsnsIn(Buffer.from(text.slice(start, end), 'base64'), 1)) found.add(bsn);
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
