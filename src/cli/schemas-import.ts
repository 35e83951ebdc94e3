/**
 * `schakel schemas import <dir> --standard <name> --release <x.y> [--group g] [--into schemas]`
 *
 * Copies an official schema pack into `<into>/<standard>/<release>[/<group>]/` and makes it a pack the loader can
 * use: the official files keep their content and names, and only mechanical problems that real distributions have
 * are repaired:
 * - a UTF-8 byte-order mark, or any text (a Markdown line, a stray heading) before `<?xml` / the schema element;
 * - schemaLocations that do not name a file of the pack as written: another case (`basisschema.xsd` for
 *   `Basisschema.xsd`), backslashes (`.\basisschema.xsd`), or a nested folder (the pack is flattened).
 * It writes pack.json (message keys: iStandaarden from the file names, WMO301.xsd → WMO301; StUF from the global
 * root elements, which carry their berichtcode: vtoDi01, Bv03Bericht, envelopHeenbericht-ggk_Di01), compiles every
 * message schema with the project's loader and reports each. Exit 0 when all compile, 1 when any fails, 2 usage.
 *
 * An official pack a gemeente imports is its own business: what is imported is not part of this repository.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Writable } from 'node:stream';
import {
  createPackNaming,
  globalElementNames,
  type PackNaming,
  readAppinfoVersions,
  resolveLocation,
  stripPreamble,
  targetNamespaceOf,
} from '../xml/pack-author.ts';
import { DEFAULT_SCHEMAS_DIR, type PackManifest, SchemaPacks } from '../xml/packs.ts';
import { type CommandSpec, type ParsedArgs, runCommand, stringOption, UsageError } from './command.ts';

const USAGE =
  'usage: schakel schemas import <dir> --standard <name> --release <x.y> [--group <g>] [--into <schemas dir>]';
const NAME = /^[a-z][a-z0-9-]*$/;
const RELEASE = /^[0-9]+(\.[0-9]+)*$/;
const UTF8_BOM = '\xEF\xBB\xBF';
/** A schema reference element (xs:import, include, redefine, override) and its schemaLocation attribute. */
const REFERENCE = /<(?:[\w.-]+:)?(?:import|include|redefine|override)\b[^>]*>/g;
const LOCATION = /(\bschemaLocation\s*=\s*)(["'])([^"']*)\2/;
/** iStandaarden message XSDs are named after the message: WMO301.xsd, JW325.xsd, WLZ501.xsd. */
const ISTANDAARD_MESSAGE_FILE = /^([A-Za-z]+[0-9]{3})\.xsd$/;
/** StUF message roots carry their berichtcode: vtoDi01, Bv03Bericht, envelopRetourbericht-ggk_Du01. */
const STUF_MESSAGE_ROOT = /[A-Z][a-z][0-9]{2}(Bericht)?$/;

export interface ImportRequest {
  dir: string;
  standard: string;
  release: string;
  group?: string;
  /** The schemas folder; default the project's schemas/. */
  into?: string;
}

export interface MessageReport {
  message: string;
  file: string;
  root: string;
  namespace: string;
  /** Why the schema does not compile; absent when it does. */
  error?: string;
}

export interface ImportReport {
  target: string;
  manifest: PackManifest;
  /** Per pack file, the repairs made. */
  fixes: Map<string, string[]>;
  /** schemaLocations that name nothing in the pack (left as they are; the loader stays offline). */
  unresolved: string[];
  messages: MessageReport[];
}

/** A request the command cannot carry out at all (exit 2). */
export class ImportUsageError extends Error {}

/** Imports the pack and reports; throws {@link ImportUsageError} when nothing can be imported. */
export function importPack(req: ImportRequest): ImportReport {
  if (!NAME.test(req.standard))
    throw new ImportUsageError(`--standard must be a lower-case name (e.g. iwmo, ieb, stuf-jz), not "${req.standard}"`);
  if (!RELEASE.test(req.release))
    throw new ImportUsageError(`--release must be digits and dots (e.g. 3.2), not "${req.release}"`);
  if (req.group !== undefined && !NAME.test(req.group))
    throw new ImportUsageError(`--group must be a lower-case name, not "${req.group}"`);
  if (!fs.existsSync(req.dir) || !fs.statSync(req.dir).isDirectory())
    throw new ImportUsageError(`${req.dir} is not a directory`);
  const sourcePaths = listXsd(req.dir);
  if (sourcePaths.length === 0) throw new ImportUsageError(`${req.dir} holds no .xsd files`);
  let naming: PackNaming;
  try {
    naming = createPackNaming(sourcePaths, (p) => path.posix.basename(p));
  } catch (e) {
    throw new ImportUsageError(`cannot flatten the pack: ${(e as Error).message}`);
  }
  const target = path.resolve(
    req.into ?? DEFAULT_SCHEMAS_DIR,
    req.standard,
    req.release,
    ...(req.group ? [req.group] : []),
  );
  prepareTarget(target);

  const fixes = new Map<string, string[]>();
  const unresolved: string[] = [];
  const texts = new Map<string, string>();
  for (const sourcePath of sourcePaths) {
    const name = naming(sourcePath)!;
    const cleaned = clean(sourcePath, fs.readFileSync(path.join(req.dir, sourcePath)), naming);
    fs.writeFileSync(path.join(target, name), cleaned.bytes);
    texts.set(name, cleaned.bytes.toString('utf8'));
    if (cleaned.fixes.length) fixes.set(name, cleaned.fixes);
    unresolved.push(...cleaned.unresolved.map((l) => `${name}: ${l}`));
  }

  const stuf = req.standard.startsWith('stuf') || req.standard === 'ggk';
  const messages = stuf ? stufMessages(texts) : istandaardMessages(texts);
  const manifest: PackManifest = {
    id: [req.standard, req.release, ...(req.group ? [req.group] : [])].join('-'),
    standard: req.standard,
    release: req.release,
    origin: `imported: official ${req.standard} ${req.release}${req.group ? ` ${req.group}` : ''} pack from ${path.basename(path.resolve(req.dir))}; only mechanical repairs (byte-order mark, text before <?xml, schemaLocation case, backslashes, folders)`,
    ...(stuf ? {} : versionsOf(texts, Object.values(messages))),
    messages,
  };
  fs.writeFileSync(path.join(target, 'pack.json'), `${JSON.stringify(manifest, null, 2)}\n`);

  const probed = Object.keys(messages).length ? SchemaPacks.probe(target).results : [];
  const reports = probed.map(({ message, file, error }) => {
    const { root, namespace } = describe(texts.get(file) ?? '', stuf ? message : undefined);
    return { message, file, root, namespace, ...(error === undefined ? {} : { error }) };
  });
  return { target, manifest, fixes, unresolved, messages: reports };
}

/** An empty folder, or a pack folder whose files are replaced; anything else is not ours to overwrite. */
function prepareTarget(target: string): void {
  if (fs.existsSync(target)) {
    const entries = fs.readdirSync(target, { withFileTypes: true });
    if (entries.length > 0 && !entries.some((e) => e.isFile() && e.name === 'pack.json')) {
      throw new ImportUsageError(`${target} exists and is not a schema pack folder; give another --group or --into`);
    }
    for (const e of entries) if (e.isFile()) fs.rmSync(path.join(target, e.name));
  }
  fs.mkdirSync(target, { recursive: true });
}

/**
 * The official bytes with only the mechanical repairs. The text is handled as latin1, byte for byte, so that the
 * content (whatever its encoding) is written back unchanged.
 */
function clean(
  sourcePath: string,
  bytes: Buffer,
  naming: PackNaming,
): { bytes: Buffer; fixes: string[]; unresolved: string[] } {
  const fixes: string[] = [];
  const unresolved: string[] = [];
  let text = bytes.toString('latin1');
  if (text.startsWith(UTF8_BOM)) {
    text = text.slice(UTF8_BOM.length);
    fixes.push('removed a UTF-8 byte-order mark');
  }
  try {
    const stripped = stripPreamble(text);
    if (stripped.length !== text.length) {
      fixes.push(`removed ${text.length - stripped.length} bytes before the XML declaration`);
      text = stripped;
    }
  } catch {
    fixes.push('found no XML declaration or schema element; left as it is');
  }
  text = text.replace(REFERENCE, (tag) =>
    tag.replace(LOCATION, (all, attr: string, quote: string, location: string) => {
      const target = naming(resolveLocation(sourcePath, location));
      if (target === undefined) {
        unresolved.push(`schemaLocation "${location}" names no file of the pack`);
        return all;
      }
      if (target === location) return all;
      fixes.push(`schemaLocation "${location}" → "${target}"`);
      return `${attr}${quote}${target}${quote}`;
    }),
  );
  return { bytes: Buffer.from(text, 'latin1'), fixes, unresolved };
}

function istandaardMessages(texts: Map<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of [...texts.keys()].sort()) {
    const m = ISTANDAARD_MESSAGE_FILE.exec(name);
    if (m) out[m[1]!.toUpperCase()] = name;
  }
  return out;
}

/** Global message roots, keyed to the first file declaring them; message files (`…msg…`) first. */
function stufMessages(texts: Map<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  const names = [...texts.keys()].sort(
    (a, b) => Number(!/msg/i.test(a)) - Number(!/msg/i.test(b)) || a.localeCompare(b),
  );
  for (const name of names) {
    for (const root of safe(() => globalElementNames(texts.get(name)!), [])) {
      if (STUF_MESSAGE_ROOT.test(root) && !(root in out)) out[root] = name;
    }
  }
  return out;
}

/** BasisschemaXsdVersie/BerichtXsdVersie when every message XSD states the same pair in its appinfo. */
function versionsOf(texts: Map<string, string>, files: string[]): { versions?: Record<string, string> } {
  const pairs = files.map((f) => {
    const v = safe(() => readAppinfoVersions(texts.get(f) ?? ''), {} as Record<string, string>);
    return JSON.stringify([v.BasisschemaXsdVersie, v.BerichtXsdVersie]);
  });
  const distinct = [...new Set(pairs)];
  if (distinct.length !== 1) return {};
  const [basis, bericht] = JSON.parse(distinct[0]!) as [string | null, string | null];
  return basis && bericht ? { versions: { BasisschemaXsdVersie: basis, BerichtXsdVersie: bericht } } : {};
}

function describe(text: string, stufRoot: string | undefined): { root: string; namespace: string } {
  return {
    root: stufRoot ?? safe(() => globalElementNames(text)[0] ?? '?', '?'),
    namespace: safe(() => targetNamespaceOf(text), '?'),
  };
}

function safe<T>(f: () => T, fallback: T): T {
  try {
    return f();
  } catch {
    return fallback;
  }
}

/** XSD files below a folder, as '/'-separated relative paths, sorted. */
function listXsd(dir: string, prefix = ''): string[] {
  return fs
    .readdirSync(path.join(dir, prefix), { withFileTypes: true })
    .flatMap((e) => {
      const rel = prefix ? `${prefix}/${e.name}` : e.name;
      if (e.isDirectory()) return listXsd(dir, rel);
      return e.isFile() && e.name.toLowerCase().endsWith('.xsd') ? [rel] : [];
    })
    .sort();
}

// ---------------------------------------------------------------------------------------------------------

/** The import request of `schakel schemas import DIR …`; a usage error when the arguments do not make one. */
function requestOf(args: ParsedArgs): ImportRequest {
  const [sub, dir] = args.positionals;
  if (sub !== 'import') throw new UsageError(sub === undefined ? 'no subcommand given' : `unknown subcommand "${sub}"`);
  if (dir === undefined) throw new UsageError('no pack folder given');
  const standard = stringOption(args, 'standard');
  const release = stringOption(args, 'release');
  if (!standard || !release) throw new UsageError('--standard and --release are required');
  const group = stringOption(args, 'group');
  const into = stringOption(args, 'into');
  return { dir, standard, release, ...(group ? { group } : {}), ...(into ? { into } : {}) };
}

/** `schakel schemas import …`. Exit 0 every schema compiles, 1 any fails, 2 usage. */
export const command: CommandSpec = {
  usage: USAGE.replace(/^usage: schakel schemas /, ''),
  options: {
    standard: { type: 'string', value: 'NAME', help: 'the standard, lower case (iwmo, ijw, ieb, ipgb, stuf-jz, ggk)' },
    release: { type: 'string', value: 'X.Y', help: 'its release (3.2, 1.0.9 …)' },
    group: { type: 'string', value: 'G', help: 'a group within the release (optional)' },
    into: { type: 'string', value: 'DIR', help: `the schemas folder (default ${DEFAULT_SCHEMAS_DIR})` },
  },
  positionals: { min: 0, max: 2 },
  async run(args, { out, err }) {
    const req = requestOf(args);
    let report: ImportReport;
    try {
      report = importPack(req);
    } catch (e) {
      if (!(e instanceof ImportUsageError)) throw e;
      err.write(`schakel schemas import: ${e.message}\n`);
      return 2;
    }
    out.write(formatReport(report));
    const failed = report.messages.filter((m) => m.error !== undefined).length;
    return failed > 0 || report.messages.length === 0 ? 1 : 0;
  },
};

/** `schakel schemas …` with its arguments, for tests and scripts. */
export function runSchemas(argv: string[], out: Writable, err: Writable): Promise<number> {
  return runCommand('schemas', 'import an official schema pack', command, argv, { out, err });
}

export function formatReport(r: ImportReport): string {
  const lines = [`imported pack ${r.manifest.id} into ${r.target}`];
  for (const [file, fixes] of r.fixes) for (const f of fixes) lines.push(`  repaired ${file}: ${f}`);
  for (const u of r.unresolved) lines.push(`  unresolved ${u}`);
  if (r.messages.length === 0)
    lines.push('  no message schemas found (iStandaarden: files named like WMO301.xsd; StUF: roots like vtoDi01)');
  for (const m of r.messages) {
    lines.push(
      `  ${m.message}  ${m.file}  {${m.namespace}}${m.root}  ${m.error === undefined ? 'compiled ok' : `ERROR ${m.error}`}`,
    );
  }
  const failed = r.messages.filter((m) => m.error !== undefined).length;
  lines.push(`${r.messages.length} messages: ${r.messages.length - failed} compiled, ${failed} failed`);
  return `${lines.join('\n')}\n`;
}
