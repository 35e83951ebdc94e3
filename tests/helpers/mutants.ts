/**
 * Deterministic mutants of an example bericht, at the text level, for conformance tests: each mutant is
 * judged by the project's engine and by the official schema, and the verdicts must agree.
 */

export type MutantKind =
  | 'remove-element'
  | 'break-pattern'
  | 'wrong-berichtcode'
  | 'wrong-namespace'
  | 'reorder'
  | 'bad-date';

export interface Mutant {
  kind: MutantKind;
  description: string;
  xml: string;
}

interface Span {
  name: string;
  /** Index of '<' of the start tag. */
  start: number;
  /** Index just past the end tag (or the '/>' of an empty element). */
  end: number;
  /** Text content span for leaf elements. */
  textStart: number;
  textEnd: number;
  depth: number;
  leaf: boolean;
  parent: number;
}

/** Small seeded PRNG (mulberry32), so a failing mutant can be reproduced from its seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Element spans of a well-formed document without CDATA (as the official examples are). */
export function elementSpans(xml: string): Span[] {
  const spans: Span[] = [];
  const stack: number[] = [];
  const tag = /<(\/?)([\w.-]+:)?([\w.-]+)([^>]*?)(\/?)>|<!--[\s\S]*?-->|<\?[\s\S]*?\?>/g;
  for (let m = tag.exec(xml); m; m = tag.exec(xml)) {
    if (m[0].startsWith('<!--') || m[0].startsWith('<?')) continue;
    const [all, close, , name, , selfClose] = m as unknown as [
      string,
      string,
      string | undefined,
      string,
      string,
      string,
    ];
    if (close) {
      const idx = stack.pop()!;
      const s = spans[idx]!;
      s.end = m.index + all.length;
      s.textEnd = m.index;
      s.leaf = !spans.some((o) => o.parent === idx);
    } else {
      const span: Span = {
        name,
        start: m.index,
        end: m.index + all.length,
        textStart: m.index + all.length,
        textEnd: m.index + all.length,
        depth: stack.length,
        leaf: true,
        parent: stack.length ? stack[stack.length - 1]! : -1,
      };
      spans.push(span);
      if (!selfClose) stack.push(spans.length - 1);
    }
  }
  return spans;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** At least `perKind` mutants of every applicable kind (deterministic for a seed). */
export function mutants(xml: string, seed: number, perKind = 4): Mutant[] {
  const rand = rng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const spans = elementSpans(xml);
  const inner = spans.filter((s) => s.depth > 0);
  const leaves = inner.filter((s) => s.leaf && s.textEnd > s.textStart);
  const out: Mutant[] = [];
  const splice = (a: number, b: number, text: string): string => xml.slice(0, a) + text + xml.slice(b);

  for (let i = 0; i < perKind && inner.length; i++) {
    const s = i === 0 ? (inner.find((x) => x.name === 'BerichtIdentificatie') ?? pick(inner)) : pick(inner);
    out.push({ kind: 'remove-element', description: `remove ${s.name}`, xml: splice(s.start, s.end, '') });
  }
  const breakers = ['', 'X'.repeat(300), '12ab!', ' ', '-1'];
  for (let i = 0; i < perKind && leaves.length; i++) {
    const s = pick(leaves);
    const v = breakers[i % breakers.length]!;
    out.push({
      kind: 'break-pattern',
      description: `${s.name} := "${v.slice(0, 12)}"`,
      xml: splice(s.textStart, s.textEnd, v),
    });
  }
  const code = spans.find((s) => s.name === 'BerichtCode');
  if (code) {
    for (const v of ['999', '414', '436', '1']) {
      const current = xml.slice(code.textStart, code.textEnd);
      if (v !== current)
        out.push({
          kind: 'wrong-berichtcode',
          description: `BerichtCode ${current} → ${v}`,
          xml: splice(code.textStart, code.textEnd, v),
        });
    }
  }
  const ns = /"http:\/\/www\.istandaarden\.nl\/(iwmo|ijw)\/3_2\/(wmo|jw)(\d{3})\/schema"/.exec(xml);
  if (ns) {
    const [, std, pfx, nr] = ns;
    const others = ['301', '302', '305', '323', '325'].filter((n) => n !== nr);
    for (const n of others.slice(0, 2)) {
      out.push({
        kind: 'wrong-namespace',
        description: `namespace ${pfx}${nr} → ${pfx}${n}`,
        xml: xml.split(ns[0]).join(`"http://www.istandaarden.nl/${std}/3_2/${pfx}${n}/schema"`),
      });
    }
    out.push({
      kind: 'wrong-namespace',
      description: 'release 3_2 → 3_1',
      xml: xml.split(ns[0]).join(ns[0].replace('3_2', '3_1')),
    });
  }
  const siblingPairs = inner.filter((s, i) => {
    const next = inner[i + 1];
    return next !== undefined && next.parent === s.parent && next.start >= s.end && next.name !== s.name;
  });
  for (let i = 0; i < perKind && siblingPairs.length; i++) {
    const a = pick(siblingPairs);
    const b = inner[inner.indexOf(a) + 1]!;
    const swapped = xml.slice(b.start, b.end) + xml.slice(a.end, b.start) + xml.slice(a.start, a.end);
    out.push({ kind: 'reorder', description: `swap ${a.name} and ${b.name}`, xml: splice(a.start, b.end, swapped) });
  }
  const dates = leaves.filter((s) => DATE.test(xml.slice(s.textStart, s.textEnd).trim()));
  const badDates = ['2023-02-30', '2023-13-01', '2023-06-01Z', '2023-6-1', '2023-06-01T12:00:00'];
  for (let i = 0; i < perKind && dates.length; i++) {
    const s = pick(dates);
    const v = badDates[i % badDates.length]!;
    out.push({ kind: 'bad-date', description: `${s.name} := ${v}`, xml: splice(s.textStart, s.textEnd, v) });
  }
  return out;
}
