import { child, pathOf, textAt, type XNode } from '../xml/tree.ts';
import { type Catalogue, catalogue as defaultCatalogue } from './catalogue.ts';
import { GGK_NS, JZ0100_NS, STUF0301_NS } from './data/stuf.ts';
import type { CatalogueEntry } from './types.ts';

export type RecognitionCode =
  | 'UNKNOWN_NAMESPACE'
  | 'UNKNOWN_ROOT'
  | 'UNSUPPORTED_RELEASE'
  | 'BERICHTCODE_MISMATCH'
  | 'STUF_BERICHTCODE_MISMATCH'
  | 'FUNCTIE_MISMATCH';

export type Recognition =
  | { ok: true; entry: CatalogueEntry }
  | { ok: false; code: RecognitionCode; reason: string; node: XNode };

const ISTANDAARD_NS = /^http:\/\/www\.istandaarden\.nl\/(iwmo|ijw|ieb|ipgb)\/(\d+)_(\d+)\/((?:wmo|jw)\d{3})\/schema$/;

/**
 * What the root element's namespace and local name alone say: the entry (then only the header code is left to
 * check, `istandaard` telling which header) or why no entry fits. It is the same for every bericht with that
 * root, so it is worked out once per catalogue and (namespace, local name): recognising a bericht is then one
 * lookup and the header check.
 */
type RootStep =
  | { ok: true; entry: CatalogueEntry; istandaard: boolean }
  | { ok: false; code: RecognitionCode; reason: string };

/** Roots remembered per catalogue; a root beyond this many (names a sender made up) is worked out each time. */
const MAX_ROOTS = 512;

interface RootCache {
  size: number;
  byNamespace: Map<string, Map<string, RootStep>>;
}

const ROOTS = new WeakMap<Catalogue, RootCache>();

/** The root step of (ns, name) in a catalogue, from its cache (exported for the tests). */
export function rootStep(ns: string, name: string, cat: Catalogue = defaultCatalogue): RootStep {
  let cache = ROOTS.get(cat);
  if (!cache) {
    cache = { size: 0, byNamespace: new Map() };
    ROOTS.set(cat, cache);
  }
  let byName = cache.byNamespace.get(ns);
  let step = byName?.get(name);
  if (step === undefined) {
    step = stepOf(ns, name, cat);
    if (cache.size < MAX_ROOTS) {
      if (!byName) {
        byName = new Map();
        cache.byNamespace.set(ns, byName);
      }
      byName.set(name, step);
      cache.size++;
    }
  }
  return step;
}

/**
 * Finds the catalogue entry for a document from its root element, namespace and header code (BerichtCode or
 * StUF berichtcode/functie), and says exactly why when it cannot.
 */
export function recognise(root: XNode, cat: Catalogue = defaultCatalogue): Recognition {
  const step = rootStep(root.ns, root.name, cat);
  if (!step.ok) return { ok: false, code: step.code, reason: step.reason, node: root };
  return step.istandaard ? checkBerichtCode(root, step.entry, cat) : checkStuurgegevens(root, step.entry);
}

function stepOf(ns: string, rootName: string, cat: Catalogue): RootStep {
  const ist = ISTANDAARD_NS.exec(ns);
  if (ist) return istandaardStep(rootName, ist, cat);
  if (ns === JZ0100_NS || ns === STUF0301_NS || ns === GGK_NS) return stufStep(ns, rootName, cat);
  return {
    ok: false,
    code: 'UNKNOWN_NAMESPACE',
    reason: ns
      ? `root element {${ns}}${rootName} is in a namespace no known standard uses`
      : `root element ${rootName} has no namespace; every standard bericht is namespace-qualified`,
  };
}

function istandaardStep(rootName: string, m: RegExpExecArray, cat: Catalogue): RootStep {
  const [, standard, major, minor, local] = m as unknown as [string, string, string, string, string];
  const name = local.toUpperCase();
  const entry = cat.byName(name);
  const release = `${major}.${minor}`;
  if (!entry || entry.standard !== standard) {
    return { ok: false, code: 'UNKNOWN_NAMESPACE', reason: `${standard} has no message ${name}` };
  }
  if (entry.release !== release && entry.status === 'C') {
    return {
      ok: false,
      code: 'UNSUPPORTED_RELEASE',
      reason: `${name} release ${release} is not supported (this gateway carries ${standard} ${entry.release})`,
    };
  }
  if (rootName !== entry.rootElement) {
    return {
      ok: false,
      code: 'UNKNOWN_ROOT',
      reason: `${name} has root element ${entry.rootElement}, not ${rootName}`,
    };
  }
  return { ok: true, entry, istandaard: true };
}

function checkBerichtCode(root: XNode, entry: CatalogueEntry, cat: Catalogue): Recognition {
  const codeNode = child(child(root, 'Header'), 'BerichtCode');
  if (entry.berichtCode && codeNode && codeNode.text !== entry.berichtCode) {
    const other = cat.byBerichtCode(entry.standard, codeNode.text);
    return {
      ok: false,
      code: 'BERICHTCODE_MISMATCH',
      reason:
        `BerichtCode ${codeNode.text} does not match the namespace of ${entry.name} (expects ${entry.berichtCode})` +
        (other ? `; ${codeNode.text} is the code of ${other.name}` : ''),
      node: codeNode,
    };
  }
  return { ok: true, entry };
}

function stufStep(ns: string, rootName: string, cat: Catalogue): RootStep {
  const entry = cat.byRoot(ns, rootName)[0];
  if (!entry) {
    return { ok: false, code: 'UNKNOWN_ROOT', reason: `{${ns}}${rootName} is not a message root of this namespace` };
  }
  return { ok: true, entry, istandaard: false };
}

function checkStuurgegevens(root: XNode, entry: CatalogueEntry): Recognition {
  const stuurgegevens = child(root, 'stuurgegevens');
  const berichtcodeNode = child(stuurgegevens, 'berichtcode');
  if (entry.stufBerichtcode && berichtcodeNode && berichtcodeNode.text !== entry.stufBerichtcode) {
    return {
      ok: false,
      code: 'STUF_BERICHTCODE_MISMATCH',
      reason: `stuurgegevens/berichtcode is ${berichtcodeNode.text}, but ${root.name} requires ${entry.stufBerichtcode}`,
      node: berichtcodeNode,
    };
  }
  const functie = textAt(stuurgegevens, 'functie');
  if (entry.functie && functie !== undefined && functie !== entry.functie) {
    return {
      ok: false,
      code: 'FUNCTIE_MISMATCH',
      reason: `stuurgegevens/functie is ${functie}, but the root element is ${root.name}`,
      node: child(stuurgegevens, 'functie') ?? root,
    };
  }
  return { ok: true, entry };
}

/** Human-readable location for a recognition failure. */
export function recognitionPath(r: Extract<Recognition, { ok: false }>): string {
  return pathOf(r.node);
}
