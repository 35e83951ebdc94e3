/**
 * Oracle: a second, independent XSD implementation (Xerces, through xsd-schema-validator and the machine's
 * Java) judges the same corpus against the same schema pack files; its verdicts must equal the libxml2 engine's.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { validateXML } from 'xsd-schema-validator';
import { catalogue } from '../../src/catalogue/catalogue.ts';
import { BerichtValidator } from '../../src/validation/validator.ts';
import { DEFAULT_SCHEMAS_DIR, SchemaPacks } from '../../src/xml/packs.ts';
import { mutants } from '../helpers/mutants.ts';
import { istandaardExamples } from '../helpers/official.ts';
import { hasReference, referenceDir, skipReason } from '../helpers/reference.ts';

const MUTANTS_PER_MESSAGE = Number(process.env.ORACLE_MUTANTS ?? 2);

function hasJava(): boolean {
  try {
    execFileSync('javac', ['-version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const javaPresent = hasJava();
if (!hasReference) console.warn(`SKIPPED oracle/xerces: ${skipReason}`);
if (!javaPresent)
  console.warn('SKIPPED oracle/xerces: no Java (javac) on this machine; .ci/run installs default-jdk-headless');

interface Case {
  label: string;
  xml: string;
  schemaFile: string;
}

function packFile(message: string): string {
  const entry = catalogue.byName(message)!;
  const packs = SchemaPacks.load();
  const manifest = packs.manifest(entry.schema.pack)!;
  packs.dispose();
  const dir = entry.standard === 'ggk' ? 'ggk/0310' : `${entry.standard}/${entry.release}`;
  return path.join(DEFAULT_SCHEMAS_DIR, dir, manifest.messages[entry.schema.message]!);
}

function corpus(): Case[] {
  const cases: Case[] = [];
  let k = 0;
  for (const ex of istandaardExamples()) {
    const xml = fs.readFileSync(path.join(referenceDir, ex.xml), 'utf8');
    const schemaFile = packFile(ex.name);
    cases.push({ label: ex.name, xml, schemaFile });
    const list = mutants(xml, 1000 + k, 1);
    for (let i = 0; i < MUTANTS_PER_MESSAGE; i++) {
      const m = list[(k + i * 3) % list.length]!;
      cases.push({ label: `${ex.name} ${m.kind}: ${m.description}`, xml: m.xml, schemaFile });
    }
    k++;
  }
  for (const f of ['ggk_Di01.xml', 'ggk_Du01.xml']) {
    const xml = fs.readFileSync(path.join(referenceDir, 'stuf-ggk0310/ggk0310_21/ggkberichten', f), 'utf8');
    cases.push({ label: f, xml, schemaFile: packFile(f.startsWith('ggk_Di01') ? 'ggk_Di01' : 'ggk_Du01') });
  }
  return cases;
}

describe.skipIf(!hasReference || !javaPresent)('Xerces oracle agrees with the libxml2 engine', () => {
  let engine: BerichtValidator;
  beforeAll(() => {
    engine = new BerichtValidator(SchemaPacks.load(), { today: () => new Date('2026-11-01T12:00:00') });
  });

  it('same level-1 verdict on every document of the corpus', async () => {
    const cases = corpus();
    const results: { label: string; ours: boolean; theirs: boolean }[] = [];
    const queue = [...cases];
    const workers = Array.from({ length: 2 }, async () => {
      for (let c = queue.shift(); c; c = queue.shift()) {
        const theirs = await validateXML(c.xml, c.schemaFile).then(
          (r) => r.valid,
          (e: unknown) => {
            if ((e as { valid?: boolean }).valid === false) return false;
            throw e;
          },
        );
        results.push({ label: c.label, ours: engine.validate(Buffer.from(c.xml)).xsdValid, theirs });
      }
    });
    await Promise.all(workers);
    expect(results).toHaveLength(cases.length);
    expect(results.filter((r) => r.ours !== r.theirs)).toEqual([]);
    expect(results.filter((r) => !r.theirs).length).toBeGreaterThan(10);
  }, 600_000);
});
