/**
 * `schakel schemas import` on a messy copy of the official iWmo 3.2 pack (a basisschema renamed to Basisschema.xsd
 * while the imports keep `basisschema.xsd`, backslashes in schemaLocations, a message XSD in a subfolder, a Markdown
 * line before `<?xml`, a byte-order mark): the imported pack compiles with the project's loader and judges every
 * official example and generated mutants exactly as the official schemas do. Skipped, visibly, without the
 * reference data.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importPack, runSchemas } from '../../src/cli/schemas-import.ts';
import { BerichtValidator } from '../../src/validation/validator.ts';
import { type PackManifest, SchemaPacks } from '../../src/xml/packs.ts';
import { mutants } from '../helpers/mutants.ts';
import { istandaardExamples, officialVerdict } from '../helpers/official.ts';
import { hasReference, projectRoot, referenceDir, skipReason } from '../helpers/reference.ts';

const WMO_REFERENCE = path.join(referenceDir, 'istandaarden-3.2', 'wmo');
const hasWmoReference = hasReference && fs.existsSync(WMO_REFERENCE);
if (!hasWmoReference) console.warn(`SKIPPED unit/schemas-import (needs the official iWmo 3.2 pack): ${skipReason}`);

function sink(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk, _enc, done) {
      text += String(chunk);
      done();
    },
  });
  return { stream, text: () => text };
}

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = sink();
  const err = sink();
  const code = await runSchemas(argv, out.stream, err.stream);
  return { code, out: out.text(), err: err.text() };
}

/** The official pack, made messy the way real distributions are. */
function messyCopy(into: string): void {
  fs.mkdirSync(path.join(into, 'berichten'), { recursive: true });
  for (const name of fs.readdirSync(WMO_REFERENCE).filter((n) => n.endsWith('.xsd'))) {
    fs.copyFileSync(
      path.join(WMO_REFERENCE, name),
      path.join(into, name === 'basisschema.xsd' ? 'Basisschema.xsd' : name),
    );
  }
  const edit = (name: string, f: (s: string) => string) =>
    fs.writeFileSync(path.join(into, name), f(fs.readFileSync(path.join(into, name), 'utf8')));
  const setLocation = (s: string, location: string) => {
    const out = s.replace('schemaLocation="basisschema.xsd"', `schemaLocation="${location}"`);
    if (out === s) throw new Error('no basisschema import to edit');
    return out;
  };
  edit('WMO302.xsd', (s) => setLocation(s, '.\\basisschema.xsd'));
  edit('WMO301.xsd', (s) => `# iWmo 3.2 — WMO301 Toewijzing\n\n${s}`);
  edit('WMO305.xsd', (s) => `\uFEFF${s}`);
  fs.renameSync(path.join(into, 'WMO323.xsd'), path.join(into, 'berichten', 'WMO323.xsd'));
  edit('berichten/WMO323.xsd', (s) => setLocation(s, '..\\BASISSCHEMA.xsd'));
}

describe.skipIf(!hasWmoReference)(
  hasWmoReference ? 'schakel schemas import' : `schakel schemas import (skipped: ${skipReason})`,
  () => {
    let tmp: string;
    let messy: string;
    let schemas: string;
    let packDir: string;
    let result: { code: number; out: string; err: string };
    let validator: BerichtValidator;
    const examples = hasWmoReference ? istandaardExamples().filter((e) => e.dir === 'wmo') : [];

    beforeAll(async () => {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'schakel-import-'));
      messy = path.join(tmp, 'iWmo 3.2 (download)');
      schemas = path.join(tmp, 'schemas');
      messyCopy(messy);
      result = await run('import', messy, '--standard', 'iwmo', '--release', '3.2', '--into', schemas);
      packDir = path.join(schemas, 'iwmo', '3.2');
      validator = new BerichtValidator(SchemaPacks.load(schemas), { today: () => new Date('2026-11-01T12:00:00Z') });
    });
    afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

    it('the messy copy does not load as it is (negative control)', () => {
      const asIs = path.join(tmp, 'as-is');
      fs.cpSync(messy, asIs, { recursive: true });
      const messages = Object.fromEntries(['WMO301', 'WMO302', 'WMO305', 'WMO306'].map((m) => [m, `${m}.xsd`]));
      fs.writeFileSync(
        path.join(asIs, 'pack.json'),
        JSON.stringify({ id: 'as-is', standard: 'iwmo', release: '3.2', messages }),
      );
      const { results } = SchemaPacks.probe(asIs);
      expect(results.filter((r) => r.error === undefined)).toEqual([]);
    });

    it('exits 0 and reports every message: key, root, namespace, compiled ok', () => {
      expect(result.err).toBe('');
      expect(result.code).toBe(0);
      for (const ex of examples) {
        const nr = ex.name.toLowerCase();
        expect(result.out).toContain(
          `${ex.name}  ${ex.name === 'WMO323' ? 'WMO323.xsd' : `${ex.name}.xsd`}  {http://www.istandaarden.nl/iwmo/3_2/${nr}/schema}Bericht  compiled ok`,
        );
      }
      expect(result.out).toContain('14 messages: 14 compiled, 0 failed');
      expect(result.out).toContain('repaired WMO301.xsd: removed');
      expect(result.out).toContain('repaired WMO305.xsd: removed a UTF-8 byte-order mark');
      expect(result.out).toContain('repaired WMO302.xsd: schemaLocation ".\\basisschema.xsd" → "Basisschema.xsd"');
      expect(result.out).toContain('repaired WMO323.xsd: schemaLocation "..\\BASISSCHEMA.xsd" → "Basisschema.xsd"');
    });

    it('writes pack.json with keys from the file names and the appinfo versions', () => {
      const manifest = JSON.parse(fs.readFileSync(path.join(packDir, 'pack.json'), 'utf8')) as PackManifest;
      expect(manifest).toMatchObject({
        id: 'iwmo-3.2',
        standard: 'iwmo',
        release: '3.2',
        versions: { BasisschemaXsdVersie: '1.0.0', BerichtXsdVersie: '1.0.0' },
      });
      expect(manifest.origin).toMatch(/^imported: official iwmo 3.2 pack/);
      expect(Object.entries(manifest.messages)).toEqual(examples.map((e) => [e.name, `${e.name}.xsd`]));
      expect(fs.readdirSync(packDir).sort()).toEqual(
        ['Basisschema.xsd', ...examples.map((e) => `${e.name}.xsd`), 'pack.json'].sort(),
      );
    });

    it('keeps the official content: only the mechanical repairs differ', () => {
      const official = (name: string) => fs.readFileSync(path.join(WMO_REFERENCE, name));
      const imported = (name: string) => fs.readFileSync(path.join(packDir, name));
      expect(imported('Basisschema.xsd').equals(official('basisschema.xsd'))).toBe(true);
      for (const ex of examples) {
        const expected = official(`${ex.name}.xsd`)
          .toString('utf8')
          .replace('schemaLocation="basisschema.xsd"', 'schemaLocation="Basisschema.xsd"');
        expect(imported(`${ex.name}.xsd`).toString('utf8'), ex.name).toBe(expected);
      }
    });

    for (const ex of examples) {
      it(`${ex.name}: the imported pack judges the example and its mutants as the official schema does`, () => {
        const source = fs.readFileSync(path.join(referenceDir, ex.xml), 'utf8');
        const cases = [{ description: 'the official example', xml: source }, ...mutants(source, seedOf(ex.name), 4)];
        expect(cases.length).toBeGreaterThan(15);
        const disagreements: string[] = [];
        let rejected = 0;
        for (const c of cases) {
          const official = officialVerdict(ex.xsd, c.xml);
          const ours = validator.validate(Buffer.from(c.xml)).xsdValid;
          if (!official) rejected++;
          if (ours !== official) disagreements.push(`${c.description}: official ${official}, imported ${ours}`);
        }
        expect(disagreements).toEqual([]);
        expect(officialVerdict(ex.xsd, source)).toBe(true);
        expect(rejected).toBeGreaterThan(cases.length / 2);
      });
    }

    it('exits 1 and names the message when a schema does not compile', async () => {
      const broken = path.join(tmp, 'broken');
      fs.mkdirSync(broken);
      fs.copyFileSync(path.join(WMO_REFERENCE, 'basisschema.xsd'), path.join(broken, 'basisschema.xsd'));
      fs.copyFileSync(path.join(WMO_REFERENCE, 'WMO306.xsd'), path.join(broken, 'WMO306.xsd'));
      fs.writeFileSync(
        path.join(broken, 'WMO301.xsd'),
        fs
          .readFileSync(path.join(WMO_REFERENCE, 'WMO301.xsd'), 'utf8')
          .replace('iwmo:LDT_Gemeente', 'iwmo:LDT_Bestaatniet'),
      );
      const r = await run(
        'import',
        broken,
        '--standard',
        'iwmo',
        '--release',
        '3.2',
        '--into',
        path.join(tmp, 'schemas-broken'),
      );
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/WMO301 {2}WMO301\.xsd {2}\{[^}]+\}Bericht {2}ERROR .*LDT_Bestaatniet/);
      expect(r.out).toContain(
        'WMO306  WMO306.xsd  {http://www.istandaarden.nl/iwmo/3_2/wmo306/schema}Bericht  compiled ok',
      );
      expect(r.out).toContain('2 messages: 1 compiled, 1 failed');
    });

    it('exits 2 for usage errors and does not overwrite what is not a pack folder', async () => {
      expect((await run('import', messy, '--standard', 'iwmo')).code).toBe(2);
      expect((await run('import', path.join(tmp, 'missing'), '--standard', 'iwmo', '--release', '3.2')).code).toBe(2);
      expect((await run('import', messy, '--standard', 'iWmo!', '--release', '3.2', '--into', schemas)).code).toBe(2);
      expect((await run('export', messy)).code).toBe(2);
      const occupied = path.join(tmp, 'occupied');
      fs.mkdirSync(path.join(occupied, 'iwmo', '3.2'), { recursive: true });
      fs.writeFileSync(path.join(occupied, 'iwmo', '3.2', 'notes.txt'), 'mine');
      const r = await run('import', messy, '--standard', 'iwmo', '--release', '3.2', '--into', occupied);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/not a schema pack folder/);
      expect(fs.readFileSync(path.join(occupied, 'iwmo', '3.2', 'notes.txt'), 'utf8')).toBe('mine');
    });

    it('replaces an earlier import of the same pack', () => {
      const again = importPack({ dir: messy, standard: 'iwmo', release: '3.2', into: schemas });
      expect(again.messages.every((m) => m.error === undefined)).toBe(true);
      expect(fs.readdirSync(packDir)).toHaveLength(16);
    });

    it('is reachable as `schakel schemas` (usage, exit 2)', () => {
      const r = spawnSync(process.execPath, [path.join(projectRoot, 'bin/schakel.mjs'), 'schemas'], {
        cwd: projectRoot,
        encoding: 'utf8',
      });
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/usage: schakel schemas import <dir> --standard/);
    });
  },
);

function seedOf(name: string): number {
  return [...name].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 11);
}
