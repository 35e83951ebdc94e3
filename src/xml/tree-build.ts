import { XmlNodeSetStruct, xmlDocGetRootElement, xmlNodeGetContent } from 'libxml2-wasm/lib/libxml2.mjs';
import type { NameIndex, XNode } from './tree.ts';

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
  /** Parsed without whitespace-only texts between elements (parse.ts `Blanks`). */
  readonly blanksDropped: boolean;
  /** Set here when, with blanksDropped, a text of an element with child elements is read. */
  mixedTextRead: boolean;
}

/**
 * The tree of a parsed document. With `texts: 'when-read'` an element's text is decoded from libxml2's memory the
 * first time it is read (a bericht's rules read about a fifth of its texts), so the tree serves only while the
 * document lives: reading a text not read before after `dispose` throws. With `'now'` (the default) every text
 * is decoded in the walk and the tree outlives the document.
 */
export function buildTree(doc: ParsedDocument, texts: 'now' | 'when-read' = 'now'): XNode {
  const walker = new Walker(memory(), namesOf(doc.generation), doc, texts === 'when-read');
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
 * one is detached, its views then have length 0), so the views are checked whenever memory is read after a call
 * into wasm.
 */
function memory(): Memory {
  // A grown memory detaches its old buffer (length 0): only then is the new one looked up.
  if (views && views.u8.byteLength !== 0) return views;
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
 * same name. parse.ts keeps two contexts (with and without blanks), so the caches of the newest few contexts are
 * kept; a document of an older one (still alive after its context was renewed) gets a cache of its own.
 */
/** A name, and where the walk that saw it last keeps the elements of that name. */
interface NameEntry {
  readonly name: string;
  /** The walk (Walker.id) that last indexed an element of this name, and its list's place in that walk. */
  walk: number;
  slot: number;
}

/**
 * The names of one context: by address (what the walk reads) and by name (what the index is asked for). A walk
 * keeps its index as an array of lists, found through the entries: no map is built per document.
 */
interface Names {
  readonly byAddress: Map<number, NameEntry>;
  readonly byName: Map<string, NameEntry>;
}

const names = new Map<number, Names>();
const NAME_CACHES = 4;

function newNames(): Names {
  return { byAddress: new Map(), byName: new Map() };
}

function namesOf(generation: number): Names {
  if (generation === 0) return newNames();
  let byAddress = names.get(generation);
  if (!byAddress) {
    byAddress = newNames();
    if (names.size >= NAME_CACHES) {
      const oldest = Math.min(...names.keys());
      if (generation < oldest) return byAddress;
      names.delete(oldest);
    }
    names.set(generation, byAddress);
  }
  return byAddress;
}

/**
 * One walk's index: its element lists, found through the name's entry while that entry is still this walk's (no
 * later walk has indexed the name). A tree asked after a later walk did (a tree kept past the next bericht, or an
 * envelope's while its payload is judged) sorts its lists by name once.
 */
class WalkIndex implements NameIndex {
  private byListName: Map<string, XNode[]> | null = null;

  constructor(
    private readonly byName: Map<string, NameEntry>,
    private readonly lists: XNode[][],
    private readonly id: number,
  ) {}

  get(name: string): readonly XNode[] | undefined {
    const e = this.byName.get(name);
    if (e === undefined) return undefined;
    if (e.walk === this.id) return this.lists[e.slot];
    if (!this.byListName) {
      this.byListName = new Map();
      for (const list of this.lists) this.byListName.set(list[0]!.name, list);
    }
    return this.byListName.get(name);
  }
}

/** What an element without attributes or child elements holds: one shared, frozen record and list. */
const NO_ATTRS: Record<string, string> = Object.freeze({}) as Record<string, string>;
const NO_CHILDREN: XNode[] = Object.freeze([]) as unknown as XNode[];

/**
 * An element of the tree. Its text is either decoded in the walk or, for a tree of a live document, on the first
 * read from the libxml2 element it was built from (`ptr`, valid while `doc.ptr` is not 0).
 */
class Element implements XNode {
  constructor(
    public name: string,
    public ns: string,
    public line: number,
    public attrs: Record<string, string>,
    public children: XNode[],
    public parent: XNode | null,
    public pos: number,
    public end: number,
    public index: NameIndex,
    /** The text once decoded (undefined: not yet). */
    public decoded: string | undefined,
    private readonly ptr: number,
    private readonly doc: ParsedDocument,
  ) {}

  get text(): string {
    const t = this.decoded;
    return t !== undefined ? t : this.decode();
  }

  private decode(): string {
    if (this.doc.ptr === 0) throw new Error(`the text of <${this.name}> was read after its document was disposed`);
    if (this.doc.blanksDropped && this.children.length > 0) this.doc.mixedTextRead = true;
    const mem = memory();
    const t = trimXmlWhitespace(directText(mem, this.ptr));
    this.decoded = t;
    return t;
  }
}

/**
 * The concatenated text and CDATA children of the element at ptr, as they are (not trimmed); whitespace before
 * any content is left undecoded, as trimming drops it anyway.
 */
function directText(mem: Memory, ptr: number): string {
  const i32 = mem.i32;
  let text = '';
  for (let c = i32[(ptr + 12) >> 2]!; c; c = i32[(c + 24) >> 2]!) {
    const type = i32[(c + 4) >> 2]!;
    if (type === TEXT || type === CDATA) {
      const p = i32[(c + 40) >> 2]!;
      if (p && (text !== '' || !blank(mem.u8, p))) text += decodeString(mem, p);
    }
  }
  return text;
}

/** Whether the NUL-terminated string at p is XML whitespace only. */
function blank(u8: Uint8Array, p: number): boolean {
  for (let b = u8[p]!; b !== 0; b = u8[++p]!) if (b !== 0x20 && b !== 0x0a && b !== 0x09 && b !== 0x0d) return false;
  return true;
}

/** The NUL-terminated UTF-8 string at p. */
function decodeString(mem: Memory, p: number): string {
  const u8 = mem.u8;
  let e = p;
  let ascii = true;
  for (let b = u8[e]!; b !== 0; b = u8[++e]!) if (b >= 0x80) ascii = false;
  // Buffer's own slicers, without toString's argument checks: this runs for every text and name.
  return ascii ? mem.bytes.latin1Slice(p, e) : mem.bytes.utf8Slice(p, e);
}

let walks = 0;

class Walker {
  private mem: Memory;
  /** This walk's number, and the element lists of its index by NameEntry.slot. */
  private readonly id = ++walks;
  private readonly lists: XNode[][] = [];
  private readonly index: WalkIndex;
  /**
   * Namespace names by the address of their xmlNs: those are the document's own (not dictionary) strings. A
   * bericht's elements use one or two namespaces, mostly in runs: the last one is kept at hand.
   */
  private namespaces: Map<number, string> | null = null;
  private lastNs = 0;
  private lastNsName = '';
  private pos = 0;

  /** @param lazy whether texts are read when first asked (false: decoded in the walk). */
  constructor(
    mem: Memory,
    private readonly names: Names,
    private readonly doc: ParsedDocument,
    private readonly lazy: boolean,
  ) {
    this.mem = mem;
    this.index = new WalkIndex(names.byName, this.lists, this.id);
  }

  element(ptr: number, parent: XNode | null): XNode {
    // this.mem, not a local copy: reading an attribute may replace the views (see attr).
    const i32 = this.mem.i32;
    const nsPtr = i32[(ptr + 36) >> 2]!;
    const entry = this.entry(i32[(ptr + 8) >> 2]!);
    const name = entry.name;
    const node = new Element(
      name,
      nsPtr ? this.namespace(nsPtr) : '',
      this.mem.u16[(ptr + 56) >> 1]!,
      NO_ATTRS,
      NO_CHILDREN,
      parent,
      this.pos++,
      0,
      this.index,
      undefined,
      ptr,
      this.doc,
    );
    // The index by name, found through the name's entry: one lookup by address per element, none by name.
    if (entry.walk === this.id) this.lists[entry.slot]!.push(node);
    else {
      entry.walk = this.id;
      entry.slot = this.lists.push([node]) - 1;
    }
    let a = i32[(ptr + 44) >> 2]!;
    if (a) {
      const attrs: Record<string, string> = {};
      for (; a; a = this.mem.i32[(a + 24) >> 2]!) attrs[this.entry(this.mem.i32[(a + 8) >> 2]!).name] = this.attr(a);
      node.attrs = attrs;
    }
    let children: XNode[] | null = null;
    let hasText = false;
    // Views read again only after what may replace them: a child's walk (its attributes).
    let view = this.mem.i32;
    for (let c = view[(ptr + 12) >> 2]!; c; c = view[(c + 24) >> 2]!) {
      const type = view[(c + 4) >> 2]!;
      if (type === ELEMENT) {
        const e = this.element(c, node);
        view = this.mem.i32;
        if (children) children.push(e);
        else children = [e];
      } else if (type === TEXT || type === CDATA) hasText = true;
    }
    if (children) node.children = children;
    if (!hasText) node.decoded = '';
    else if (!this.lazy) {
      // Decoded now: the tree outlives its document.
      node.decoded = trimXmlWhitespace(directText(this.mem, ptr));
      if (children && this.doc.blanksDropped) this.doc.mixedTextRead = true;
    }
    node.end = this.pos - 1;
    return node;
  }

  /** An attribute's value: its one text child, as the parser makes it (libxml2 builds the rest otherwise). */
  private attr(a: number): string {
    const i32 = this.mem.i32;
    const c = i32[(a + 12) >> 2]!;
    if (!c) return '';
    if (i32[(c + 24) >> 2] === 0 && i32[(c + 4) >> 2] === TEXT) {
      const p = i32[(c + 40) >> 2]!;
      return p ? decodeString(this.mem, p) : '';
    }
    const value = xmlNodeGetContent(a) as string;
    // That call allocated in the wasm heap, which may have grown it and so replaced its buffer.
    this.mem = memory();
    return value;
  }

  private entry(p: number): NameEntry {
    let e = this.names.byAddress.get(p);
    if (e === undefined) {
      const name = decodeString(this.mem, p);
      // A name at a second address (not a dictionary string) keeps its first number: one list per name.
      e = this.names.byName.get(name);
      if (e === undefined) {
        e = { name, walk: 0, slot: 0 };
        this.names.byName.set(name, e);
      }
      this.names.byAddress.set(p, e);
    }
    return e;
  }

  private namespace(nsPtr: number): string {
    if (nsPtr === this.lastNs) return this.lastNsName;
    this.namespaces ??= new Map();
    let s = this.namespaces.get(nsPtr);
    if (s === undefined) {
      const href = this.mem.i32[(nsPtr + 8) >> 2]!;
      s = href ? decodeString(this.mem, href) : '';
      this.namespaces.set(nsPtr, s);
    }
    this.lastNs = nsPtr;
    this.lastNsName = s;
    return s;
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
