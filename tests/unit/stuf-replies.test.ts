/**
 * StUF answers (src/stuf/replies.ts): Bv03, Fo03 (including StUF016 for a duplicate zender + referentienummer) and
 * Fo01 swap the answered message's zender and ontvanger and carry its referentienummer as crossRefnummer; they are
 * valid against the StUF-JZ jz pack (project and official; the official side skips visibly without the reference).
 * Also: the gateway recognises incoming Bv01/Bv03/Fo01/Fo03.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { extractHeader } from '../../src/catalogue/header.ts';
import { recognise } from '../../src/catalogue/recognise.ts';
import { build, PARTIES } from '../../src/examples/stuf-jz.ts';
import { dedupKey } from '../../src/pipeline/identity.ts';
import { unwrap, wrap } from '../../src/stuf/ggk-envelope.ts';
import { answeredFrom, buildBv03, buildDuplicateFo03, buildFo01, buildFo03, STUF016 } from '../../src/stuf/replies.ts';
import { UUID_V4 } from '../../src/stuf/stuurgegevens.ts';
import { BerichtValidator } from '../../src/validation/validator.ts';
import { SchemaPacks } from '../../src/xml/packs.ts';
import { parseToTree, parseXml } from '../../src/xml/parse.ts';
import { textAt } from '../../src/xml/tree.ts';
import { XsdEngine } from '../../src/xml/xsd.ts';
import { officialVerdict } from '../helpers/official.ts';
import { hasReference, referenceDir, skipReason } from '../helpers/reference.ts';

const OFFICIAL_STUF_XSD = 'stuf-jeugdzorg-1.0.9/jzberichten/jz0100_msg_stuf_jzberichten_resolved2025.xsd';
const hasJzReference = hasReference && fs.existsSync(path.join(referenceDir, OFFICIAL_STUF_XSD));
if (!hasJzReference) console.warn(`SKIPPED parts of unit/stuf-replies (official StUF-JZ XSD): ${skipReason}`);

const TIJDSTIP = new Date('2026-10-15T07:30:00.123Z');

describe('StUF answers', () => {
  let packs: SchemaPacks;
  let validator: BerichtValidator;
  beforeAll(() => {
    packs = SchemaPacks.load();
    validator = new BerichtValidator(packs);
  });

  const vto = build('vtoDi01', {
    referentienummer: 'a7c5e1d2-3b4f-4a6c-8d9e-0f1a2b3c4d5e',
    zender: { administratie: 'jeugd', gebruiker: 'medewerker1' },
  });
  const answered = () => answeredFrom(parseToTree(vto));

  const sg = (xml: string) => {
    const root = parseToTree(xml);
    const s = root.children.find((c) => c.name === 'stuurgegevens');
    return {
      root: root.name,
      berichtcode: textAt(s, 'berichtcode'),
      zender: textAt(s, 'zender/organisatie'),
      zenderApplicatie: textAt(s, 'zender/applicatie'),
      ontvanger: textAt(s, 'ontvanger/organisatie'),
      ontvangerAdministratie: textAt(s, 'ontvanger/administratie'),
      referentienummer: textAt(s, 'referentienummer'),
      tijdstipBericht: textAt(s, 'tijdstipBericht'),
      crossRefnummer: textAt(s, 'crossRefnummer'),
      functie: textAt(s, 'functie'),
      body: root.children.find((c) => c.name === 'body')?.children.map((c) => [c.name, c.text]),
    };
  };

  const accepted = (xml: string, name: string): void => {
    const v = validator.validate(Buffer.from(xml));
    expect(v).toMatchObject({ message: name, standard: 'stuf', xsdValid: true, valid: true, findings: [] });
    if (hasJzReference) expect(officialVerdict(OFFICIAL_STUF_XSD, xml)).toBe(true);
  };

  it('Bv03 answers with swapped parties, its own UUID v4 and crossRefnummer = the answered referentienummer', () => {
    const xml = buildBv03(answered(), { tijdstip: TIJDSTIP });
    expect(sg(xml)).toMatchObject({
      root: 'Bv03Bericht',
      berichtcode: 'Bv03',
      zender: PARTIES.rvdk.organisatie,
      zenderApplicatie: PARTIES.rvdk.applicatie,
      ontvanger: PARTIES.gemeente.organisatie,
      ontvangerAdministratie: 'jeugd',
      referentienummer: expect.stringMatching(UUID_V4),
      tijdstipBericht: '20261015093000123',
      crossRefnummer: 'a7c5e1d2-3b4f-4a6c-8d9e-0f1a2b3c4d5e',
      functie: undefined,
      body: undefined,
    });
    accepted(xml, 'Bv03');
  });

  it('Fo03 StUF016 answers the second arrival of a (zender, referentienummer)', () => {
    const seen = new Set<string>();
    const arrivals = [vto, build('vtoDi01', { referentienummer: 'a7c5e1d2-3b4f-4a6c-8d9e-0f1a2b3c4d5e' })];
    const answers = arrivals.map((xml) => {
      const root = parseToTree(xml);
      const r = recognise(root);
      if (!r.ok) throw new Error(r.reason);
      const key = JSON.stringify(dedupKey(r.entry, extractHeader(r.entry, root)));
      const duplicate = seen.has(key);
      seen.add(key);
      return duplicate
        ? buildDuplicateFo03(answeredFrom(root), { tijdstip: TIJDSTIP })
        : buildBv03(answeredFrom(root), { tijdstip: TIJDSTIP });
    });
    expect(answers.map((a) => sg(a).root)).toEqual(['Bv03Bericht', 'Fo03Bericht']);
    const fo03 = answers[1]!;
    expect(sg(fo03)).toMatchObject({
      berichtcode: 'Fo03',
      zender: PARTIES.rvdk.organisatie,
      ontvanger: PARTIES.gemeente.organisatie,
      crossRefnummer: 'a7c5e1d2-3b4f-4a6c-8d9e-0f1a2b3c4d5e',
      body: [
        ['code', 'StUF016'],
        ['plek', 'client'],
        ['omschrijving', 'Combinatie zender en referentienummer niet uniek'],
      ],
    });
    accepted(fo03, 'Fo03');
  });

  it('Fo03 and Fo01 carry code, plek, omschrijving and details', () => {
    const fout = {
      code: 'StUF055',
      plek: 'server' as const,
      omschrijving: 'Bericht voldoet niet aan het schema',
      details: 'regel 12: element Bsn',
    };
    for (const [xml, name] of [
      [buildFo03(answered(), fout), 'Fo03'],
      [buildFo01(answered(), fout), 'Fo01'],
    ] as const) {
      expect(sg(xml)).toMatchObject({
        berichtcode: name,
        crossRefnummer: 'a7c5e1d2-3b4f-4a6c-8d9e-0f1a2b3c4d5e',
        body: [
          ['code', 'StUF055'],
          ['plek', 'server'],
          ['omschrijving', fout.omschrijving],
          ['details', fout.details],
        ],
      });
      accepted(xml, name);
    }
    expect(STUF016.code.length).toBeLessThanOrEqual(7);
  });

  it('answers a GGK envelope the same way, valid against the GGK pack StUF0301 (patch 24) as well', () => {
    const envelope = wrap(Buffer.from('<x/>'), {
      zender: { organisatie: '0363', applicatie: 'Schakel' },
      ontvanger: { organisatie: 'CAK' },
      functie: 'WMO405',
      versions: {
        applicatieVersie: '0001',
        applicatieSubversie: '0000',
        functieVersie: '0001',
        functieSubversie: '0000',
      },
    });
    const { stuurgegevens } = unwrap(envelope, packs);
    const bv03 = buildBv03(stuurgegevens);
    expect(sg(bv03)).toMatchObject({
      zender: 'CAK',
      zenderApplicatie: 'GGk',
      ontvanger: '0363',
      crossRefnummer: stuurgegevens.referentienummer,
    });
    accepted(bv03, 'Bv03');
    const engine = new XsdEngine();
    const doc = parseXml(Buffer.from(bv03));
    try {
      expect(engine.validate(packs.validator({ pack: 'ggk-0310', message: 'Bv03Bericht' }), doc)).toEqual([]);
    } finally {
      doc.dispose();
      engine.dispose();
    }
  });

  it('refuses what the schema would refuse', () => {
    expect(() => buildFo03(answered(), { ...STUF016, code: 'StUF0160' })).toThrow(/code must be 1–7/);
    expect(() => buildFo01(answered(), { ...STUF016, omschrijving: 'x'.repeat(201) })).toThrow(/omschrijving/);
    expect(() => buildBv03({ ...answered(), zender: { applicatie: 'ab' } })).toThrow(/applicatie must be 3–50/);
    expect(() => buildBv03({ ...answered(), referentienummer: '' })).toThrow(/answered referentienummer/);
  });
});

describe('incoming StUF service messages', () => {
  let validator: BerichtValidator;
  beforeAll(() => {
    validator = new BerichtValidator(SchemaPacks.load());
  });

  for (const name of ['Bv01', 'Bv03', 'Fo01', 'Fo03'] as const) {
    it(`recognises ${name} and reads its crossRefnummer`, () => {
      const v = validator.validate(
        Buffer.from(build(name, { crossRefnummer: 'b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e' })),
      );
      expect(v).toMatchObject({ message: name, standard: 'stuf', direction: 'retour', xsdValid: true, valid: true });
      expect(v.header).toMatchObject({ stufBerichtcode: name, crossRefnummer: 'b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e' });
    });
  }

  it('refuses a service message whose berichtcode is not its root', () => {
    const v = validator.validate(Buffer.from(build('Fo03', { berichtcode: 'Fo01' })));
    expect(v.valid).toBe(false);
    expect(v.findings.map((f) => f.code)).toEqual(['STUF_BERICHTCODE_MISMATCH']);
  });
});
