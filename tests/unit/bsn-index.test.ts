/**
 * The BSN index's scan of a body (src/security/bsn-index.ts `bsnsIn`) against its definition: the regular
 * expression its doc comment gives, run on the body's UTF-8 text. The scan works on the bytes (issue #17: no string
 * of the whole body per sealed bericht); these cases pin that it still finds exactly what the expression finds,
 * also around non-ASCII text, prefixes, attributes, separators and a GGK envelope's base64 bericht.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bsnsIn, normaliseBsn } from '../../src/security/bsn-index.ts';
import { hasReference, referenceDir, skipReason } from '../helpers/reference.ts';

const VALUE = /<(?:[\w.-]+:)?(?:Bsn|inp\.bsn|inn\.nnpId)(?:\s[^>]*)?>([^<]{1,40})(?=<)/g;
const ENVELOPE = /<(?:[\w.-]+:)?bericht(?:\s[^>]*)?>([^<]*)/g;

/** The definition: the values the expression captures, normalised, each once (and those of an enveloped bericht). */
function defined(text: string, depth = 0): Set<string> {
  const found = new Set<string>();
  for (const m of text.matchAll(VALUE)) {
    const bsn = normaliseBsn(m[1]!);
    if (bsn) found.add(bsn);
  }
  if (depth === 0) {
    for (const m of text.matchAll(ENVELOPE)) {
      if (m[1]!.length < 16) continue;
      for (const bsn of defined(Buffer.from(m[1]!, 'base64').toString('utf8'), 1)) found.add(bsn);
    }
  }
  return found;
}

/** A small deterministic generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMES = ['Bsn', 'inp.bsn', 'inn.nnpId', 'bsn', 'Bsnr', 'xBsn', 'inp.bsnx', 'nnpId', 'inp-bsn'];
const PREFIXES = ['', 'iwmo:', 'BG:', 'a.b-c_1:', ':', 'x y:', 'é:', 'ns:ns:'];
const AFTER_NAME = [
  '>',
  '\r\n>',
  '\v>',
  ' StUF:exact="true">',
  '\t>',
  '\n  a="1"\n>',
  '\u00a0>',
  '\u2003x>',
  '/>',
  'x>',
  '',
];
const VALUES = [
  '999900006',
  '99990000',
  '0999900006',
  '999 900 006',
  '999.900.006',
  '999-900-006',
  '9\u00a09\u00a09\u00a09\u00a00\u00a00\u00a00\u00a00\u00a06',
  ' 123456782 ',
  '12',
  '',
  'é999900006',
  '1'.repeat(41),
  `123456782${' '.repeat(31)}`,
  `123456782${' '.repeat(32)}`,
  `${'\u00a0'.repeat(31)}123456782`,
  `${'\u00a0'.repeat(32)}123456782`,
  '😀123456782',
];
const FILLER = [
  '',
  ' ',
  'tekst',
  'é',
  '€',
  '😀',
  '>',
  '<',
  '<x>',
  '</Bsn>',
  'Bsn',
  '.bsn',
  '\n',
  'bericht',
  '<Client>',
];

function pick<T>(next: () => number, from: readonly T[]): T {
  return from[Math.floor(next() * from.length)]!;
}

function fragment(next: () => number): string {
  const parts: string[] = [];
  const n = 1 + Math.floor(next() * 6);
  for (let i = 0; i < n; i++) {
    parts.push(pick(next, FILLER));
    parts.push(`<${pick(next, PREFIXES)}${pick(next, NAMES)}${pick(next, AFTER_NAME)}${pick(next, VALUES)}</x>`);
  }
  parts.push(pick(next, FILLER));
  return parts.join('');
}

function enveloped(next: () => number, inner: string): string {
  const b64 = Buffer.from(inner).toString('base64');
  const spaced = next() < 0.5 ? b64 : b64.replace(/(.{10})/g, '$1\n  ');
  const tag = pick(next, ['ggk:bericht', 'bericht', 'a:bericht x="1"', 'berichtx', ':bericht']);
  return `<ggk:parameters><${tag}>${spaced}</ggk:bericht></ggk:parameters>`;
}

describe('BSN index: the scan of a body', () => {
  it('finds what its definition finds, on 5,000 generated bodies', () => {
    const next = random(17);
    let withBsn = 0;
    let fromEnvelope = 0;
    for (let i = 0; i < 5000; i++) {
      const text = next() < 0.3 ? `${fragment(next)}${enveloped(next, fragment(next))}` : fragment(next);
      const expected = defined(text);
      if (expected.size > 0) withBsn++;
      if (expected.size > defined(text, 1).size) fromEnvelope++;
      expect(new Set(bsnsIn(Buffer.from(text))), text).toEqual(expected);
    }
    // The cases are not all empty: many bodies hold a BSN, some only in their envelope's bericht.
    expect(withBsn).toBeGreaterThan(1000);
    expect(fromEnvelope).toBeGreaterThan(100);
  });

  it.skipIf(!hasReference)(`finds what its definition finds in every official example (${skipReason})`, () => {
    const files = fs
      .readdirSync(referenceDir, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.xml'))
      .map((f) => path.join(referenceDir, f));
    let withBsn = 0;
    for (const file of files) {
      const body = fs.readFileSync(file);
      const expected = defined(body.toString('utf8'));
      if (expected.size > 0) withBsn++;
      expect(new Set(bsnsIn(body)), file).toEqual(expected);
    }
    expect(withBsn).toBeGreaterThan(10);
  });
});
