/**
 * Developer tool: writes the project's schema packs in schemas/ from the official distributions.
 *
 *   node --import tsx tools/author-packs.ts [referenceDir]
 *
 * referenceDir defaults to ../shared/reference relative to the project root.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type AuthoredPack,
  authorPack,
  createPackNaming,
  globalElementNames,
  readAppinfoVersions,
  type SourceSchema,
} from '../src/xml/pack-author.ts';
import type { PackManifest } from '../src/xml/packs.ts';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const schemasDir = path.join(projectRoot, 'schemas');
const SERVICE_MESSAGES = ['Bv01Bericht', 'Bv03Bericht', 'Fo01Bericht', 'Fo02Bericht', 'Fo03Bericht'];
const STUF_JZ_GROUPS = ['jz', 'vt', 'vv', 'gm'] as const;

interface PackSpec {
  /** Folder under schemas/. */
  folder: string;
  sourceRoot: string;
  /** Source files, relative to sourceRoot. */
  sourcePaths: string[];
  manifest: (sources: SourceSchema[], pack: AuthoredPack) => PackManifest;
}

function main(): void {
  const referenceDir = path.resolve(process.argv[2] ?? path.join(projectRoot, '../shared/reference'));
  if (!fs.existsSync(referenceDir)) throw new Error(`reference directory not found: ${referenceDir}`);
  const specs = [
    iStandaardSpec(referenceDir, 'iwmo', 'iWmo', 'wmo', 'WMO'),
    iStandaardSpec(referenceDir, 'ijw', 'iJw', 'jw', 'JW'),
    ...STUF_JZ_GROUPS.map((group) => stufJzSpec(referenceDir, group)),
    ggkSpec(referenceDir),
  ];
  for (const spec of specs) writePack(spec);
}

function writePack(spec: PackSpec): void {
  const sources = spec.sourcePaths.map((sourcePath) => ({
    path: sourcePath,
    text: fs.readFileSync(path.join(spec.sourceRoot, sourcePath), 'utf8'),
  }));
  const pack = authorPack(sources, createPackNaming(spec.sourcePaths));
  const manifest = spec.manifest(sources, pack);
  const dir = path.join(schemasDir, spec.folder);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, text] of pack.files) fs.writeFileSync(path.join(dir, name), text);
  fs.writeFileSync(path.join(dir, 'pack.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const messageCount = Object.keys(manifest.messages).length;
  console.log(`${manifest.id}: ${pack.files.size} files, ${messageCount} messages → schemas/${spec.folder}`);
  for (const [source, locations] of pack.droppedImports) {
    console.log(`  ${source}: dropped unused import ${locations.join(', ')}`);
  }
}

function iStandaardSpec(
  referenceDir: string,
  standard: string,
  label: string,
  folder: string,
  prefix: string,
): PackSpec {
  const sourceRoot = path.join(referenceDir, 'istandaarden-3.2', folder);
  const messagePattern = new RegExp(`^${prefix}\\d{3}\\.xsd$`);
  return {
    folder: path.join(standard, '3.2'),
    sourceRoot,
    sourcePaths: listXsd(sourceRoot),
    manifest: (sources, pack) => ({
      id: `${standard}-3.2`,
      standard,
      release: '3.2',
      origin: `authored: structural expression of the Zorginstituut ${label} 3.2 XSDs, no documentation text`,
      versions: iStandaardVersions(sources, messagePattern),
      messages: Object.fromEntries(
        [...pack.files.keys()]
          .filter((name) => messagePattern.test(name))
          .sort()
          .map((name) => [name.slice(0, -4), name]),
      ),
    }),
  };
}

/** The appinfo versions, checked to be the same in every message XSD, so one pair describes the pack. */
function iStandaardVersions(sources: SourceSchema[], messagePattern: RegExp): Record<string, string> {
  const pairs = sources.filter((s) => messagePattern.test(path.basename(s.path))).map(versionPair);
  const distinct = new Set(pairs.map((pair) => JSON.stringify(pair)));
  if (pairs[0] === undefined || distinct.size !== 1) {
    throw new Error(`message XSDs disagree on their appinfo versions: ${[...distinct].join(' ')}`);
  }
  return pairs[0];
}

function versionPair(source: SourceSchema): Record<string, string> {
  const appinfo = readAppinfoVersions(source.text);
  return {
    BasisschemaXsdVersie: required(appinfo, 'BasisschemaXsdVersie', source.path),
    BerichtXsdVersie: required(appinfo, 'BerichtXsdVersie', source.path),
  };
}

function stufJzSpec(referenceDir: string, group: (typeof STUF_JZ_GROUPS)[number]): PackSpec {
  const sourceRoot = path.join(referenceDir, 'stuf-jeugdzorg-1.0.9', `${group}berichten`);
  return {
    folder: path.join('stuf-jz', '1.0.9', group),
    sourceRoot,
    sourcePaths: listXsd(sourceRoot),
    manifest: (_sources, pack) => ({
      id: `stuf-jz-1.0.9-${group}`,
      standard: 'stuf-jz',
      release: '1.0.9',
      origin:
        `authored: structural expression of the VNG StUF-Jeugdzorg 1.0.9 resolved ${group}berichten XSDs, ` +
        'no documentation text',
      messages: { ...rootMessages(pack, `jz0100_msg_${group}berichten.xsd`), ...serviceMessages(pack) },
    }),
  };
}

function ggkSpec(referenceDir: string): PackSpec {
  return {
    folder: path.join('ggk', '0310'),
    sourceRoot: path.join(referenceDir, 'stuf-ggk0310'),
    sourcePaths: [
      'ggk0310_21/ggkberichten/ggk0310_msg.xsd',
      'ggk0310_21/ggkberichten/ggk0310_msg_stuf.xsd',
      '0301/stuf0301mtom.xsd',
      '0301/stuf0301.xsd',
      'xmlmime/xmlmime.xsd',
    ],
    manifest: (_sources, pack) => ({
      id: 'ggk-0310',
      standard: 'ggk',
      release: '0310',
      origin:
        'authored: structural expression of the StUF-GGK ggk0310 2.1 envelope XSDs with StUF0301 (patch 24) ' +
        'and xmlmime, no documentation text',
      messages: { ...rootMessages(pack, 'ggk0310_msg.xsd'), ...serviceMessages(pack) },
    }),
  };
}

function rootMessages(pack: AuthoredPack, mainFile: string): Record<string, string> {
  return Object.fromEntries(globalElementNames(packFile(pack, mainFile)).map((root) => [root, mainFile]));
}

/** Each StUF service message, keyed to the (first) pack file that declares it. */
function serviceMessages(pack: AuthoredPack): Record<string, string> {
  const declaredIn = new Map<string, string>();
  for (const [name, text] of pack.files) {
    for (const element of globalElementNames(text)) if (!declaredIn.has(element)) declaredIn.set(element, name);
  }
  return Object.fromEntries(
    SERVICE_MESSAGES.flatMap((message) => {
      const file = declaredIn.get(message);
      return file === undefined ? [] : [[message, file]];
    }),
  );
}

function packFile(pack: AuthoredPack, name: string): string {
  const text = pack.files.get(name);
  if (text === undefined) throw new Error(`pack has no file ${name}`);
  return text;
}

function required(values: Record<string, string>, key: string, where: string): string {
  const value = values[key];
  if (value === undefined) throw new Error(`${where}: appinfo has no ${key}`);
  return value;
}

function listXsd(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((name) => name.toLowerCase().endsWith('.xsd'))
    .sort();
}

main();
