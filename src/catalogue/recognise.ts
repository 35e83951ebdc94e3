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
 * Finds the catalogue entry for a document from its root element, namespace and header code (BerichtCode or
 * StUF berichtcode/functie), and says exactly why when it cannot.
 */
export function recognise(root: XNode, cat: Catalogue = defaultCatalogue): Recognition {
  const ist = ISTANDAARD_NS.exec(root.ns);
  if (ist) return recogniseIstandaard(root, ist, cat);
  if (root.ns === JZ0100_NS || root.ns === STUF0301_NS || root.ns === GGK_NS) return recogniseStuf(root, cat);
  return {
    ok: false,
    code: 'UNKNOWN_NAMESPACE',
    reason: root.ns
      ? `root element {${root.ns}}${root.name} is in a namespace no known standard uses`
      : `root element ${root.name} has no namespace; every standard bericht is namespace-qualified`,
    node: root,
  };
}

function recogniseIstandaard(root: XNode, m: RegExpExecArray, cat: Catalogue): Recognition {
  const [, standard, major, minor, local] = m as unknown as [string, string, string, string, string];
  const name = local.toUpperCase();
  const entry = cat.byName(name);
  const release = `${major}.${minor}`;
  if (!entry || entry.standard !== standard) {
    return { ok: false, code: 'UNKNOWN_NAMESPACE', reason: `${standard} has no message ${name}`, node: root };
  }
  if (entry.release !== release && entry.status === 'C') {
    return {
      ok: false,
      code: 'UNSUPPORTED_RELEASE',
      reason: `${name} release ${release} is not supported (this gateway carries ${standard} ${entry.release})`,
      node: root,
    };
  }
  if (root.name !== entry.rootElement) {
    return {
      ok: false,
      code: 'UNKNOWN_ROOT',
      reason: `${name} has root element ${entry.rootElement}, not ${root.name}`,
      node: root,
    };
  }
  const codeNode = child(child(root, 'Header'), 'BerichtCode');
  if (entry.berichtCode && codeNode && codeNode.text !== entry.berichtCode) {
    const other = cat.byBerichtCode(entry.standard, codeNode.text);
    return {
      ok: false,
      code: 'BERICHTCODE_MISMATCH',
      reason:
        `BerichtCode ${codeNode.text} does not match the namespace of ${name} (expects ${entry.berichtCode})` +
        (other ? `; ${codeNode.text} is the code of ${other.name}` : ''),
      node: codeNode,
    };
  }
  return { ok: true, entry };
}

function recogniseStuf(root: XNode, cat: Catalogue): Recognition {
  const candidates = cat.byRoot(root.ns, root.name);
  const entry = candidates[0];
  if (!entry) {
    return {
      ok: false,
      code: 'UNKNOWN_ROOT',
      reason: `{${root.ns}}${root.name} is not a message root of this namespace`,
      node: root,
    };
  }
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
