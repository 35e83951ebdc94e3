/** Verdicts of the official reference schemas (libxml2-wasm reading ../shared/reference from disk). */
import fs from 'node:fs';
import path from 'node:path';
import { ParseOption, XmlDocument, XsdValidator } from 'libxml2-wasm';
import { xmlRegisterFsInputProviders } from 'libxml2-wasm/lib/nodejs.mjs';
import { referenceDir } from './reference.ts';

let registered = false;
const compiled = new Map<string, XsdValidator>();

/** The official schema at a path below the reference folder, compiled once. */
export function officialSchema(relativePath: string): XsdValidator {
  if (!registered) registered = xmlRegisterFsInputProviders();
  let v = compiled.get(relativePath);
  if (!v) {
    const file = path.join(referenceDir, relativePath);
    v = XsdValidator.fromDoc(XmlDocument.fromBuffer(fs.readFileSync(file), { url: file }));
    compiled.set(relativePath, v);
  }
  return v;
}

/** True when the official schema accepts the document (false also when it is not well-formed). */
export function officialVerdict(relativeXsd: string, xml: string | Uint8Array): boolean {
  const buf = typeof xml === 'string' ? Buffer.from(xml) : xml;
  let doc: XmlDocument;
  try {
    doc = XmlDocument.fromBuffer(buf, { option: ParseOption.XML_PARSE_NONET | ParseOption.XML_PARSE_NO_XXE });
  } catch {
    return false;
  }
  try {
    officialSchema(relativeXsd).validate(doc);
    return true;
  } catch {
    return false;
  } finally {
    doc.dispose();
  }
}

/** The official iWmo/iJw examples: [standard folder, message name, example path relative to the reference]. */
export function istandaardExamples(): { dir: 'wmo' | 'jw'; name: string; xml: string; xsd: string }[] {
  const out: { dir: 'wmo' | 'jw'; name: string; xml: string; xsd: string }[] = [];
  for (const dir of ['wmo', 'jw'] as const) {
    const folder = path.join(referenceDir, 'istandaarden-3.2', dir);
    for (const f of fs
      .readdirSync(folder)
      .filter((n) => n.endsWith('.xml'))
      .sort()) {
      const name = f.replace(/\.xml$/, '');
      out.push({ dir, name, xml: `istandaarden-3.2/${dir}/${f}`, xsd: `istandaarden-3.2/${dir}/${name}.xsd` });
    }
  }
  return out;
}
