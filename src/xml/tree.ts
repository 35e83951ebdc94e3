/**
 * A light, read-only JavaScript view of a parsed document: built once per bericht from the libxml2 tree
 * and shared by recognition and the technical rules, so the XML is never parsed twice.
 */
export interface XNode {
  /** Local name. */
  name: string;
  /** Namespace URI ('' when none). */
  ns: string;
  /** 1-based source line of the start tag. */
  line: number;
  /** Concatenated direct text content, with XML whitespace (space, tab, CR, LF) trimmed from both ends. */
  text: string;
  attrs: Record<string, string>;
  children: XNode[];
  parent: XNode | null;
  /** Position in document order (the root is 0). */
  pos: number;
  /** Position of the last element below this one (its own when it has none). */
  end: number;
  /** Every element of the document by local name, in document order (one index shared by the whole tree). */
  index: NameIndex;
}

/** The elements of a document by local name, in document order (a ReadonlyMap is one). */
export interface NameIndex {
  get(name: string): readonly XNode[] | undefined;
}

/** First child element with this local name. */
export function child(node: XNode | null | undefined, name: string): XNode | undefined {
  if (!node) return undefined;
  for (const c of node.children) if (c.name === name) return c;
  return undefined;
}

/** All child elements with this local name. */
export function children(node: XNode | null | undefined, name: string): XNode[] {
  return node ? node.children.filter((c) => c.name === name) : [];
}

/** Follows a path of local names (`a/b/c`) from node; undefined when any step is missing. */
export function at(node: XNode | null | undefined, path: string): XNode | undefined {
  let cur: XNode | undefined = node ?? undefined;
  for (const step of stepsOf(path)) {
    if (!step) continue;
    cur = child(cur, step);
    if (!cur) return undefined;
  }
  return cur;
}

const STEPS = new Map<string, readonly string[]>();

/** The steps of a path, split once: the rules ask for the same few paths in every bericht. */
export function stepsOf(path: string): readonly string[] {
  let steps = STEPS.get(path);
  if (!steps) {
    steps = path.split('/');
    if (STEPS.size < 1024) STEPS.set(path, steps);
  }
  return steps;
}

/** Text of the element at path, or undefined. */
export function textAt(node: XNode | null | undefined, path: string): string | undefined {
  return at(node, path)?.text;
}

/** Every descendant element (depth first, document order) with this local name, from the document's index. */
export function descendants(node: XNode, name: string): XNode[] {
  const all = node.index.get(name);
  const out: XNode[] = [];
  if (!all) return out;
  for (const n of all) if (n.pos > node.pos && n.pos <= node.end) out.push(n);
  return out;
}

/** Element path from the root, local names with 1-based positions where siblings repeat: /Bericht/Client/Bsn. */
export function pathOf(node: XNode): string {
  const steps: string[] = [];
  for (let n: XNode | null = node; n; n = n.parent) {
    const p = n.parent;
    if (p) {
      const same = p.children.filter((c) => c.name === n!.name);
      steps.push(same.length > 1 ? `${n.name}[${same.indexOf(n) + 1}]` : n.name);
    } else steps.push(n.name);
  }
  return `/${steps.reverse().join('/')}`;
}
