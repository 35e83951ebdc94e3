import { XmlNodeSetStruct, xmlDocGetRootElement, xmlNodeGetContent } from 'libxml2-wasm/lib/libxml2.mjs';
import type { XNode } from './tree.ts';

/**
 * Builds the light JS tree (tree.ts) of a parsed document in one walk over libxml2's own tree, reading its
 * structs straight from the wasm memory: no call into wasm or through the library's accessors per node, element
 * and attribute names decoded once per name (libxml2 keeps them in its dictionary, so a name has one address)
 * and whitespace between elements never decoded at all. The same walk numbers the elements in document order
 * and indexes them by name, which is what the technical rules search by (tree.ts: descendants, select).
 *
 * The struct offsets are libxml2's on wasm32 (pointers of 4 bytes), as libxml2-wasm's own accessors read them:
 * xmlNode { _private 0, type 4, name 8, children 12, last 16, parent 20, next 24, prev 28, doc 32, ns 36,
 * content 40, properties 44, nsDef 48, psvi 52, line 56 (unsigned short) }, xmlAttr the same up to ns,
 * xmlNs { next 0, type 4, href 8, prefix 12 }.
 */
/**
 * What the walk needs of a parsed document (parse.ts `ParsedXml`, named structurally so that parse.ts can import
 * this module without a circle): its libxml2 address and the parser context's generation.
 */
export interface ParsedDocument {
  readonly ptr: number;
  readonly generation: number;
}

export function buildTree(doc: ParsedDocument): XNode {
  const walker = new Walker(memory(), namesOf(doc.generation));
  return walker.element(xmlDocGetRootElement(doc.ptr) as number, null);
}

const ELEMENT = 1;
const TEXT = 3;
const CDATA = 4;

/** Node's Buffer slicers (what toString calls after checking its arguments); not in @types/node. */
interface Slicing {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
}

interface Memory {
  u8: Uint8Array;
  i32: Int32Array;
  u16: Uint16Array;
  bytes: Slicing;
}

let views: Memory | null = null;

/**
 * Views on libxml2's wasm memory. The library exposes none directly; XmlNodeSetStruct.nodeTable returns a view
 * on it (an empty one here), whose buffer is the memory. When the memory grows its buffer is replaced (the old
 * one is detached), so the views are checked on every document; nothing grows it while a tree is read.
 */
function memory(): Memory {
  const buffer = (XmlNodeSetStruct.nodeTable(0, 0) as Int32Array).buffer as ArrayBuffer;
  if (!views || views.u8.buffer !== buffer) {
    views = {
      u8: new Uint8Array(buffer),
      i32: new Int32Array(buffer),
      u16: new Uint16Array(buffer),
      bytes: Buffer.from(buffer) as unknown as Slicing,
    };
  }
  return views;
}

/**
 * Element and attribute names by address, for the documents of one parser context. With dictionary names (the
 * parser's default, which parse.ts keeps) every such name is a string of the context's dictionary, which never
 * frees one and lives as long as any document of the context: within a generation an address always spells the
 * same name. A document of another generation than the newest gets a cache of its own.
 */
let names = { generation: -1, byAddress: new Map<number, string>() };

function namesOf(generation: number): Map<number, string> {
  if (generation === 0) return new Map();
  if (names.generation !== generation) {
    if (generation < names.generation) return new Map();
    names = { generation, byAddress: new Map() };
  }
  return names.byAddress;
}

class Walker {
  private u8!: Uint8Array;
  private i32!: Int32Array;
  private u16!: Uint16Array;
  private bytes!: Slicing;
  private readonly index = new Map<string, XNode[]>();
  /** Namespace names by the address of their xmlNs: those are the document's own (not dictionary) strings. */
  private readonly namespaces = new Map<number, string>();
  private pos = 0;

  constructor(
    mem: Memory,
    private readonly names: Map<number, string>,
  ) {
    this.viewsOf(mem);
  }

  element(ptr: number, parent: XNode | null): XNode {
    // this.i32, not a local copy: reading an attribute may replace the views (see attr).
    const nsPtr = this.i32[(ptr + 36) >> 2]!;
    const name = this.name(this.i32[(ptr + 8) >> 2]!);
    const node: XNode = {
      name,
      ns: nsPtr ? this.namespace(nsPtr) : '',
      line: this.u16[(ptr + 56) >> 1]!,
      text: '',
      attrs: {},
      children: [],
      parent,
      pos: this.pos++,
      end: 0,
      index: this.index,
    };
    const same = this.index.get(name);
    if (same) same.push(node);
    else this.index.set(name, [node]);
    for (let a = this.i32[(ptr + 44) >> 2]!; a; a = this.i32[(a + 24) >> 2]!)
      node.attrs[this.name(this.i32[(a + 8) >> 2]!)] = this.attr(a);
    let text = '';
    for (let c = this.i32[(ptr + 12) >> 2]!; c; c = this.i32[(c + 24) >> 2]!) {
      const type = this.i32[(c + 4) >> 2]!;
      if (type === ELEMENT) node.children.push(this.element(c, node));
      else if (type === TEXT || type === CDATA) {
        const p = this.i32[(c + 40) >> 2]!;
        // Whitespace before any content is trimmed anyway: leave it undecoded.
        if (p && (text !== '' || !this.blank(p))) text += this.string(p);
      }
    }
    node.text = trimXmlWhitespace(text);
    node.end = this.pos - 1;
    return node;
  }

  /** An attribute's value: its one text child, as the parser makes it (libxml2 builds the rest otherwise). */
  private attr(a: number): string {
    const i32 = this.i32;
    const c = i32[(a + 12) >> 2]!;
    if (!c) return '';
    if (i32[(c + 24) >> 2] === 0 && i32[(c + 4) >> 2] === TEXT) {
      const p = i32[(c + 40) >> 2]!;
      return p ? this.string(p) : '';
    }
    const value = xmlNodeGetContent(a) as string;
    // That call allocated in the wasm heap, which may have grown it and so replaced its buffer.
    this.viewsOf(memory());
    return value;
  }

  private viewsOf(mem: Memory): void {
    this.u8 = mem.u8;
    this.i32 = mem.i32;
    this.u16 = mem.u16;
    this.bytes = mem.bytes;
  }

  private name(p: number): string {
    let s = this.names.get(p);
    if (s === undefined) {
      s = this.string(p);
      this.names.set(p, s);
    }
    return s;
  }

  private namespace(nsPtr: number): string {
    let s = this.namespaces.get(nsPtr);
    if (s === undefined) {
      const href = this.i32[(nsPtr + 8) >> 2]!;
      s = href ? this.string(href) : '';
      this.namespaces.set(nsPtr, s);
    }
    return s;
  }

  /** Whether the NUL-terminated string at p is XML whitespace only. */
  private blank(p: number): boolean {
    const u8 = this.u8;
    for (let b = u8[p]!; b !== 0; b = u8[++p]!) if (b !== 0x20 && b !== 0x0a && b !== 0x09 && b !== 0x0d) return false;
    return true;
  }

  /** The NUL-terminated UTF-8 string at p. */
  private string(p: number): string {
    const u8 = this.u8;
    let e = p;
    let ascii = true;
    for (let b = u8[e]!; b !== 0; b = u8[++e]!) if (b >= 0x80) ascii = false;
    // Buffer's own slicers, without toString's argument checks: this runs for every text and name.
    return ascii ? this.bytes.latin1Slice(p, e) : this.bytes.utf8Slice(p, e);
  }
}

/**
 * Strips XML whitespace (space, tab, CR, LF) from both ends, and nothing else: String.prototype.trim also takes
 * U+FEFF, U+00A0, U+2028 …, which XSD counts as content (an Identificatie of one U+FEFF is schema-valid, and a
 * rule or retour that saw it as empty would disagree with the schema).
 */
function trimXmlWhitespace(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isXmlSpace(s.charCodeAt(start))) start++;
  while (end > start && isXmlSpace(s.charCodeAt(end - 1))) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

function isXmlSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}
