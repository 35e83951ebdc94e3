/**
 * The validator parses without the whitespace-only texts between elements where that is safe (parse.ts `Blanks`,
 * validator.ts `withoutBlanks`), and keeps that verdict only when it must equal the one on the document as
 * written. Checked here against the document as written, which a comment after the root element forces (the
 * comment itself changes no verdict): the documents are the shipped WMO301 with the whitespace libxml2 would
 * drop placed where it matters — beside child elements of simple-typed elements, between the texts of a header
 * element with child elements, around CDATA and comments — and valid ones with more whitespace than usual.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BerichtValidator } from '../../src/validation/validator.ts';
import { SchemaPacks } from '../../src/xml/packs.ts';
import { parseXml, toLiveTree } from '../../src/xml/parse.ts';
import { child } from '../../src/xml/tree.ts';
import { projectRoot } from '../helpers/reference.ts';

const validator = new BerichtValidator(SchemaPacks.load(), { today: () => new Date('2026-12-10T10:00:00Z') });
const WMO301 = fs.readFileSync(path.join(projectRoot, 'examples/WMO301.xml'), 'utf8');
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

/** The verdict, and the verdict on the document as written (a trailing comment keeps every blank). */
function bothWays(xml: string): { verdict: unknown; asWritten: unknown } {
  return {
    verdict: validator.validate(bytes(xml), { retour: true }),
    asWritten: validator.validate(bytes(`${xml}\n<!-- as written -->\n`), { retour: true }),
  };
}

const replace = (from: string, to: string): string => {
  expect(WMO301).toContain(from);
  return WMO301.replace(from, to);
};

describe('the verdict when blanks between elements are dropped', () => {
  const cases: [string, string][] = [
    ['the example as it is', WMO301],
    ['blank lines and tabs between every element', WMO301.replace(/>\s*</g, '>\n\n\t  \n<')],
    ['no whitespace between elements at all', WMO301.replace(/>\s+</g, '><')],
    ['whitespace around a child element of a simple-typed Bsn', replace('999990019<', '  <x/>  <')],
    ['whitespace before a child element in BerichtCode', replace('>414<', '>  <y/>414<')],
    ['texts of Afzender split by child elements and whitespace', replace('>0363<', '><a/>03<b/>  <c/>63<')],
    [
      'a character reference, then whitespace between children of Afzender',
      replace('>0363<', '><a/>&#48;<b/>  <c/>363<'),
    ],
    ['a Bsn of whitespace only', replace('>999990019<', '>   <')],
    ['whitespace and a comment in the Bsn', replace('>999990019<', '> <!-- c --> <')],
    ['whitespace before CDATA in the Afzender', replace('>0363<', '> <![CDATA[0363]]><')],
    ['a processing instruction between elements', replace('<wmo301:Client>', '<?pi x?>\n  <wmo301:Client>')],
    [
      'an element inside the Header between blanks',
      replace('<wmo301:BerichtCode>', '  <wmo301:Extra/>  <wmo301:BerichtCode>'),
    ],
  ];
  for (const [name, xml] of cases) {
    it(`${name}: the same verdict as on the document as written`, () => {
      const { verdict, asWritten } = bothWays(xml);
      expect(verdict).toEqual(asWritten);
    });
  }

  it('keeps the example valid and judges the others', () => {
    expect(bothWays(WMO301).verdict).toMatchObject({ xsdValid: true, valid: true });
    expect(bothWays(replace('>0363<', '><a/>03<b/>  <c/>63<')).verdict).toMatchObject({ xsdValid: false });
  });
});

describe('parsing without blanks', () => {
  it('drops them only when no comment, CDATA or processing instruction follows the prolog', () => {
    const drops = (xml: string): boolean => {
      const doc = parseXml(bytes(xml), undefined, 'drop-where-safe');
      doc.dispose();
      return doc.blanksDropped;
    };
    expect(drops('<?xml version="1.0"?>\n<!-- prolog -->\n<a>\n  <b>x</b>\n</a>')).toBe(true);
    expect(drops('<a>\n  <b>x</b>\n</a>\n<!-- after -->')).toBe(false);
    expect(drops('<a>\n  <b><![CDATA[x]]></b>\n</a>')).toBe(false);
    expect(drops('<a>\n  <?pi?><b>x</b>\n</a>')).toBe(false);
    expect(drops('<a>\n  <b>x ! y ? z</b>\n</a>')).toBe(true);
    const marks = '!?'.repeat(100);
    expect(drops(`<a>\n  <b>${marks}</b>\n</a>`)).toBe(true);
    expect(drops(`<a>\n  <b>${marks}</b>\n</a><!-- c -->`)).toBe(false);
    expect(drops(`<a>\n  <b>${marks}</b>\n</a><?pi?>`)).toBe(false);
    const kept = parseXml(bytes('<a>\n  <b>x</b>\n</a>'));
    kept.dispose();
    expect(kept.blanksDropped).toBe(false);
  });

  it('marks a read of the text of an element with child elements, and not of a leaf', () => {
    const doc = parseXml(bytes('<a>\n  <b>x</b>\n  <c>y<d/>z</c>\n</a>'), undefined, 'drop-where-safe');
    try {
      const root = toLiveTree(doc);
      expect(child(root, 'b')?.text).toBe('x');
      expect(root.text).toBe('');
      expect(doc.mixedTextRead).toBe(false);
      expect(child(root, 'c')?.text).toBe('yz');
      expect(doc.mixedTextRead).toBe(true);
    } finally {
      doc.dispose();
    }
  });

  it('refuses a first read of a text of a live tree after its document was disposed', () => {
    const doc = parseXml(bytes('<a><b>x</b><c>y</c></a>'));
    const root = toLiveTree(doc);
    expect(child(root, 'b')?.text).toBe('x');
    doc.dispose();
    expect(child(root, 'b')?.text).toBe('x');
    expect(() => child(root, 'c')?.text).toThrow(/after its document was disposed/);
  });
});
