/**
 * Turns official XSD files into the project's structural form of a schema pack: the same element and type
 * names, order, cardinalities, types, patterns and enumerations, but no documentation text (annotations,
 * comments, processing instructions), our own file names and formatting, and only pack-local references.
 */
import path from 'node:path';
import { ParseOption, type XmlAttribute, XmlDocument, type XmlElement } from 'libxml2-wasm';

export const XSD_NAMESPACE = 'http://www.w3.org/2001/XMLSchema';
export const XML_NAMESPACE = 'http://www.w3.org/XML/1998/namespace';
/** File name of the minimal XML-namespace schema a pack carries when one of its schemas uses xml: attributes. */
export const XML_NAMESPACE_SCHEMA_FILE = 'xml.xsd';

const PARSE_OPTIONS = ParseOption.XML_PARSE_NONET | ParseOption.XML_PARSE_NO_XXE;
const XS = { xs: XSD_NAMESPACE };
const REFERENCE_ELEMENTS = '//xs:import | //xs:include | //xs:redefine | //xs:override';
/** Attributes whose values are QNames (or lists of them) that point into a namespace. */
const QNAME_ATTRIBUTES = '//@type | //@base | //@ref | //@itemType | //@memberTypes | //@substitutionGroup | //@refer';
const URL_SCHEME = /^[a-z][a-z\d+.-]*:/i;
const SCHEMA_START = /<\?xml|<(?:[\w.-]+:)?schema[\s>/]/;

/** A schema file of an official distribution; `path` is its '/'-separated path inside the distribution. */
export interface SourceSchema {
  path: string;
  text: string;
}

/** Gives the pack file name for a source path, or undefined when the pack does not carry that file. */
export type PackNaming = (sourcePath: string) => string | undefined;

export interface AuthoredSchema {
  text: string;
  /** True when the schema uses xml: attributes and therefore imports {@link XML_NAMESPACE_SCHEMA_FILE}. */
  usesXmlNamespace: boolean;
  /** schemaLocations of imports that were removed because nothing in the schema refers to their namespace. */
  droppedImports: string[];
}

export interface AuthoredPack {
  /** Pack file name → schema text. */
  files: Map<string, string>;
  /** Per source path, the imports {@link authorSchema} removed. */
  droppedImports: Map<string, string[]>;
}

/** Removes a byte-order mark and anything else before the XML declaration or the schema element. */
export function stripPreamble(text: string): string {
  const start = text.search(SCHEMA_START);
  if (start < 0) throw new Error('no <?xml declaration or schema element found');
  return text.slice(start);
}

/** The project's name for an official file: its base name, without a `_resolvedNNNN` suffix; basisschema in lower case. */
export function packFileName(sourcePath: string): string {
  const base = path.posix.basename(normalisePath(sourcePath)).replace(/_resolved\d+(?=\.xsd$)/i, '');
  return base.toLowerCase() === 'basisschema.xsd' ? 'basisschema.xsd' : base;
}

/**
 * Naming for a flat pack holding the given source files. Look-ups are case-insensitive and accept backslashes,
 * because distributions disagree on both (`Basisschema.xsd`, `..\entiteiten\…`).
 */
export function createPackNaming(
  sourcePaths: readonly string[],
  fileName: (sourcePath: string) => string = packFileName,
): PackNaming {
  const names = new Map<string, string>();
  const taken = new Set<string>();
  for (const sourcePath of sourcePaths) {
    const name = fileName(sourcePath);
    if (taken.has(name.toLowerCase())) throw new Error(`two source files map to pack file ${name}`);
    taken.add(name.toLowerCase());
    names.set(lookupKey(sourcePath), name);
  }
  return (sourcePath) => names.get(lookupKey(sourcePath));
}

/** Authors every source of one pack; adds the minimal XML-namespace schema when a schema needs it. */
export function authorPack(
  sources: readonly SourceSchema[],
  naming: PackNaming = createPackNaming(sources.map((s) => s.path)),
): AuthoredPack {
  const files = new Map<string, string>();
  const droppedImports = new Map<string, string[]>();
  let usesXmlNamespace = false;
  for (const source of sources) {
    const name = naming(source.path);
    if (name === undefined || isXmlNamespaceSchema(source.text)) continue;
    const authored = authorSchema(source, naming);
    files.set(name, authored.text);
    usesXmlNamespace ||= authored.usesXmlNamespace;
    if (authored.droppedImports.length > 0) droppedImports.set(source.path, authored.droppedImports);
  }
  if (usesXmlNamespace) files.set(XML_NAMESPACE_SCHEMA_FILE, xmlNamespaceSchema());
  return { files, droppedImports };
}

/**
 * Authors one schema: strips documentation, comments, processing instructions and blank text, points every
 * schemaLocation at a pack file, and re-indents with two spaces.
 *
 * The XML namespace schema is never taken from a distribution (it is W3C's, often fetched from the network):
 * its import is pointed at {@link XML_NAMESPACE_SCHEMA_FILE} when the schema uses xml: attributes and dropped
 * otherwise. Other imports that leave the pack are dropped only when nothing refers to their namespace.
 */
export function authorSchema(source: SourceSchema, naming: PackNaming): AuthoredSchema {
  using doc = parseSchema(source.text);
  stripNonStructural(doc);
  const referenced = referencedNamespaces(doc);
  const usesXmlNamespace = referenced.has(XML_NAMESPACE);
  const droppedImports: string[] = [];
  for (const reference of schemaReferences(doc)) {
    const location = reference.attr('schemaLocation')?.value;
    const namespace = reference.attr('namespace')?.value;
    if (namespace === XML_NAMESPACE) {
      if (usesXmlNamespace) setSchemaLocation(reference, XML_NAMESPACE_SCHEMA_FILE);
      else dropReference(reference, location ?? XML_NAMESPACE, droppedImports);
      continue;
    }
    if (location === undefined) continue;
    const target = naming(resolveLocation(source.path, location));
    if (target !== undefined) {
      setSchemaLocation(reference, target);
    } else if (reference.name === 'import' && !referenced.has(namespace ?? '')) {
      dropReference(reference, location, droppedImports);
    } else {
      throw new Error(`${source.path}: ${reference.name} of ${location} points outside the pack`);
    }
  }
  return { text: serialise(doc), usesXmlNamespace, droppedImports };
}

/** A minimal schema for the XML namespace, declaring the attributes of the XML specification. */
export function xmlNamespaceSchema(): string {
  using doc = XmlDocument.fromString(
    `<xs:schema xmlns:xs="${XSD_NAMESPACE}" targetNamespace="${XML_NAMESPACE}">` +
      '<xs:attribute name="lang"><xs:simpleType><xs:union memberTypes="xs:language">' +
      '<xs:simpleType><xs:restriction base="xs:string"><xs:enumeration value=""/></xs:restriction></xs:simpleType>' +
      '</xs:union></xs:simpleType></xs:attribute>' +
      '<xs:attribute name="space"><xs:simpleType><xs:restriction base="xs:NCName">' +
      '<xs:enumeration value="default"/><xs:enumeration value="preserve"/></xs:restriction></xs:simpleType></xs:attribute>' +
      '<xs:attribute name="base" type="xs:anyURI"/>' +
      '<xs:attribute name="id" type="xs:ID"/>' +
      '<xs:attributeGroup name="specialAttrs"><xs:attribute ref="xml:base"/><xs:attribute ref="xml:lang"/>' +
      '<xs:attribute ref="xml:space"/><xs:attribute ref="xml:id"/></xs:attributeGroup>' +
      '</xs:schema>',
    { option: PARSE_OPTIONS },
  );
  return serialise(doc);
}

/** The version facts an iStandaarden schema carries in its appinfo (`BerichtXsdVersie`, `BasisschemaXsdVersie`, …). */
export function readAppinfoVersions(text: string): Record<string, string> {
  using doc = parseSchema(text);
  const versions: Record<string, string> = {};
  for (const node of doc.find('/xs:schema/xs:annotation/xs:appinfo/*', XS)) {
    const element = node as XmlElement;
    if (element.name.endsWith('Versie')) versions[element.name] = element.content.trim();
  }
  return versions;
}

/** Names of the global element declarations of a schema, in document order. */
export function globalElementNames(text: string): string[] {
  using doc = parseSchema(text);
  return doc.find('/xs:schema/xs:element/@name', XS).map((attr) => (attr as XmlAttribute).value);
}

/** The targetNamespace of a schema ('' when it has none). */
export function targetNamespaceOf(text: string): string {
  using doc = parseSchema(text);
  return doc.root.attr('targetNamespace')?.value ?? '';
}

/** The schemaLocations of a schema's imports, includes, redefines and overrides, as written. */
export function schemaLocations(text: string): string[] {
  using doc = parseSchema(text);
  return schemaReferences(doc).flatMap((reference) => reference.attr('schemaLocation')?.value ?? []);
}

/** Resolves a schemaLocation against the source path of the schema that contains it; URLs stay as they are. */
export function resolveLocation(fromPath: string, location: string): string {
  const normalised = normalisePath(location);
  if (URL_SCHEME.test(normalised)) return normalised;
  return path.posix.normalize(path.posix.join(path.posix.dirname(normalisePath(fromPath)), normalised));
}

function parseSchema(text: string): XmlDocument {
  return XmlDocument.fromString(stripPreamble(text), { option: PARSE_OPTIONS });
}

function isXmlNamespaceSchema(text: string): boolean {
  using doc = parseSchema(text);
  return doc.root.attr('targetNamespace')?.value === XML_NAMESPACE;
}

/** Each pass re-queries, because removing a node frees its subtree and stale descendants must not be touched. */
function stripNonStructural(doc: XmlDocument): void {
  for (const node of doc.find('//xs:annotation', XS)) node.remove();
  for (const node of doc.find('//comment() | //processing-instruction()')) node.remove();
  for (const node of doc.find('//text()[normalize-space() = ""]')) node.remove();
}

function schemaReferences(doc: XmlDocument): XmlElement[] {
  return doc.find(REFERENCE_ELEMENTS, XS) as XmlElement[];
}

/** Namespaces that QName-valued attributes refer to; '' stands for no namespace. */
function referencedNamespaces(doc: XmlDocument): Set<string> {
  const namespaces = new Set<string>();
  for (const node of doc.find(QNAME_ATTRIBUTES)) {
    const attr = node as XmlAttribute;
    for (const qname of attr.value.trim().split(/\s+/)) {
      const colon = qname.indexOf(':');
      const prefix = colon < 0 ? '' : qname.slice(0, colon);
      // An unprefixed name without a default namespace is in no namespace, recorded as ''.
      namespaces.add(attr.parent?.namespaceForPrefix(prefix) ?? '');
    }
  }
  return namespaces;
}

/**
 * setAttr on an element in a default namespace creates a second, namespaced attribute, so an existing
 * schemaLocation is changed in place; a new one (serialised unprefixed) is only added where none was written.
 */
function setSchemaLocation(reference: XmlElement, location: string): void {
  const existing = reference.attr('schemaLocation');
  if (existing) existing.value = location;
  else reference.setAttr('schemaLocation', location);
}

function dropReference(reference: XmlElement, location: string, dropped: string[]): void {
  dropped.push(location);
  reference.remove();
}

function serialise(doc: XmlDocument): string {
  return doc.toString({ format: true, indentString: '  ', encoding: 'utf-8' });
}

function normalisePath(sourcePath: string): string {
  return sourcePath.replace(/\\/g, '/');
}

function lookupKey(sourcePath: string): string {
  return path.posix.normalize(normalisePath(sourcePath)).toLowerCase();
}
