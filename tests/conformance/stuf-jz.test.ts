/**
 * Conformance of the StUF-Jeugdzorg 1.0.9 handling: for a minimal, realistic bericht of every jz0100 root and of
 * the StUF0301 service messages Bv01/Bv03/Fo01/Fo03 (src/examples/stuf-jz.ts),
 *   (a) the gateway recognises it as its catalogue entry and the project's own schema pack accepts it;
 *   (b) the official resolved reference pack of its group accepts it;
 *   (c) broken stuurgegevens (an element left out, a wrong functie, a wrong berichtcode, …) are rejected by the
 *       project and by the official schema alike.
 * (a) and the project side of (c) need no reference data; (b) and the official side of (c) are skipped, visibly,
 * when the reference folder is absent.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ParseOption, XmlDocument, type XsdValidator } from 'libxml2-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogue } from '../../src/catalogue/catalogue.ts';
import {
  type BuildOptions,
  build,
  MESSAGES,
  type MessageSpec,
  NS,
  type StuurgegevensElement,
  TEST_BSNS,
} from '../../src/examples/stuf-jz.ts';
import { BerichtValidator } from '../../src/validation/validator.ts';
import type { Verdict } from '../../src/validation/verdict.ts';
import { SchemaPacks } from '../../src/xml/packs.ts';
import { officialSchema } from '../helpers/official.ts';
import { hasReference, referenceDir, skipReason } from '../helpers/reference.ts';

const JZ_REFERENCE = 'stuf-jeugdzorg-1.0.9';
const hasJzReference = hasReference && fs.existsSync(path.join(referenceDir, JZ_REFERENCE));
const jzSkipReason = hasReference ? `reference data not found at ${path.join(referenceDir, JZ_REFERENCE)}` : skipReason;
if (!hasJzReference)
  console.warn(`SKIPPED conformance/stuf-jz (official schemas): ${jzSkipReason}; the project-pack checks still run`);

/** The main message schema of each official resolved group; the service messages use the jz group's StUF file. */
const OFFICIAL_MSG_XSD: Record<MessageSpec['group'], string> = {
  jz: `${JZ_REFERENCE}/jzberichten/jz0100_msg_jzberichten_resolved2025.xsd`,
  vt: `${JZ_REFERENCE}/vtberichten/jz0100_msg_vtberichten_resolved2025.xsd`,
  vv: `${JZ_REFERENCE}/vvberichten/jz0100_msg_vvberichten_resolved2025.xsd`,
  gm: `${JZ_REFERENCE}/gmberichten/jz0100_msg_gmberichten_resolved2025.xsd`,
};
const OFFICIAL_STUF_XSD = `${JZ_REFERENCE}/jzberichten/jz0100_msg_stuf_jzberichten_resolved2025.xsd`;

function officialXsdOf(spec: MessageSpec): string {
  return spec.namespace === NS.StUF ? OFFICIAL_STUF_XSD : OFFICIAL_MSG_XSD[spec.group];
}

/** libxml2's messages for a document against a compiled schema; [] when it is valid. */
function xsdErrors(schema: XsdValidator, xml: string): string[] {
  const doc = XmlDocument.fromBuffer(Buffer.from(xml), {
    option: ParseOption.XML_PARSE_NONET | ParseOption.XML_PARSE_NO_XXE,
  });
  try {
    schema.validate(doc);
    return [];
  } catch (e) {
    const details = (e as { details?: { line: number; message: string }[] }).details;
    return details?.length ? details.map((d) => `${d.line}: ${d.message.trim()}`) : [String(e)];
  } finally {
    doc.dispose();
  }
}

/** (9·d1 + 8·d2 + … + 2·d8 − d9) mod 11 = 0. */
function elfproef(bsn: string): boolean {
  if (!/^[0-9]{9}$/.test(bsn)) return false;
  const d = [...bsn].map(Number);
  const sum = d.slice(0, 8).reduce((acc, digit, i) => acc + (9 - i) * digit, 0) - d[8]!;
  return sum % 11 === 0;
}

const isDi01 = (spec: MessageSpec) => spec.berichtcode === 'Di01';
const di01Specs = MESSAGES.filter(isDi01);
const JZ_ROOTS_IN_VT = MESSAGES.filter((m) => m.group === 'jz' && isDi01(m));

/** A schema-visible stuurgegevens mistake: every one must be rejected, by the project and by the official XSD. */
interface NegativeCase {
  spec: MessageSpec;
  label: string;
  opts: BuildOptions;
  /** The recognition code the gateway must report; absent: recognised, then rejected by the XSD. */
  code?: 'FUNCTIE_MISMATCH' | 'STUF_BERICHTCODE_MISMATCH';
}

/** Bv01 ⇄ Bv03 and Fo01 ⇄ Fo03: the sibling code is the realistic slip. */
const WRONG_SERVICE_CODE: Record<string, string> = { Bv01: 'Bv03', Bv03: 'Bv01', Fo01: 'Fo03', Fo03: 'Fo01' };

function negativeCases(spec: MessageSpec): NegativeCase[] {
  const required: StuurgegevensElement[] = [
    'berichtcode',
    'zender',
    'ontvanger',
    'referentienummer',
    'tijdstipBericht',
  ];
  if (spec.crossRef) required.push('crossRefnummer');
  if (spec.functie) required.push('functie');
  const cases: NegativeCase[] = required.map((el) => ({
    spec,
    label: `without stuurgegevens/${el}`,
    opts: { omit: [el] },
  }));
  cases.push(
    { spec, label: 'referentienummer of 41 characters', opts: { referentienummer: 'R'.repeat(41) } },
    { spec, label: 'tijdstipBericht as an ISO date', opts: { tijdstipBericht: '2026-10-15T09:30:00' } },
    { spec, label: 'zender/applicatie of 2 characters', opts: { zender: { applicatie: 'AB' } } },
  );
  if (isDi01(spec)) {
    const other = di01Specs[(di01Specs.indexOf(spec) + 1) % di01Specs.length]!;
    cases.push(
      { spec, label: `functie ${other.name}`, opts: { functie: other.name }, code: 'FUNCTIE_MISMATCH' },
      { spec, label: 'berichtcode Du01', opts: { berichtcode: 'Du01' }, code: 'STUF_BERICHTCODE_MISMATCH' },
      // Systeem-corv: organisatie is 1..1 in every Di01 (in the service messages' Systeem it is 0..1, see below).
      { spec, label: 'without zender/organisatie', opts: { zender: { organisatie: undefined } } },
    );
  } else {
    const wrong = WRONG_SERVICE_CODE[spec.name]!;
    cases.push({
      spec,
      label: `berichtcode ${wrong}`,
      opts: { berichtcode: wrong },
      code: 'STUF_BERICHTCODE_MISMATCH',
    });
  }
  return cases;
}

const NEGATIVE_CASES = MESSAGES.flatMap(negativeCases);

let packs: SchemaPacks;
let validator: BerichtValidator;
beforeAll(() => {
  packs = SchemaPacks.load();
  validator = new BerichtValidator(packs);
});
afterAll(() => packs?.dispose());

function judge(xml: string): Verdict {
  return validator.validate(Buffer.from(xml));
}

describe('StUF-JZ 1.0.9 builders against the project schema packs', () => {
  it('cover every jz0100 root and StUF service message in the catalogue, and only those', () => {
    const catalogued = catalogue.entries
      .filter((e) => e.standard === 'stuf-jz' || e.standard === 'stuf')
      .map((e) => e.name);
    expect(MESSAGES.map((m) => m.name).sort()).toEqual([...catalogued].sort());
    expect(MESSAGES.filter(isDi01)).toHaveLength(13);
    expect(MESSAGES.filter((m) => m.namespace === NS.StUF).map((m) => m.name)).toEqual([
      'Bv01',
      'Bv03',
      'Fo01',
      'Fo03',
    ]);
  });

  it('use BSNs from the test range that pass the elfproef', () => {
    for (const bsn of TEST_BSNS) {
      expect(bsn, bsn).toMatch(/^99999/);
      expect(elfproef(bsn), bsn).toBe(true);
    }
    expect(elfproef('999990018')).toBe(false);
    for (const spec of MESSAGES) {
      const bsns = [...build(spec.name).matchAll(/<BG:inp\.bsn>([^<]*)</g)].map((m) => m[1]!);
      for (const bsn of bsns) expect(TEST_BSNS as readonly string[], `${spec.name} BSN ${bsn}`).toContain(bsn);
    }
  });

  for (const spec of MESSAGES) {
    it(`${spec.name}: recognised as ${spec.name} and accepted by pack stuf-jz-1.0.9-${spec.group}`, () => {
      const entry = catalogue.byName(spec.name)!;
      expect(entry.namespace).toBe(spec.namespace);
      expect(entry.rootElement).toBe(spec.rootElement);
      expect(entry.schema.pack).toBe(`stuf-jz-1.0.9-${spec.group}`);
      const verdict = judge(build(spec.name));
      expect(verdict.findings).toEqual([]);
      expect(verdict.message).toBe(spec.name);
      expect(verdict.xsdValid).toBe(true);
      expect(verdict.valid).toBe(true);
    });
  }

  for (const spec of MESSAGES) {
    it(`${spec.name}: stuurgegevens overrides reach the recognised header`, () => {
      const opts: BuildOptions = {
        referentienummer: '3f1c2a5e-8b7d-4c1e-9a2b-6d5e4f3a2b1c',
        tijdstipBericht: '20261231235959999',
        zender: { organisatie: '00000099000000099001', applicatie: 'Proefapplicatie', administratie: 'JZ' },
        ontvanger: { gebruiker: 'testgebruiker' },
        ...(spec.crossRef ? { crossRefnummer: '9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d' } : {}),
      };
      const verdict = judge(build(spec.name, opts));
      expect(verdict.findings).toEqual([]);
      expect(verdict.header).toMatchObject({
        stufBerichtcode: spec.berichtcode,
        referentienummer: opts.referentienummer,
        afzender: '00000099000000099001',
        zenderApplicatie: 'Proefapplicatie',
        ontvanger: spec.to.organisatie,
        ...(spec.crossRef ? { crossRefnummer: opts.crossRefnummer } : {}),
        ...(spec.functie ? { functie: spec.functie } : {}),
      });
      if (!spec.crossRef) expect(verdict.header.crossRefnummer).toBeUndefined();
      if (!spec.functie) expect(verdict.header.functie).toBeUndefined();
    });
  }

  it('every message gets a fresh UUID v4 referentienummer (and crossRefnummer) by default', () => {
    const uuidV4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    for (const spec of MESSAGES) {
      const [a, b] = [judge(build(spec.name)).header, judge(build(spec.name)).header];
      expect(a.referentienummer).toMatch(uuidV4);
      expect(a.referentienummer).not.toBe(b.referentienummer);
      if (spec.crossRef) expect(a.crossRefnummer).toMatch(uuidV4);
    }
  });

  it('builders refuse stuurgegevens the message does not have', () => {
    expect(() => build('vtoDi01', { crossRefnummer: 'x' })).toThrow(/no crossRefnummer/);
    expect(() => build('Bv01', { functie: 'vtoDi01' })).toThrow(/no functie/);
  });

  it.each(JZ_ROOTS_IN_VT.map((s) => [s.name, s] as const))(
    '%s: the vt pack (which re-declares the jz roots) accepts it too',
    (_name, spec) => {
      const vt = packs.validator({ pack: 'stuf-jz-1.0.9-vt', message: spec.rootElement });
      expect(xsdErrors(vt, build(spec.name))).toEqual([]);
    },
  );

  it('the service messages carry organisatie 0..1 (Systeem), unlike the Di01 stuurgegevens (Systeem-corv, 1..1)', () => {
    for (const spec of MESSAGES.filter((m) => !isDi01(m))) {
      const verdict = judge(
        build(spec.name, { zender: { organisatie: undefined }, ontvanger: { organisatie: undefined } }),
      );
      expect(verdict.findings, spec.name).toEqual([]);
    }
  });

  for (const spec of MESSAGES) {
    const cases = NEGATIVE_CASES.filter((c) => c.spec === spec);
    it(`${spec.name}: ${cases.length} broken stuurgegevens are rejected`, () => {
      for (const c of cases) {
        const verdict = judge(build(spec.name, c.opts));
        expect(verdict.xsdValid, c.label).toBe(false);
        expect(verdict.valid, c.label).toBe(false);
        if (c.code) {
          expect(verdict.message, c.label).toBeNull();
          expect(
            verdict.findings.map((f) => f.code),
            c.label,
          ).toEqual([c.code]);
        } else {
          expect(verdict.message, c.label).toBe(spec.name);
          expect(verdict.findings.length, c.label).toBeGreaterThan(0);
          expect(new Set(verdict.findings.map((f) => f.code)), c.label).toEqual(new Set(['XSD_INVALID']));
        }
      }
    });
  }
});

const officialTitle = 'StUF-JZ 1.0.9 builders against the official resolved schemas';
describe.skipIf(!hasJzReference)(hasJzReference ? officialTitle : `${officialTitle} (skipped: ${jzSkipReason})`, () => {
  for (const spec of MESSAGES) {
    it(`${spec.name}: accepted by ${path.basename(officialXsdOf(spec))}`, () => {
      expect(xsdErrors(officialSchema(officialXsdOf(spec)), build(spec.name))).toEqual([]);
    });
  }

  it.each(JZ_ROOTS_IN_VT.map((s) => [s.name, s] as const))(
    '%s: accepted by the official vt pack as well',
    (_name, spec) => {
      expect(xsdErrors(officialSchema(OFFICIAL_MSG_XSD.vt), build(spec.name))).toEqual([]);
    },
  );

  it('the service messages without zender/ontvanger organisatie are accepted (Systeem, 0..1)', () => {
    for (const spec of MESSAGES.filter((m) => !isDi01(m))) {
      const xml = build(spec.name, { zender: { organisatie: undefined }, ontvanger: { organisatie: undefined } });
      expect(xsdErrors(officialSchema(OFFICIAL_STUF_XSD), xml), spec.name).toEqual([]);
    }
  });

  for (const spec of MESSAGES) {
    const cases = NEGATIVE_CASES.filter((c) => c.spec === spec);
    it(`${spec.name}: the same ${cases.length} broken stuurgegevens are rejected by the official schema`, () => {
      const schema = officialSchema(officialXsdOf(spec));
      const accepted = cases
        .filter((c) => xsdErrors(schema, build(spec.name, c.opts)).length === 0)
        .map((c) => c.label);
      expect(accepted).toEqual([]);
    });
  }
});
