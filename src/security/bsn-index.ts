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

/**
 * The values of the BSN elements in `text`, in document order: what `<(?:[\w.-]+:)?(?:Bsn|inp\.bsn|inn\.nnpId)
 * (?:\s[^>]*)?>([^<]{1,40})<` matches, found by `indexOf` of the names (a bericht is scanned at memory speed; the
 * regular expression tried its prefix at every "<" of every body the store seals).
 */
function bsnValues(text: string): string[] {
  const found: [number, string][] = [];
  for (const name of BSN_ELEMENTS) {
    // Searched by its rarer end (".bsn", ".nnpId"): a search for "inp." stops at every "i" of the text.
    const dot = Math.max(0, name.lastIndexOf('.'));
    const probe = name.slice(dot);
    for (let p = text.indexOf(probe); p !== -1; p = text.indexOf(probe, p + 1)) {
      const at = p - dot;
      if (at < 0 || (dot > 0 && !text.startsWith(name, at))) continue;
      // "<" or "<prefix:" right before the name
      let start = at - 1;
      if (text[start] === ':') {
        while (start > 0 && isNameChar(text.charCodeAt(start - 1))) start--;
        if (start === at - 1) continue;
        start--;
      }
      if (text[start] !== '<') continue;
      // ">" or white space (then anything up to the first ">") right after it
      let close = at + name.length;
      if (text[close] !== '>') {
        if (!/\s/.test(text[close] ?? '')) continue;
        close = text.indexOf('>', close);
        if (close === -1) continue;
      }
      const end = text.indexOf('<', close + 1);
      if (end === -1 || end === close + 1 || end - close - 1 > 40) continue;
      found.push([start, text.slice(close + 1, end)]);
    }
  }
  return found.sort((a, b) => a[0] - b[0]).map(([, value]) => value);
}

/** [\w.-]: a character of a namespace prefix. */
function isNameChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 46 || c === 45;
}

/** Every BSN in a bericht (and in the bericht of a GGK envelope), each once. */
export function bsnsIn(body: Buffer, depth = 0): string[] {
  const text = body.toString('utf8');
  const found = new Set<string>();
  for (const value of bsnValues(text)) {
    const bsn = normaliseBsn(value);
    if (bsn) found.add(bsn);
  }
  if (depth === 0 && text.includes('bericht')) {
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
