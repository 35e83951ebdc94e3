/**
 * The retour the validator builds for a rejected heenbericht: contents per level (standards.md §6.1), TR381
 * from the configured product list, and DagtekeningRetour as the Dutch calendar day whatever the server's TZ.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BerichtValidator } from '../../src/validation/validator.ts';
import { SchemaPacks } from '../../src/xml/packs.ts';
import { parseToTree } from '../../src/xml/parse.ts';
import { at, child, descendants, type XNode } from '../../src/xml/tree.ts';
import { officialVerdict } from '../helpers/official.ts';
import { hasReference, projectRoot, referenceDir, skipReason } from '../helpers/reference.ts';

if (!hasReference) console.warn(`SKIPPED unit/retour-validator (official examples): ${skipReason}`);
if (!hasReference && process.env.CI === 'true')
  throw new Error(`unit/retour-validator needs the official examples in CI: ${skipReason}`);

const example = (dir: string, name: string): string =>
  fs.readFileSync(path.join(referenceDir, 'istandaarden-3.2', dir, `${name}.xml`), 'utf8');
const codesOf = (n: XNode | undefined): string[] => child(n, 'RetourCodes')?.children.map((c) => c.text) ?? [];

let packs: SchemaPacks;
const savedTz = process.env.TZ;
beforeAll(() => {
  packs = SchemaPacks.load();
  // The server's zone is UTC; the retour must still carry the Dutch day.
  process.env.TZ = 'UTC';
});
afterAll(() => {
  if (savedTz === undefined) delete process.env.TZ;
  else process.env.TZ = savedTz;
});

describe.skipIf(!hasReference)("the validator's retour", () => {
  it('is dated on the Amsterdam day at 23:30 UTC, when Amsterdam is already the next day (TZ=UTC)', () => {
    // 2026-06-30 23:30 UTC = 2026-07-01 01:30 CEST.
    const clock = new Date('2026-06-30T23:30:00Z');
    expect(new Date(clock).getDate()).toBe(30); // this process really runs in UTC
    const validator = new BerichtValidator(packs, { today: () => clock });
    const xml = example('wmo', 'WMO301').replace('<wmo301:Bsn>999900006<', '<wmo301:Bsn>999900007<');
    const v = validator.validate(Buffer.from(xml), { retour: true });
    expect(v.findings.map((f) => f.code)).toEqual(['CS002']);
    const retour = parseToTree(v.retour!);
    expect(at(retour, 'Header/DagtekeningRetour')?.text).toBe('2026-07-01');
    expect(codesOf(child(retour, 'Header'))).toEqual(['0001']);
    expect(officialVerdict('istandaarden-3.2/wmo/WMO302.xsd', v.retour!)).toBe(true);
  });

  it('a 325 made at 23:30 UTC on 31 December carries the new year in its BerichtIdentificatie', () => {
    const clock = new Date('2026-12-31T23:30:00Z');
    const validator = new BerichtValidator(packs, { today: () => clock });
    const xml = example('wmo', 'WMO323').replace('<iwmo:TotaalBedrag>58000<', '<iwmo:TotaalBedrag>58001<');
    const v = validator.validate(Buffer.from(xml), { retour: true });
    expect(v.findings.map((f) => f.code)).toEqual(['TR315']);
    expect(at(parseToTree(v.retour!), 'Header/BerichtIdentificatie/Dagtekening')?.text).toBe('2027-01-01');
  });

  it('answers a level-4 product error (TR381, S329) per class, valid against the official XSD', () => {
    const validator = new BerichtValidator(packs, {
      today: () => new Date('2026-11-01T12:00:00Z'),
      productListFile: path.join(projectRoot, 'data/productcodes.example.csv'),
    });
    const xml = example('jw', 'JW305').replace('<ijw:Code>55A11<', '<ijw:Code>55A99<');
    expect(xml).toContain('55A99');
    const v = validator.validate(Buffer.from(xml), { retour: true });
    expect(v.findings.map((f) => [f.code, f.retourcode])).toEqual([['TR381', 'S329']]);
    expect(officialVerdict('istandaarden-3.2/jw/JW306.xsd', v.retour!)).toBe(true);
    const retour = parseToTree(v.retour!);
    expect(codesOf(child(retour, 'Header'))).toEqual(['0200']);
    expect(codesOf(child(retour, 'Client'))).toEqual(['0200']);
    const products = descendants(retour, 'StartProduct');
    expect(products.map(codesOf)).toContainEqual(['S329']);
    for (const p of products) expect(codesOf(p)).toEqual(at(p, 'Product/Code')?.text === '55A99' ? ['S329'] : ['0200']);
  });

  it('refuses a product list that cannot be read, naming the setting', () => {
    expect(() => new BerichtValidator(packs, { productListFile: '/nonexistent/products.csv' })).toThrow(
      /validation\.productList/,
    );
  });
});
