import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { XmlBufferInputProvider, XmlDocument, XmlLibError, XsdValidator, xmlRegisterInputProvider } from 'libxml2-wasm';
import type { SchemaRef } from '../catalogue/types.ts';
import { withLinearPatterns } from './patterns.ts';

/** The manifest at the root of every schema pack folder (schemas/<standard>/<release>[/<group>]/pack.json). */
export interface PackManifest {
  id: string;
  standard: string;
  release: string;
  origin?: string;
  versions?: Record<string, string>;
  /** Message key → the pack file that is its entry schema. */
  messages: Record<string, string>;
}

export const DEFAULT_SCHEMAS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../schemas');

/** Pack files are served to libxml2 from memory under this virtual root; nothing else can be loaded. */
const VIRTUAL_ROOT = '/schakel-packs';

/** Pack files by virtual path, served to libxml2 by one in-memory input provider per thread. */
const packFiles: Record<string, Uint8Array> = {};
let providerRegistered = false;

/** Schema imports resolve only to pack files: never to disk, never to the network. */
function registerPackFile(virtualPath: string, bytes: Uint8Array): void {
  if (!providerRegistered) {
    if (!xmlRegisterInputProvider(new XmlBufferInputProvider(packFiles))) {
      throw new Error('libxml2 refused the schema pack input provider');
    }
    providerRegistered = true;
  }
  packFiles[virtualPath] = bytes;
}

export class SchemaPackError extends Error {
  constructor(
    readonly pack: string,
    readonly file: string,
    message: string,
  ) {
    super(`schema pack ${pack}, ${file}: ${message}`);
    this.name = 'SchemaPackError';
  }
}

/**
 * Every schema pack under a folder, each message schema compiled once and kept. The loader does not care
 * which standard a pack belongs to: it reads the manifests and compiles what they name.
 */
export class SchemaPacks {
  private readonly validators = new Map<string, XsdValidator>();
  private readonly manifests = new Map<string, PackManifest>();
  private readonly schemaDocs: XmlDocument[] = [];

  private constructor() {}

  /** Loads and compiles every pack below `dir` (default: the project's schemas/). */
  static load(dir: string = DEFAULT_SCHEMAS_DIR): SchemaPacks {
    const packs = new SchemaPacks();
    for (const manifestPath of findManifests(dir)) packs.add(path.dirname(manifestPath));
    return packs;
  }

  /**
   * Compiles every message of one pack folder on its own and reports each, without keeping the pack (for
   * `schakel schemas import`). Throws only when the folder has no usable pack.json.
   */
  static probe(packDir: string): { manifest: PackManifest; results: ProbeResult[] } {
    const manifest = readManifest(packDir);
    const virtualDir = registerPackDir(packDir, `${VIRTUAL_ROOT}/probe/${manifest.id}`);
    const packs = new SchemaPacks();
    const byFile = new Map<string, string | undefined>();
    try {
      const results = Object.entries(manifest.messages).map(([message, file]) => {
        if (!byFile.has(file)) {
          try {
            packs.validators.set(key(manifest.id, message), packs.compile(manifest.id, `${virtualDir}/${file}`, file));
            byFile.set(file, undefined);
          } catch (e) {
            byFile.set(file, e instanceof Error ? e.message : String(e));
          }
        }
        const error = byFile.get(file);
        return error === undefined ? { message, file } : { message, file, error };
      });
      return { manifest, results };
    } finally {
      packs.dispose();
    }
  }

  /** Adds one pack folder (replacing a pack with the same id). */
  add(packDir: string): PackManifest {
    const manifest = readManifest(packDir);
    const virtualDir = registerPackDir(packDir, `${VIRTUAL_ROOT}/${manifest.id}`);
    const compiled = new Map<string, XsdValidator>();
    for (const [message, file] of Object.entries(manifest.messages)) {
      let validator = compiled.get(file);
      if (!validator) {
        validator = this.compile(manifest.id, `${virtualDir}/${file}`, file);
        compiled.set(file, validator);
      }
      this.dropValidator(key(manifest.id, message));
      this.validators.set(key(manifest.id, message), validator);
    }
    this.manifests.set(manifest.id, manifest);
    return manifest;
  }

  /** The compiled schema for a message; throws when the pack or message is not loaded. */
  validator(ref: SchemaRef): XsdValidator {
    const v = this.validators.get(key(ref.pack, ref.message));
    if (!v) throw new Error(`no schema for ${ref.message} in pack ${ref.pack}`);
    return v;
  }

  /** The compiled schema for a message, or undefined when the pack or message is not loaded. */
  find(ref: SchemaRef): XsdValidator | undefined {
    return this.validators.get(key(ref.pack, ref.message));
  }

  has(ref: SchemaRef): boolean {
    return this.validators.has(key(ref.pack, ref.message));
  }

  packs(): PackManifest[] {
    return [...this.manifests.values()];
  }

  manifest(id: string): PackManifest | undefined {
    return this.manifests.get(id);
  }

  private dropValidator(k: string): void {
    const old = this.validators.get(k);
    if (old && ![...this.validators.entries()].some(([other, v]) => other !== k && v === old)) old.dispose();
    this.validators.delete(k);
  }

  /**
   * Compiles one entry schema. The schema document is kept alive with the validator: libxml2's compiled
   * schema may point into it.
   */
  private compile(pack: string, virtualPath: string, file: string): XsdValidator {
    const bytes = packFiles[virtualPath];
    if (!bytes) throw new SchemaPackError(pack, file, 'named in pack.json but not in the pack folder');
    let doc: XmlDocument | undefined;
    try {
      doc = XmlDocument.fromBuffer(bytes, { url: virtualPath });
      const validator = XsdValidator.fromDoc(doc);
      this.schemaDocs.push(doc);
      return validator;
    } catch (e) {
      doc?.dispose();
      const detail =
        e instanceof XmlLibError
          ? e.details.map((d) => `${d.file ?? file}:${d.line}: ${d.message.trim()}`).join('; ')
          : String(e);
      throw new SchemaPackError(pack, file, `does not compile: ${detail}`);
    }
  }

  dispose(): void {
    for (const v of new Set(this.validators.values())) v.dispose();
    this.validators.clear();
    for (const d of this.schemaDocs) d.dispose();
    this.schemaDocs.length = 0;
  }
}

/** One message of a pack compiled on its own: `error` says why it does not compile. */
export interface ProbeResult {
  message: string;
  file: string;
  error?: string;
}

/** Serves a pack folder's XSD files to libxml2 under a virtual directory, which it returns (see patterns.ts). */
function registerPackDir(packDir: string, virtualDir: string): string {
  const files = fs.readdirSync(packDir).filter((f) => f.toLowerCase().endsWith('.xsd'));
  for (const f of files)
    registerPackFile(`${virtualDir}/${f}`, withLinearPatterns(fs.readFileSync(path.join(packDir, f))));
  return virtualDir;
}

function key(pack: string, message: string): string {
  return `${pack}#${message}`;
}

function findManifests(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...findManifests(p));
    else if (entry.name === 'pack.json') out.push(p);
  }
  return out.sort();
}

function readManifest(packDir: string): PackManifest {
  const file = path.join(packDir, 'pack.json');
  const m = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<PackManifest>;
  if (!m.id || !m.standard || !m.release || !m.messages || typeof m.messages !== 'object') {
    throw new SchemaPackError(m.id ?? packDir, 'pack.json', 'a manifest needs id, standard, release and messages');
  }
  return m as PackManifest;
}
