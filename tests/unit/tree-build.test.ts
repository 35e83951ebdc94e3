/**
 * The light tree read straight from libxml2's memory (src/xml/tree-build.ts): names, namespaces, text and
 * attributes as the document has them, names right across a renewed parser context (the name cache is per
 * dictionary), and the element index that descendants() and select() search.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ParseOption, XmlDocument } from 'libxml2-wasm';
import { XmlNodeSetStruct } from 'libxml2-wasm/lib/libxml2.mjs';
import { describe, expect, it } from 'vitest';
import { select } from '../../src/rules/istandaarden/messages.ts';
import { parseToTree, parseXml, toTree } from '../../src/xml/parse.ts';
import { descendants, type XNode } from '../../src/xml/tree.ts';
import { buildTree } from '../../src/xml/tree-build.ts';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Name, namespace, line, text and attributes of every element, depth first: what the tree says. */
function shape(n: XNode): unknown {
  return { name: n.name, ns: n.ns, line: n.line, text: n.text, attrs: n.attrs, children: n.children.map(shape) };
}

describe('the tree built from libxml2 memory', () => {
  it('reads names, namespaces, lines, text (CDATA, references, split by comments) and attributes', () => {
    const root = parseToTree(
      '<?xml version="1.0"?>\n<p:a xmlns:p="urn:x" xmlns="urn:d" k="v &amp; w" leeg="">\n' +
        '  <b>  één &lt;twee&gt; <![CDATA[<drie>]]>  </b>\n  <c>x<!-- c -->y <?pi z?> z</c>\n  <d/>\n</p:a>',
    );
    expect(shape(root)).toEqual({
      name: 'a',
      ns: 'urn:x',
      line: 2,
      text: '',
      attrs: { k: 'v & w', leeg: '' },
      children: [
        { name: 'b', ns: 'urn:d', line: 3, text: 'één <twee> <drie>', attrs: {}, children: [] },
        { name: 'c', ns: 'urn:d', line: 4, text: 'xy  z', attrs: {}, children: [] },
        { name: 'd', ns: 'urn:d', line: 5, text: '', attrs: {}, children: [] },
      ],
    });
    // U+00A0 and U+FEFF are content, not XML whitespace.
    expect(parseToTree('<a>\u00a0x\ufeff</a>').text).toBe('\u00a0x\ufeff');
  });

  it('parses with XML_PARSE_COMPACT (short texts inside the node) and reads the same tree as without it', () => {
    const sample =
      '<?xml version="1.0"?>\n<p:a xmlns:p="urn:x" xmlns="urn:d" k="v" l="v &amp; w" m="1234567" n="12345678">\n' +
      '  <b>1</b><b>1234567</b><b>12345678</b><b> 12 </b><b>a&amp;b</b><b>x<![CDATA[y]]>z</b>\n' +
      '  <c>x<!-- c -->y <?pi z?> z</c><c>\u00e9\u00e9\u00e9</c><c><![CDATA[<]]></c><c/><c></c>\n</p:a>';
    const reference = path.resolve(import.meta.dirname, '../../../shared/reference/istandaarden-3.2');
    const official = ['wmo/WMO301.xml', 'wmo/WMO323.xml', 'jw/JW315.xml']
      .map((f) => path.join(reference, f))
      .filter((f) => fs.existsSync(f))
      .map((f) => fs.readFileSync(f));
    for (const source of [bytes(sample), ...official]) {
      const compact = parseXml(source);
      const plain = XmlDocument.fromBuffer(source, { option: ParseOption.XML_PARSE_NONET });
      try {
        const ptr = (plain as unknown as { _ptr: number })._ptr;
        const expected = shape(buildTree({ ptr, generation: 0, blanksDropped: false, mixedTextRead: false }));
        expect(shape(toTree(compact))).toEqual(expected);
      } finally {
        compact.dispose();
        plain.dispose();
      }
    }
    // The option is in effect: the text "1" of the first <b> is stored in its node (content points into it).
    const doc = parseXml(bytes('<a><b>1</b></a>'));
    try {
      const i32 = new Int32Array((XmlNodeSetStruct.nodeTable(0, 0) as Int32Array).buffer);
      const root = i32[(doc.ptr + 12) >> 2]!;
      const text = i32[(i32[(root + 12) >> 2]! + 12) >> 2]!;
      expect(i32[(text + 4) >> 2]).toBe(3);
      expect(i32[(text + 40) >> 2]).toBe(text + 44);
    } finally {
      doc.dispose();
    }
  });

  it('names the elements of a document right after its parser context was renewed (a new dictionary)', () => {
    const source = bytes(
      '<Bericht xmlns="urn:a"><Header><Code>1</Code></Header><Client><Bsn>2</Bsn></Client></Bericht>',
    );
    const kept = parseXml(source);
    try {
      const before = shape(toTree(kept));
      // More documents than the parser context serves (1000), each with names of its own.
      for (let i = 0; i < 1100; i++)
        parseXml(bytes(`<Other${i} xmlns="urn:b"><Ander${i}>x</Ander${i}></Other${i}>`)).dispose();
      expect(shape(toTree(kept))).toEqual(before);
      const fresh = parseXml(source);
      expect(shape(toTree(fresh))).toEqual(before);
      fresh.dispose();
    } finally {
      kept.dispose();
    }
  });

  it('finds descendants and paths from the index as a walk of the tree does, in document order', () => {
    const root = parseToTree('<r><x><y><x><y/></x></y></x><z><y/><x><y><y/></y></x></z><y/></r>');
    const walk = (n: XNode, name: string, out: XNode[] = []): XNode[] => {
      for (const c of n.children) {
        if (c.name === name) out.push(c);
        walk(c, name, out);
      }
      return out;
    };
    const all = [root, ...walk(root, 'x'), ...walk(root, 'y'), ...walk(root, 'z')];
    for (const n of all)
      for (const name of ['x', 'y', 'z', 'r', 'q']) expect(descendants(n, name)).toEqual(walk(n, name));
    const xy = select(root, 'x/y');
    expect(xy).toEqual(walk(root, 'y').filter((y) => y.parent?.name === 'x'));
    expect(xy.length).toBe(3);
    expect(select(root.children[1]!, 'x/y').length).toBe(1);
  });

  it("keeps each tree's index when later documents of the same parser context bring new names", () => {
    const walk = (n: XNode, name: string, out: XNode[] = []): XNode[] => {
      for (const c of n.children) {
        if (c.name === name) out.push(c);
        walk(c, name, out);
      }
      return out;
    };
    const first = parseToTree('<r><a><b/></a><b/><c><a/></c></r>');
    // Later documents: names of the first, and new ones (numbered after the first tree was built).
    const later = [0, 1, 2, 3].map((i) => parseToTree(`<r><n${i}><b/><a/></n${i}><c/><m${i}/></r>`));
    for (const [root, names] of [
      [first, ['a', 'b', 'c', 'r', 'n0', 'm3']],
      ...later.map((t, i) => [t, ['a', 'b', 'c', `n${i}`, `m${i}`, 'n9']] as const),
    ] as const) {
      for (const name of names) expect(descendants(root, name)).toEqual(walk(root, name));
      expect(root.index.get('n0') ?? []).toEqual(root === later[0] ? walk(root, 'n0') : []);
    }
  });

  it('indexes a document whose names are not dictionary strings (XML_PARSE_NODICT: one address per element)', () => {
    const source = bytes('<r><a><b/></a><b><a/></b><b/></r>');
    const doc = XmlDocument.fromBuffer(source, { option: ParseOption.XML_PARSE_NODICT });
    try {
      const ptr = (doc as unknown as { _ptr: number })._ptr;
      const root = buildTree({ ptr, generation: 0, blanksDropped: false, mixedTextRead: false });
      expect(descendants(root, 'b').map((n) => n.pos)).toEqual([2, 3, 5]);
      expect(descendants(root, 'a').map((n) => n.pos)).toEqual([1, 4]);
      expect(shape(root)).toEqual(shape(parseToTree(source)));
    } finally {
      doc.dispose();
    }
  });
});
