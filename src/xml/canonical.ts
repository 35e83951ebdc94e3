import type { XmlDocument, XmlNode, XmlOutputBufferHandler } from 'libxml2-wasm';
import { canonicalizeSubtree, XmlC14NMode } from 'libxml2-wasm/lib/c14n.mjs';
import { XmlTreeCommonStruct, xmlDocGetRootElement } from 'libxml2-wasm/lib/libxml2.mjs';
import type { ParsedXml } from './parse.ts';

const ELEMENT = 1;
const node_ = XmlTreeCommonStruct as unknown as {
  type(p: number): number;
  children(p: number): number;
  next(p: number): number;
};

/**
 * One element of a parsed document as a standalone document: Canonical XML 1.0 (inclusive) of its subtree, so
 * every namespace in scope (also those declared on its ancestors, such as a SOAP Envelope) is declared on it.
 * Comments are dropped; the result is UTF-8 without an XML declaration.
 *
 * `path` gives the element by position: the indexes among element children, from the root element down
 * (`[1, 0]`: the root's second element child, then that one's first).
 */
export function canonicalElement(doc: ParsedXml, path: readonly number[]): Buffer {
  let ptr = xmlDocGetRootElement(doc.ptr) as number;
  for (const index of path) {
    ptr = elementChildAt(ptr, index);
    if (!ptr) throw new Error(`no element at position ${path.join('/')}`);
  }
  const chunks: Buffer[] = [];
  const handler: XmlOutputBufferHandler = {
    write(buf: Uint8Array) {
      chunks.push(Buffer.from(buf));
      return buf.byteLength;
    },
    close() {
      return true;
    },
  };
  // The library's subtree helper only reads the document and node pointers of its wrapper arguments.
  canonicalizeSubtree(handler, { _ptr: doc.ptr } as unknown as XmlDocument, { _nodePtr: ptr } as unknown as XmlNode, {
    mode: XmlC14NMode.XML_C14N_1_0,
  });
  return Buffer.concat(chunks);
}

function elementChildAt(parent: number, index: number): number {
  let seen = 0;
  for (let c = node_.children(parent); c; c = node_.next(c)) {
    if (node_.type(c) !== ELEMENT) continue;
    if (seen === index) return c;
    seen++;
  }
  return 0;
}
