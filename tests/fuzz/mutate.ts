/**
 * Seeded mutations of a bericht for the fuzz test, at three levels: structure (elements dropped, duplicated,
 * swapped, moved, renamed; truncation; injected text; namespaces; attributes; prolog), value (the text of one
 * element: impossible dates, long strings, non-digits in codes, empty values, unicode, control characters, huge
 * numbers, entity references) and bytes (flips, inserts, deletes, invalid UTF-8, byte-order marks). A case is a
 * pure function of (run seed, case index), so any case can be regenerated from the numbers printed.
 */
import { elementSpans, rng } from '../helpers/mutants.ts';

export type FuzzLevel = 'none' | 'structure' | 'value' | 'byte';

/** A seeded random source with the few shapes the mutations need. */
export class Dice {
  private readonly next: () => number;

  constructor(seed: number) {
    this.next = rng(seed);
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(xs: readonly T[]): T | undefined {
    return xs.length ? xs[this.int(xs.length)] : undefined;
  }
}

/** The seed of case `index` in a run: a 32-bit mix, so neighbouring cases share nothing. */
export function caseSeed(runSeed: number, index: number): number {
  let h = (runSeed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

export interface Mutation {
  level: FuzzLevel;
  /** What was done, in order, for the report of a failing case. */
  ops: string[];
  body: Buffer;
}

/** Mutates `xml` at one level with 1–3 operations (or not at all for a small share of control cases). */
export function mutate(xml: string, dice: Dice): Mutation {
  const roll = dice.int(100);
  const level: FuzzLevel = roll < 3 ? 'none' : roll < 43 ? 'structure' : roll < 83 ? 'value' : 'byte';
  if (level === 'none') return { level, ops: ['unchanged'], body: Buffer.from(xml) };
  const count = 1 + (dice.chance(0.35) ? 1 : 0) + (dice.chance(0.15) ? 1 : 0);
  const ops: string[] = [];
  if (level === 'byte') {
    let body: Buffer = Buffer.from(xml);
    for (let i = 0; i < count + dice.int(2); i++) {
      const r = dice.pick(BYTE_OPS)!(body, dice);
      body = r.body;
      ops.push(r.note);
    }
    return { level, ops, body };
  }
  const table = level === 'structure' ? STRUCTURE_OPS : VALUE_OPS;
  let text = xml;
  for (let i = 0; i < count; i++) {
    const r = dice.pick(table)!(text, dice);
    if (!r) continue;
    text = r.xml;
    ops.push(r.note);
  }
  if (ops.length === 0) ops.push('unchanged (no applicable operation)');
  return { level, ops, body: Buffer.from(text, 'utf8') };
}

// ---------------------------------------------------------------------------------------------------------
// Text helpers.

type Span = ReturnType<typeof elementSpans>[number];
type TextOp = (xml: string, d: Dice) => { xml: string; note: string } | null;

/** Element spans, or [] once an earlier mutation left the text unbalanced. */
function spans(xml: string): Span[] {
  try {
    const all = elementSpans(xml);
    return all.every((s) => s && s.end >= s.start) ? all : [];
  } catch {
    return [];
  }
}

const inner = (xml: string) => spans(xml).filter((s) => s.depth > 0);
const leaves = (xml: string) => inner(xml).filter((s) => s.leaf && s.textEnd >= s.textStart && s.end > s.textEnd);
const splice = (xml: string, a: number, b: number, text: string) => xml.slice(0, a) + text + xml.slice(b);
const short = (s: string) => JSON.stringify(s.length > 24 ? `${s.slice(0, 20)}…(${s.length})` : s);

/** The start tag's qualified name and, when the element is not self-closing, the end tag's. */
function renameTags(xml: string, s: Span, name: (qname: string) => string, endToo: boolean): string {
  const open = xml.slice(s.start, s.textStart);
  const selfClosing = open.endsWith('/>');
  const q = /^<([\w.:-]+)/.exec(open)?.[1];
  if (!q) return xml;
  const newOpen = `<${name(q)}${open.slice(1 + q.length)}`;
  if (selfClosing || !endToo) return splice(xml, s.start, s.textStart, newOpen);
  const close = xml.slice(s.textEnd, s.end);
  const newClose = close.replace(/^<\/[\w.:-]+/, `</${name(q)}`);
  return xml.slice(0, s.start) + newOpen + xml.slice(s.textStart, s.textEnd) + newClose + xml.slice(s.end);
}

const localOf = (q: string) => q.slice(q.indexOf(':') + 1);
const prefixOf = (q: string) => (q.includes(':') ? q.slice(0, q.indexOf(':') + 1) : '');

// ---------------------------------------------------------------------------------------------------------
// Structure.

const dropElement: TextOp = (xml, d) => {
  const s = d.pick(inner(xml));
  return s ? { xml: splice(xml, s.start, s.end, ''), note: `drop ${s.name}` } : null;
};

const duplicateElement: TextOp = (xml, d) => {
  const s = d.pick(inner(xml));
  return s ? { xml: splice(xml, s.end, s.end, xml.slice(s.start, s.end)), note: `duplicate ${s.name}` } : null;
};

const swapSiblings: TextOp = (xml, d) => {
  const all = inner(xml);
  const a = d.pick(all);
  if (!a) return null;
  const b = d.pick(all.filter((o) => o.parent === a.parent && o.start >= a.end));
  if (!b) return null;
  const swapped = xml.slice(b.start, b.end) + xml.slice(a.end, b.start) + xml.slice(a.start, a.end);
  return { xml: splice(xml, a.start, b.end, swapped), note: `swap ${a.name} and ${b.name}` };
};

const moveElement: TextOp = (xml, d) => {
  const all = spans(xml);
  const s = d.pick(all.filter((x) => x.depth > 0));
  if (!s) return null;
  const t = d.pick(all.filter((x) => !x.leaf && !(x.start >= s.start && x.end <= s.end)));
  if (!t) return null;
  const piece = xml.slice(s.start, s.end);
  const without = splice(xml, s.start, s.end, '');
  const at = t.textStart > s.start ? t.textStart - (s.end - s.start) : t.textStart;
  return { xml: splice(without, at, at, piece), note: `move ${s.name} into ${t.name}` };
};

const renameElement: TextOp = (xml, d) => {
  const all = spans(xml);
  const s = d.pick(all);
  if (!s) return null;
  const others = [...new Set(all.map((x) => x.name))];
  const choice = d.int(6);
  const endToo = choice !== 5;
  const rename = (q: string): string => {
    const p = prefixOf(q);
    switch (choice) {
      case 0:
        return p + (d.pick(others) ?? 'Onbekend');
      case 1:
        return p + localOf(q).toLowerCase();
      case 2:
        return `${p}${localOf(q)}X`;
      case 3:
        return localOf(q); // prefix dropped: no namespace, or the default one
      case 4:
        return `onbekend:${localOf(q)}`; // unbound prefix
      default:
        return `${p}${localOf(q)}Anders`; // start tag only: mismatched end tag
    }
  };
  return {
    xml: renameTags(xml, s, rename, endToo),
    note: `rename ${s.name} (${['other name', 'lower case', 'suffix', 'no prefix', 'unbound prefix', 'start tag only'][choice]})`,
  };
};

const truncate: TextOp = (xml, d) => {
  const at = d.chance(0.3) ? Math.min(xml.length - 1, 40 + d.int(200)) : d.int(xml.length);
  return { xml: xml.slice(0, at), note: `truncate at ${at} of ${xml.length}` };
};

const FRAGMENTS = [
  'tekst',
  '&amp;',
  '&onbekend;',
  '&#0;',
  '&#xD800;',
  '&#x1F600;',
  '<!-- commentaar -->',
  '<!-- -- -->',
  '<?pi data?>',
  '<?xml version="1.0"?>',
  '<![CDATA[<x>&</x>]]>',
  ']]>',
  '<',
  '>',
  '<Extra/>',
  '<Extra>1</Extra>',
  '</Bericht>',
  '<!DOCTYPE x>',
  '<!ENTITY a "b">',
  ' \t\r\n ',
  '\u0000',
];

const injectText: TextOp = (xml, d) => {
  const all = spans(xml);
  const s = d.pick(all);
  const at = s ? d.pick([s.start, s.textStart, s.textEnd, s.end])! : d.int(xml.length + 1);
  const f = d.pick(FRAGMENTS)!;
  return { xml: splice(xml, at, at, f), note: `inject ${short(f)} at ${at}` };
};

const ISTANDAARD_NS = /http:\/\/www\.istandaarden\.nl\/(iwmo|ijw)\/(\d+_\d+)\/(wmo|jw)(\d{3})\/schema/;

const changeNamespace: TextOp = (xml, d) => {
  const all = spans(xml);
  const root = all[0];
  if (!root) return null;
  const rootTag = xml.slice(root.start, root.textStart);
  const decls = [...rootTag.matchAll(/xmlns(?::([\w.-]+))?="([^"]*)"/g)];
  const choice = d.int(7);
  const rewriteRoot = (tag: string) => splice(xml, root.start, root.textStart, tag);
  if (choice <= 2) {
    const m = ISTANDAARD_NS.exec(rootTag);
    if (!m) return null;
    const [uri, std, rel, pfx, nr] = m as unknown as [string, string, string, string, string];
    const nrs = [
      '301',
      '302',
      '305',
      '306',
      '307',
      '308',
      '315',
      '316',
      '317',
      '318',
      '319',
      '320',
      '323',
      '325',
      '399',
    ];
    const other =
      choice === 0
        ? uri.replace(`${pfx}${nr}`, `${pfx}${d.pick(nrs)}`)
        : choice === 1
          ? uri.replace(rel, d.pick(['3_1', '3_3', '4_0', '32'])!)
          : uri.replace(`/${std}/`, std === 'iwmo' ? '/ijw/' : '/iwmo/');
    return {
      xml: xml.split(uri).join(other),
      note: `namespace ${uri.replace(/^.*nl\//, '')} → ${other.replace(/^.*nl\//, '')}`,
    };
  }
  if (choice === 3) {
    const decl = d.pick(decls);
    if (!decl) return null;
    return {
      xml: rewriteRoot(rootTag.replace(decl[0], '')),
      note: `drop declaration xmlns${decl[1] ? `:${decl[1]}` : ''}`,
    };
  }
  if (choice === 4) {
    const decl = d.pick(decls);
    if (!decl) return null;
    const uri = d.pick([
      'urn:fuzz:onbekend',
      '',
      'http://www.istandaarden.nl/iwmo/3_2/basisschema/schema',
      `${decl[2]}/`,
    ])!;
    return {
      xml: rewriteRoot(rootTag.replace(decl[0], `xmlns${decl[1] ? `:${decl[1]}` : ''}="${uri}"`)),
      note: `xmlns${decl[1] ? `:${decl[1]}` : ''} := ${short(uri)}`,
    };
  }
  const s = d.pick(all.filter((x) => x.depth > 0));
  if (!s) return null;
  const open = xml.slice(s.start, s.textStart);
  const q = /^<([\w.:-]+)/.exec(open)?.[1] ?? '';
  const p = prefixOf(q).slice(0, -1);
  const decl = choice === 5 ? ` xmlns${p ? `:${p}` : ''}="urn:fuzz:ander"` : ' xmlns="urn:fuzz:standaard"';
  const at = s.start + 1 + q.length;
  return { xml: splice(xml, at, at, decl), note: `${s.name} gets${decl}` };
};

const ATTRIBUTES = [
  ' foo="bar"',
  ' xsi:nil="true"',
  ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:nil="true"',
  ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xs:string" xmlns:xs="http://www.w3.org/2001/XMLSchema"',
  ' xml:lang="nl"',
  ' a="1" a="2"',
  ' b="<"',
  ` c="${'x'.repeat(20_000)}"`,
  " d='&amp;'",
  ' e="&onbekend;"',
  ' f=noquotes',
  ' g="\u0001"',
];

const addAttribute: TextOp = (xml, d) => {
  const s = d.pick(spans(xml));
  if (!s) return null;
  const open = xml.slice(s.start, s.textStart);
  const q = /^<([\w.:-]+)/.exec(open)?.[1];
  if (!q) return null;
  let attr = d.pick(ATTRIBUTES)!;
  if (d.chance(0.2) && prefixOf(q)) attr = ` ${prefixOf(q)}Extra="1"`;
  const at = s.start + 1 + q.length;
  return { xml: splice(xml, at, at, attr), note: `attribute${short(attr)} on ${s.name}` };
};

const PROLOGS: [string, (xml: string) => string][] = [
  ['no XML declaration', (x) => x.replace(/^<\?xml[^>]*\?>\s*/, '')],
  ['version 1.1', (x) => x.replace(/version="1\.0"/, 'version="1.1"')],
  ['encoding ISO-8859-1', (x) => x.replace(/encoding="[^"]*"/, 'encoding="ISO-8859-1"')],
  ['encoding UTF-16', (x) => x.replace(/encoding="[^"]*"/, 'encoding="UTF-16"')],
  ['encoding UTF-9', (x) => x.replace(/encoding="[^"]*"/, 'encoding="UTF-9"')],
  ['standalone', (x) => x.replace(/\?>/, ' standalone="yes"?>')],
  ['whitespace before the declaration', (x) => `\n  ${x}`],
  ['comment before the root', (x) => x.replace(/\?>/, '?><!-- voor -->')],
  ['DOCTYPE', (x) => x.replace(/\?>/, '?><!DOCTYPE Bericht [<!ENTITY a "b">]>')],
  ['text after the root', (x) => `${x}\nna`],
  ['second root', (x) => `${x}<Tweede/>`],
  ['wrapped root', (x) => `${x.replace(/(<\?xml[^>]*\?>\s*)?/, (m) => `${m}<Omslag>`)}</Omslag>`],
];

const changeProlog: TextOp = (xml, d) => {
  const [note, f] = d.pick(PROLOGS)!;
  return { xml: f(xml), note };
};

const STRUCTURE_OPS: TextOp[] = [
  dropElement,
  dropElement,
  duplicateElement,
  duplicateElement,
  swapSiblings,
  swapSiblings,
  moveElement,
  renameElement,
  renameElement,
  truncate,
  injectText,
  injectText,
  changeNamespace,
  changeNamespace,
  addAttribute,
  changeProlog,
];

// ---------------------------------------------------------------------------------------------------------
// Value: the text content of one element.

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const NUMBER = /^-?\d+$/;

type ValueFamily = { name: string; prefer?: RegExp; values: (old: string, d: Dice) => string };

const FAMILIES: ValueFamily[] = [
  {
    name: 'date',
    prefer: DATE,
    values: (_o, d) =>
      d.pick([
        '2027-02-30',
        '2023-02-29',
        '2024-02-29',
        '2023-13-01',
        '2023-00-10',
        '2023-04-31',
        '0000-01-01',
        '9999-12-31',
        '1899-12-31',
        '2023-06-01Z',
        '2023-06-01+02:00',
        '2023-6-1',
        '20230601',
        '2023-06-01T12:00:00',
        '-2023-06-01',
        '12023-06-01',
        '２０２３-０６-０１',
      ])!,
  },
  {
    name: 'long string',
    values: (_o, d) =>
      d.pick(['A', 'é', '9', '<a/>'.replace(/[<>]/g, '_')])!.repeat(d.pick([13, 36, 256, 4097, 100_000])!),
  },
  {
    name: 'non-digits in a code',
    prefer: NUMBER,
    values: (o, d) => {
      const pos = d.int(Math.max(1, o.length));
      return d.pick([
        `${o.slice(0, pos)}${d.pick(['a', 'O', 'l', ' ', '-', '.', '٣', '０'])}${o.slice(pos + 1)}`,
        ` ${o}`,
        `${o} `,
        `+${o}`,
        `-${o}`,
        o.replace(/\d/g, (c) => String.fromCharCode(0xff10 + Number(c))),
        o.replace(/\d/g, (c) => String.fromCharCode(0x0660 + Number(c))),
      ])!;
    },
  },
  { name: 'empty', values: (_o, d) => d.pick(['', ' ', '\n\t', '\u00a0'])! },
  {
    name: 'unicode',
    values: (o, d) =>
      d.pick([
        'Ŝćħŕïĵƒ',
        '日本語のテキスト',
        '😀👍🏽',
        'e\u0301',
        '\u202Eabc',
        '\ufeff',
        'ß'.repeat(50),
        `${o}\u200b`,
        '\ud83d', // a lone surrogate: written as U+FFFD
        'Ω≈ç√∫',
      ])!,
  },
  {
    name: 'control character',
    values: (o, d) => {
      const c = d.pick([
        '\u0000',
        '\u0001',
        '\u0008',
        '\u000b',
        '\u000c',
        '\u001f',
        '\u007f',
        '\u0085',
        '\ufffe',
        '\uffff',
        '\t',
        '\r',
      ])!;
      const pos = d.int(o.length + 1);
      return o.slice(0, pos) + c + o.slice(pos);
    },
  },
  {
    name: 'huge number',
    prefer: NUMBER,
    values: (_o, d) =>
      d.pick([
        '99999999999999999999999999',
        '9'.repeat(400),
        '-1',
        '0',
        '-0',
        '00000000000000000001',
        '1e308',
        '1.5',
        '0x1F',
        'NaN',
        'Infinity',
        '2147483648',
        '18446744073709551616',
      ])!,
  },
  {
    name: 'markup',
    values: (_o, d) =>
      d.pick([
        '&amp;',
        '&lt;x&gt;',
        '&#65;',
        '&#x41;',
        '&#1114111;',
        '&#x110000;',
        '&#xFFFE;',
        '&lt;![CDATA[',
        '<![CDATA[123]]>',
      ])!,
  },
  { name: 'BSN-shaped', values: (_o, d) => d.pick(['123456782', '999900006', '000000000', '12345678', '1234567890'])! },
  {
    name: 'small edit',
    values: (o, d) => {
      const pos = d.int(o.length + 1);
      return d.pick([
        o + o.slice(-1),
        o.slice(0, pos) + o.slice(pos + 1),
        o.toLowerCase(),
        o.toUpperCase(),
        o.split('').reverse().join(''),
      ])!;
    },
  },
];

function valueOp(family: ValueFamily): TextOp {
  return (xml, d) => {
    const all = leaves(xml);
    const preferred = family.prefer
      ? all.filter((s) => family.prefer!.test(xml.slice(s.textStart, s.textEnd).trim()))
      : [];
    const s = d.pick(preferred.length && d.chance(0.8) ? preferred : all);
    if (!s) return null;
    const old = xml.slice(s.textStart, s.textEnd);
    const value = family.values(old, d);
    return { xml: splice(xml, s.textStart, s.textEnd, value), note: `${s.name} := ${short(value)} (${family.name})` };
  };
}

const VALUE_OPS: TextOp[] = FAMILIES.map(valueOp);

// ---------------------------------------------------------------------------------------------------------
// Bytes.

type ByteOp = (b: Buffer, d: Dice) => { body: Buffer; note: string };

const INVALID_UTF8: number[][] = [
  [0xc3, 0x28],
  [0xff],
  [0xfe],
  [0xc0, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0xe2, 0x82],
  [0x80],
  [0xf4, 0x90, 0x80, 0x80],
];

/** A position, biased towards the first few hundred bytes (prolog, root, header). */
const position = (b: Buffer, d: Dice) => (d.chance(0.3) ? d.int(Math.min(b.length, 300) + 1) : d.int(b.length + 1));
const insert = (b: Buffer, at: number, bytes: number[]) =>
  Buffer.concat([b.subarray(0, at), Buffer.from(bytes), b.subarray(at)]);
const hex = (bytes: number[]) => bytes.map((x) => x.toString(16).padStart(2, '0')).join(' ');

const BYTE_OPS: ByteOp[] = [
  (b, d) => {
    if (!b.length) return { body: b, note: 'flip (empty)' };
    const at = Math.min(b.length - 1, position(b, d));
    const out = Buffer.from(b);
    const mask = d.chance(0.5) ? 1 << d.int(8) : 1 + d.int(255);
    out[at] = out[at]! ^ mask;
    return { body: out, note: `flip byte ${at} ^ 0x${mask.toString(16)}` };
  },
  (b, d) => {
    const at = position(b, d);
    const bytes = Array.from({ length: 1 + d.int(4) }, () => d.int(256));
    return { body: insert(b, at, bytes), note: `insert ${hex(bytes)} at ${at}` };
  },
  (b, d) => {
    const at = position(b, d);
    const n = 1 + d.int(16);
    return { body: Buffer.concat([b.subarray(0, at), b.subarray(at + n)]), note: `delete ${n} bytes at ${at}` };
  },
  (b, d) => {
    // Inside text content: after a '>' that is followed by a non-'<' byte.
    const candidates: number[] = [];
    for (let i = 0; i < b.length - 1 && candidates.length < 400; i++)
      if (b[i] === 0x3e && b[i + 1] !== 0x3c && b[i + 1] !== 0x0a && b[i + 1] !== 0x0d) candidates.push(i + 1);
    const at = d.pick(candidates) ?? position(b, d);
    const bytes = d.pick(INVALID_UTF8)!;
    return { body: insert(b, at, bytes), note: `invalid UTF-8 ${hex(bytes)} at ${at}` };
  },
  (b, d) => {
    const bom = d.pick([
      [0xef, 0xbb, 0xbf],
      [0xfe, 0xff],
      [0xff, 0xfe],
      [0x00, 0x00, 0xfe, 0xff],
      [0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf],
    ])!;
    return { body: insert(b, 0, bom), note: `prefix ${hex(bom)}` };
  },
  (b, d) => {
    const at = position(b, d);
    return { body: insert(b, at, [0x00]), note: `NUL at ${at}` };
  },
  (b, d) => {
    const at = d.int(b.length + 1);
    return { body: b.subarray(0, at), note: `cut at byte ${at} of ${b.length}` };
  },
];
