import fs from 'node:fs';
import path from 'node:path';
import {
  ParseOption,
  XmlBufferInputProvider,
  XmlDocument,
  type XmlElement,
  XsdValidator,
  xmlRegisterInputProvider,
} from 'libxml2-wasm';
import { xmlRegisterFsInputProviders } from 'libxml2-wasm/lib/nodejs.mjs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  authorPack,
  createPackNaming,
  globalElementNames,
  schemaLocations,
  XML_NAMESPACE,
  XML_NAMESPACE_SCHEMA_FILE,
  XSD_NAMESPACE,
} from '../../src/xml/pack-author.ts';
import type { PackManifest } from '../../src/xml/packs.ts';
import { hasReference, projectRoot, referenceDir, skipReason } from '../helpers/reference.ts';

const PARSE_OPTIONS = ParseOption.XML_PARSE_NONET | ParseOption.XML_PARSE_NO_XXE;
const XS = { xs: XSD_NAMESPACE };
const schemasDir = path.join(projectRoot, 'schemas');
const INVALID_EXAMPLES = new Set(['JW315.xml', 'JW318.xml']);
const GGK_ROOT = 'stuf-ggk0310';
const GGK_MSG_DIR = 'ggk0310_21/ggkberichten';
/** Packs authored from standards.md facts (tools/author-modelled-packs.ts): no official XSDs to compare with. */
const MODELLED_STANDARDS = new Set(['ieb', 'ipgb']);

interface Pack {
  /** Folder relative to schemas/. */
  folder: string;
  manifest: PackManifest;
  files: Map<string, Buffer>;
}

interface CompiledSchema {
  doc: XmlDocument;
  validator: XsdValidator;
}

/**
 * Pack files served under pack://<id>/, by one input provider for all packs: libxml2 has room for only a few
 * input providers, and the file-system provider for the official XSDs needs one too.
 */
const packBuffers: Record<string, Uint8Array> = {};
let packProviderRegistered = false;

const packs = loadPacks();
const packsById = new Map(packs.map((pack) => [pack.manifest.id, pack]));
for (const pack of packs) registerPackProvider(pack);
const compiled = new Map<string, CompiledSchema>();

if (!hasReference) console.warn(`packs.test.ts: ${skipReason}; equivalence with the official XSDs is skipped`);

afterAll(() => {
  for (const { doc, validator } of compiled.values()) {
    validator.dispose();
    doc.dispose();
  }
});

describe('schema packs', () => {
  it('finds the nine packs', () => {
    expect(packs.map((pack) => pack.manifest.id).sort()).toEqual([
      'ggk-0310',
      'ieb-4.0',
      'ijw-3.2',
      'ipgb-2.1',
      'iwmo-3.2',
      'stuf-jz-1.0.9-gm',
      'stuf-jz-1.0.9-jz',
      'stuf-jz-1.0.9-vt',
      'stuf-jz-1.0.9-vv',
    ]);
  });

  const entries = packs.flatMap((pack) =>
    Object.entries(pack.manifest.messages).map(([key, file]) => ({ id: pack.manifest.id, key, file, pack })),
  );
  // iStandaarden keys are message codes (WMO301) whose root is always `Bericht`; elsewhere the key is the root.
  const rootKeyedEntries = entries.filter(
    ({ pack }) => !['iwmo', 'ijw', 'ieb', 'ipgb'].includes(pack.manifest.standard),
  );

  it.each(entries)('$id $key compiles offline', ({ pack, file }) => {
    expect(() => packSchema(pack, file)).not.toThrow();
  });

  it.each(rootKeyedEntries)('$id $key is a global element of $file', ({ pack, key, file }) => {
    expect(globalElementNames(packText(pack, file))).toContain(key);
  });

  it.each(packs.map((pack) => [pack.folder, pack]))(
    '%s: schemaLocations name files of the same pack',
    (_folder, pack) => {
      for (const [name, buffer] of xsdFiles(pack)) {
        for (const location of schemaLocations(buffer.toString('utf8'))) {
          expect(location, `${name} → ${location}`).toMatch(/^[\w.-]+\.xsd$/);
          expect(pack.files.has(location), `${name} → ${location}`).toBe(true);
        }
      }
    },
  );

  it('the modelled packs (iEb, iPgb) say so and name the way to replace them', () => {
    for (const pack of packs.filter((p) => MODELLED_STANDARDS.has(p.manifest.standard))) {
      expect(pack.manifest.origin).toMatch(
        /authored from standards\.md \(MODELLED\); replace with the official pack via `schakel schemas import`/,
      );
      expect(Object.keys(pack.manifest.messages).every((key) => pack.manifest.messages[key] === `${key}.xsd`)).toBe(
        true,
      );
    }
  });

  it('no file carries documentation, appinfo, comments or network schemaLocations', () => {
    for (const file of walk(schemasDir)) {
      const text = fs.readFileSync(file, 'utf8');
      const where = path.relative(projectRoot, file);
      for (const forbidden of ['xs:documentation', 'xs:appinfo', '<!--']) expect(text, where).not.toContain(forbidden);
      expect(text, where).not.toMatch(/schemaLocation\s*=\s*["'][a-z][a-z\d+.-]*:/i);
      expect(text.charCodeAt(0), where).not.toBe(0xfeff);
    }
  });

  it('no schema has an annotation element, whatever its prefix', () => {
    for (const pack of packs) {
      for (const [name, buffer] of xsdFiles(pack)) {
        using doc = XmlDocument.fromBuffer(buffer, { option: PARSE_OPTIONS });
        const nonStructural = doc.find('//xs:annotation | //comment() | //processing-instruction()', XS);
        expect(nonStructural, `${pack.folder}/${name}`).toHaveLength(0);
      }
    }
  });
});

const equivalenceTitle = 'equivalence with the official XSDs';
describe.skipIf(!hasReference)(hasReference ? equivalenceTitle : `${equivalenceTitle} (skipped: ${skipReason})`, () => {
  const iStandaardExamples = hasReference ? listIStandaardExamples() : [];
  const ggkExamples = ['ggk_Di01.xml', 'ggk_Du01.xml'];

  it('covers the 28 iWmo/iJw examples', () => {
    expect(iStandaardExamples).toHaveLength(28);
  });

  it.each(iStandaardExamples)('%s: same verdict as the official XSD', (example) => {
    const { packId, message, file } = iStandaardExample(example);
    const pack = requirePack(packId);
    const ours = verdict(packSchema(pack, messageFile(pack, message)), file);
    const official = verdict(officialSchema(path.join(path.dirname(file), `${message}.xsd`)), file);
    expect(ours).toEqual(official);
    expect(official === 'valid').toBe(!INVALID_EXAMPLES.has(example));
  });

  it.each(ggkExamples)('%s: same verdict as the official XSD', (example) => {
    const file = path.join(referenceDir, GGK_ROOT, GGK_MSG_DIR, example);
    const pack = requirePack('ggk-0310');
    const ours = verdict(packSchema(pack, messageFile(pack, rootName(file))), file);
    const official = verdict(officialSchema(path.join(referenceDir, GGK_ROOT, GGK_MSG_DIR, 'ggk0310_msg.xsd')), file);
    expect(ours).toEqual(official);
    expect(official).toBe('valid');
  });

  const authoredFromOfficial = packs.filter((pack) => !MODELLED_STANDARDS.has(pack.manifest.standard));
  it.each(authoredFromOfficial.map((pack) => [pack.folder, pack]))(
    '%s keeps the structure of every official schema',
    (_folder, pack) => {
      const sources = officialSources(pack);
      expect([...sources.keys()].sort()).toEqual([...xsdFiles(pack).keys()].sort());
      for (const [name, source] of sources) {
        expect(structure(fs.readFileSync(source)), name).toEqual(structure(packBuffer(pack, name)));
      }
    },
  );
});

describe('pack authoring rules', () => {
  const xsd = (body: string, extra = ''): string =>
    `\uFEFF junk <?xml version="1.0"?><!-- c --><xs:schema xmlns:xs="${XSD_NAMESPACE}" targetNamespace="urn:a" ${extra}>` +
    `<xs:annotation><xs:documentation>text</xs:documentation><xs:appinfo><v>1</v></xs:appinfo></xs:annotation>${body}</xs:schema>`;
  const xmlImport = `<xs:import namespace="${XML_NAMESPACE}" schemaLocation="http://www.w3.org/2001/xml.xsd"/>`;

  it('strips preamble, annotations and comments and re-indents', () => {
    const { files } = authorPack([{ path: 'a/A.xsd', text: xsd('<xs:element name="e" type="xs:string"/>') }]);
    expect(files.get('A.xsd')).toBe(
      '<?xml version="1.0" encoding="utf-8"?>\n' +
        `<xs:schema xmlns:xs="${XSD_NAMESPACE}" targetNamespace="urn:a">\n  <xs:element name="e" type="xs:string"/>\n</xs:schema>\n`,
    );
  });

  it('drops an unused XML-namespace import and the W3C xml.xsd itself', () => {
    const { files, droppedImports } = authorPack([
      { path: 'A.xsd', text: xsd(`${xmlImport}<xs:element name="e"/>`) },
      {
        path: 'xml_resolved2025.xsd',
        text: `<xs:schema xmlns:xs="${XSD_NAMESPACE}" targetNamespace="${XML_NAMESPACE}"/>`,
      },
    ]);
    expect([...files.keys()]).toEqual(['A.xsd']);
    expect(droppedImports.get('A.xsd')).toEqual(['http://www.w3.org/2001/xml.xsd']);
  });

  it('points a used XML-namespace import at a minimal local xml.xsd that compiles', () => {
    const body = `${xmlImport}<xs:element name="e"><xs:complexType><xs:attribute ref="xml:lang"/></xs:complexType></xs:element>`;
    const { files } = authorPack([{ path: 'A.xsd', text: xsd(body, 'xmlns="urn:a"') }]);
    expect(files.get('A.xsd')).toContain(`schemaLocation="${XML_NAMESPACE_SCHEMA_FILE}"`);
    const pack: Pack = {
      folder: 'memory',
      manifest: manifest('test-xml-namespace', { A: 'A.xsd' }),
      files: toBuffers(files),
    };
    registerPackProvider(pack);
    const schema = packSchema(pack, 'A.xsd');
    using ok = XmlDocument.fromString('<e xmlns="urn:a" xml:lang="nl"/>', { option: PARSE_OPTIONS });
    using bad = XmlDocument.fromString('<e xmlns="urn:a" xml:lang="not a language"/>', { option: PARSE_OPTIONS });
    expect(() => schema.validator.validate(ok)).not.toThrow();
    expect(() => schema.validator.validate(bad)).toThrow();
  });

  it('maps backslashed, differently cased and nested locations to flat pack names', () => {
    const naming = createPackNaming(['x/msg/M_resolved2025.xsd', 'x/Basisschema.xsd']);
    const { files } = authorPack(
      [
        { path: 'x/msg/M_resolved2025.xsd', text: xsd('<xs:include schemaLocation="..\\basisschema.xsd"/>') },
        { path: 'x/Basisschema.xsd', text: xsd('') },
      ],
      naming,
    );
    expect([...files.keys()]).toEqual(['M.xsd', 'basisschema.xsd']);
    expect(schemaLocations(files.get('M.xsd') ?? '')).toEqual(['basisschema.xsd']);
  });

  it('refuses an include that leaves the pack', () => {
    const outside = { path: 'A.xsd', text: xsd('<xs:include schemaLocation="../other/B.xsd"/>') };
    expect(() => authorPack([outside])).toThrow(/points outside the pack/);
  });
});

function loadPacks(): Pack[] {
  return walk(schemasDir)
    .filter((file) => path.basename(file) === 'pack.json')
    .map((manifestFile) => {
      const dir = path.dirname(manifestFile);
      const files = new Map(fs.readdirSync(dir).map((name) => [name, fs.readFileSync(path.join(dir, name))]));
      const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as PackManifest;
      return { folder: path.relative(schemasDir, dir), manifest, files };
    });
}

/** Serves the pack's files, and nothing else, under pack://<id>/; relative schemaLocations resolve within it. */
function registerPackProvider(pack: Pack): void {
  for (const [name, buffer] of pack.files) packBuffers[packUrl(pack, name)] = buffer;
  if (!packProviderRegistered)
    packProviderRegistered = xmlRegisterInputProvider(new XmlBufferInputProvider(packBuffers));
}

function packUrl(pack: Pack, name: string): string {
  return `pack://${pack.manifest.id}/${name}`;
}

function packSchema(pack: Pack, file: string): CompiledSchema {
  return compile(packUrl(pack, file), packBuffer(pack, file));
}

let fsProviderRegistered = false;
/** Official XSDs are compiled from disk; only tests do this, the packs themselves never touch the file system. */
function officialSchema(file: string): CompiledSchema {
  if (!fsProviderRegistered) fsProviderRegistered = xmlRegisterFsInputProviders();
  return compile(file, fs.readFileSync(file));
}

function compile(url: string, buffer: Uint8Array): CompiledSchema {
  const cached = compiled.get(url);
  if (cached) return cached;
  const doc = XmlDocument.fromBuffer(buffer, { url, option: PARSE_OPTIONS });
  try {
    const schema = { doc, validator: XsdValidator.fromDoc(doc) };
    compiled.set(url, schema);
    return schema;
  } catch (error) {
    doc.dispose();
    throw error;
  }
}

/** 'valid', or the validation errors: equal verdicts must also fail for the same reasons. */
function verdict(schema: CompiledSchema, xmlFile: string): string {
  using doc = XmlDocument.fromBuffer(fs.readFileSync(xmlFile), { option: PARSE_OPTIONS });
  try {
    schema.validator.validate(doc);
    return 'valid';
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** Every XSD element outside annotations with its attributes, schemaLocation aside; XML-namespace imports are not structure. */
function structure(buffer: Uint8Array): string[] {
  using doc = XmlDocument.fromBuffer(buffer, { option: PARSE_OPTIONS });
  return (doc.find('//xs:*[not(ancestor-or-self::xs:annotation)]', XS) as XmlElement[])
    .filter((element) => element.attr('namespace')?.value !== XML_NAMESPACE || element.name !== 'import')
    .map((element) => {
      const attrs = element.attrs
        .filter((attr) => attr.name !== 'schemaLocation')
        .map((attr) => `${attr.name}=${attr.value}`);
      return `${element.name} ${attrs.sort().join(' ')}`;
    });
}

/** Pack file name → official source file, for every XSD the pack authored from a distribution. */
function officialSources(pack: Pack): Map<string, string> {
  const { id, standard } = pack.manifest;
  if (standard === 'iwmo' || standard === 'ijw') {
    const dir = path.join(referenceDir, 'istandaarden-3.2', standard === 'iwmo' ? 'wmo' : 'jw');
    return new Map(listXsd(dir).map((name) => [name, path.join(dir, name)]));
  }
  if (standard === 'stuf-jz') {
    const dir = path.join(referenceDir, 'stuf-jeugdzorg-1.0.9', `${id.split('-').at(-1)}berichten`);
    // The W3C xml.xsd copy holds only documentation; the packs do not carry it (see schemas/README.md).
    const sources = listXsd(dir).filter((name) => name !== 'xml_resolved2025.xsd');
    return new Map(sources.map((name) => [name.replace('_resolved2025', ''), path.join(dir, name)]));
  }
  const ggkSources = [
    `${GGK_MSG_DIR}/ggk0310_msg.xsd`,
    `${GGK_MSG_DIR}/ggk0310_msg_stuf.xsd`,
    '0301/stuf0301mtom.xsd',
    '0301/stuf0301.xsd',
    'xmlmime/xmlmime.xsd',
  ];
  return new Map(ggkSources.map((source) => [path.basename(source), path.join(referenceDir, GGK_ROOT, source)]));
}

function listIStandaardExamples(): string[] {
  const dirs = ['wmo', 'jw'].map((dir) => path.join(referenceDir, 'istandaarden-3.2', dir));
  return dirs.flatMap((dir) => fs.readdirSync(dir).filter((name) => name.endsWith('.xml'))).sort();
}

function iStandaardExample(example: string): { packId: string; message: string; file: string } {
  const message = example.slice(0, -4);
  const isWmo = message.startsWith('WMO');
  return {
    packId: isWmo ? 'iwmo-3.2' : 'ijw-3.2',
    message,
    file: path.join(referenceDir, 'istandaarden-3.2', isWmo ? 'wmo' : 'jw', example),
  };
}

function rootName(xmlFile: string): string {
  using doc = XmlDocument.fromBuffer(fs.readFileSync(xmlFile), { option: PARSE_OPTIONS });
  return doc.root.name;
}

function requirePack(id: string): Pack {
  const pack = packsById.get(id);
  if (!pack) throw new Error(`no pack ${id} in schemas/`);
  return pack;
}

function messageFile(pack: Pack, message: string): string {
  const file = pack.manifest.messages[message];
  if (file === undefined) throw new Error(`${pack.manifest.id} has no message ${message}`);
  return file;
}

function packBuffer(pack: Pack, name: string): Buffer {
  const buffer = pack.files.get(name);
  if (!buffer) throw new Error(`${pack.folder} has no file ${name}`);
  return buffer;
}

function packText(pack: Pack, name: string): string {
  return packBuffer(pack, name).toString('utf8');
}

function xsdFiles(pack: Pack): Map<string, Buffer> {
  return new Map([...pack.files].filter(([name]) => name.endsWith('.xsd')));
}

function manifest(id: string, messages: Record<string, string>): PackManifest {
  return { id, standard: 'test', release: '0', origin: 'test', messages };
}

function toBuffers(files: Map<string, string>): Map<string, Buffer> {
  return new Map([...files].map(([name, text]) => [name, Buffer.from(text)]));
}

function listXsd(dir: string): string[] {
  return fs.readdirSync(dir).filter((name) => name.endsWith('.xsd'));
}

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? walk(full) : [full];
  });
}
