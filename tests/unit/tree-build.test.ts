/**
 * The light tree read straight from libxml2's memory (src/xml/tree-build.ts): names, namespaces, text and
 * attributes as the document has them, names right across a renewed parser context (the name cache is per
 * dictionary), and the element index that descendants() and select() search.
 */
import { describe, expect, it } from 'vitest';
import { select } from '../../src/rules/istandaarden/messages.ts';
import { parseToTree, parseXml, toTree } from '../../src/xml/parse.ts';
import { descendants, type XNode } from '../../src/xml/tree.ts';

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
});
