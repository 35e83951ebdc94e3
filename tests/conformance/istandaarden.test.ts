/**
 * Conformance with the official iWmo/iJw 3.2 schemas: for every official example and for generated mutants
 * of each, the project's level-1 verdict (recognition + its own schema pack) equals the official schema's.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BerichtValidator } from '../../src/validation/validator.ts';
import { SchemaPacks } from '../../src/xml/packs.ts';
import { type MutantKind, mutants } from '../helpers/mutants.ts';
import { istandaardExamples, officialVerdict } from '../helpers/official.ts';
import { hasReference, referenceDir, skipReason } from '../helpers/reference.ts';

if (!hasReference) console.warn(`SKIPPED conformance/istandaarden: ${skipReason}`);

const INVALID_EXAMPLES = new Set(['JW315', 'JW318']);
/**
 * Schema-valid official examples that break a technical rule of the standard (level 2): JW317's NieuwProduct
 * ends before it starts (CS003), JW323 has two Prestaties with ReferentieNummer RN004 (TR101, TR358), the second
 * for March in a declaratie for April (TR335).
 */
const RULE_VIOLATIONS: Record<string, string[]> = { JW317: ['CS003'], JW323: ['TR101', 'TR335', 'TR358'] };

describe.skipIf(!hasReference)('iWmo/iJw 3.2 conformance with the official schemas', () => {
  let validator: BerichtValidator;
  beforeAll(() => {
    validator = new BerichtValidator(SchemaPacks.load(), { today: () => new Date('2026-11-01T12:00:00') });
  });
  const examples = hasReference ? istandaardExamples() : [];

  it('has the 28 official examples', () => {
    expect(examples).toHaveLength(28);
  });

  for (const ex of examples) {
    it(`${ex.name}: same verdict as the official schema (${INVALID_EXAMPLES.has(ex.name) ? 'invalid' : 'valid'})`, () => {
      const xml = fs.readFileSync(path.join(referenceDir, ex.xml));
      const official = officialVerdict(ex.xsd, xml);
      const verdict = validator.validate(xml);
      expect(official).toBe(!INVALID_EXAMPLES.has(ex.name));
      expect(verdict.message).toBe(ex.name);
      expect(verdict.xsdValid).toBe(official);
      const ruleCodes = [...new Set(verdict.findings.filter((f) => f.level === 'rule').map((f) => f.code))];
      expect(ruleCodes).toEqual(RULE_VIOLATIONS[ex.name] ?? []);
      expect(verdict.valid).toBe(official && !RULE_VIOLATIONS[ex.name]);
    });
  }

  for (const ex of examples) {
    it(`${ex.name}: ≥ 20 mutants of every kind judged as the official schema judges them`, () => {
      const source = fs.readFileSync(path.join(referenceDir, ex.xml), 'utf8');
      const list = mutants(source, seedOf(ex.name), 4);
      expect(list.length).toBeGreaterThanOrEqual(20);
      const kinds = new Set<MutantKind>(list.map((m) => m.kind));
      expect([...kinds].sort()).toEqual([
        'bad-date',
        'break-pattern',
        'remove-element',
        'reorder',
        'wrong-berichtcode',
        'wrong-namespace',
      ]);
      const disagreements: string[] = [];
      let rejected = 0;
      for (const m of list) {
        const official = officialVerdict(ex.xsd, m.xml);
        const ours = validator.validate(Buffer.from(m.xml)).xsdValid;
        if (!official) rejected++;
        if (official !== ours) disagreements.push(`${m.kind}: ${m.description} (official ${official}, ours ${ours})`);
      }
      expect(disagreements).toEqual([]);
      expect(rejected).toBeGreaterThan(list.length / 2);
    });
  }
});

function seedOf(name: string): number {
  return [...name].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7);
}
