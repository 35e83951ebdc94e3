/**
 * Pins what the full verdict says (issue #17: the verdict was made cheaper, and nothing it says may change):
 * message, level-1 and overall validity, header facts and every finding (code, retourcode, line, column, path,
 * text, order), for the envelope's payload too, over
 * - every catalogue example, valid and broken with each rule `--invalid` can break (src/examples/invalid.ts),
 * - the shipped examples/ and examples/invalid/,
 * - the official iWmo/iJw 3.2 examples and seeded mutants of them and of the built StUF-Jeugdzorg, iEb and iPgb
 *   berichten (structure, value and byte level, tests/fuzz/mutate.ts): recognition failures, XSD findings with
 *   their columns, unreadable bodies.
 * The expected verdicts were written by the validator before the change (tests/fixtures/verdict-pin.json);
 * `SCHAKEL_PIN_WRITE=1` rewrites them (then `npx biome format --write` the file), which is only right when a
 * change of a verdict is intended.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';

// The examples draw identifiers and referentienummers from randomUUID: a counter makes the corpus the same
// every run.
vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:crypto')>();
  let n = 0;
  const randomUUID = (): string => {
    n++;
    return `${n.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`;
  };
  return { ...real, default: { ...real, randomUUID }, randomUUID };
});

const { breakableRules, exampleNames, makeExample } = await import('../../src/examples/examples.ts');
const { BerichtValidator } = await import('../../src/validation/validator.ts');
const { SchemaPacks } = await import('../../src/xml/packs.ts');
const { Dice, caseSeed, mutate } = await import('../fuzz/mutate.ts');
const { builtSeeds, officialSeeds } = await import('../fuzz/seeds.ts');
const { projectRoot } = await import('../helpers/reference.ts');
type Verdict = import('../../src/validation/verdict.ts').Verdict;

const FIXTURE = path.join(projectRoot, 'tests/fixtures/verdict-pin.json');
const NOW = new Date('2026-10-15T10:00:00Z');
const validator = new BerichtValidator(SchemaPacks.load(), { today: () => NOW });
const MUTANTS = 250;
const MUTANT_SEED = 17_2026;

/** What a verdict says, without the parts that are not a judgement (the payload's hash stays: it names the bytes). */
function said(v: Verdict): unknown {
  return {
    message: v.message,
    xsdValid: v.xsdValid,
    valid: v.valid,
    // The header facts by digest: they are read from the same tree as the findings, and in full they would
    // double the fixture.
    header: digest(JSON.stringify(v.header)),
    findings: v.findings,
    ...(v.payload ? { payload: said(v.payload) } : {}),
  };
}

function digest(s: string | Buffer): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 12);
}

function corpus(): [string, Buffer][] {
  const cases: [string, Buffer][] = [];
  for (const name of exampleNames()) {
    cases.push([`example ${name}`, Buffer.from(makeExample(name, { now: NOW }))]);
    for (const rule of breakableRules(name))
      cases.push([`example ${name} --invalid ${rule}`, Buffer.from(makeExample(name, { now: NOW, invalid: rule }))]);
  }
  for (const dir of ['examples', 'examples/invalid']) {
    const full = path.join(projectRoot, dir);
    for (const f of fs
      .readdirSync(full)
      .filter((f) => f.endsWith('.xml'))
      .sort())
      cases.push([`${dir}/${f}`, fs.readFileSync(path.join(full, f))]);
  }
  const seeds = [...officialSeeds(), ...builtSeeds()];
  for (const s of seeds) cases.push([`seed ${s.name}`, Buffer.from(s.xml)]);
  for (let i = 0; i < MUTANTS; i++) {
    const dice = new Dice(caseSeed(MUTANT_SEED, i));
    const seed = dice.pick(seeds)!;
    const m = mutate(seed.xml, dice);
    cases.push([`mutant ${i} of ${seed.name} (${m.ops.join('; ')})`, m.body]);
  }
  return cases;
}

describe('the full verdict says what it said before the verdict was made cheaper', () => {
  // A GGK envelope is stamped with the time it is made.
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
  const cases = corpus();
  vi.useRealTimers();
  const actual: Record<string, unknown> = {};
  for (const [name, body] of cases) {
    const key = `${name} #${digest(body)}`;
    actual[key] = said(validator.validate(body));
  }

  if (process.env.SCHAKEL_PIN_WRITE === '1') {
    fs.writeFileSync(
      FIXTURE,
      `{\n${Object.entries(actual)
        .map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`)
        .join(',\n')}\n}\n`,
    );
    console.warn(`wrote ${Object.keys(actual).length} verdicts to ${FIXTURE}`);
  }
  const expected = JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as Record<string, unknown>;

  it('judges the same corpus (the same documents, byte for byte)', () => {
    expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
    expect(cases.length).toBeGreaterThan(500);
  });

  it('covers findings of every kind: rules, XSD, recognition and unreadable bodies', () => {
    const codes = new Set(
      Object.values(expected).flatMap((v) => (v as { findings: { code: string }[] }).findings.map((f) => f.code)),
    );
    for (const code of ['CS002', 'TR101', 'TR134', 'XSD_INVALID', 'XML_NOT_WELL_FORMED', 'UNKNOWN_NAMESPACE'])
      expect(codes).toContain(code);
  });

  it.each(Object.keys(expected))('%s', (key) => {
    expect(actual[key]).toEqual(expected[key]);
  });
});
