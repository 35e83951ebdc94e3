/**
 * The iWmo/iJw 3.2 technical rules against the official examples (clock pinned) and against mutants of them
 * made by string replacement, each of which breaks exactly one rule.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { catalogue } from '../../src/catalogue/catalogue.ts';
import { recognise } from '../../src/catalogue/recognise.ts';
import type { CatalogueEntry } from '../../src/catalogue/types.ts';
import { RETOURCODES } from '../../src/retour/istandaarden.ts';
import { loadGemeenten } from '../../src/rules/gemeenten.ts';
import { passesElfproef } from '../../src/rules/istandaarden/bsn.ts';
import { checkRules, ISTANDAARD_RULES, rulesFor } from '../../src/rules/registry.ts';
import { parseToTree } from '../../src/xml/parse.ts';
import { mutants } from '../helpers/mutants.ts';
import { istandaardExamples } from '../helpers/official.ts';
import { hasReference, referenceDir, skipReason } from '../helpers/reference.ts';

if (!hasReference) console.warn(`SKIPPED unit/rules (official examples): ${skipReason}`);

/** The pinned system date: after every Dagtekening in the examples (2023–2026). */
const TODAY = new Date('2026-11-01T10:00:00Z');
const gemeenten = loadGemeenten();

function example(name: string): string {
  const dir = name.startsWith('WMO') ? 'wmo' : 'jw';
  // Some examples end their lines in CR LF, some in LF; mutations are written against LF.
  return fs
    .readFileSync(path.join(referenceDir, 'istandaarden-3.2', dir, `${name}.xml`), 'utf8')
    .replace(/\r\n/g, '\n');
}

/** Replaces the first occurrence of each `from`; a replacement that finds nothing fails the test. */
function mutate(xml: string, ...edits: [from: string, to: string][]): string {
  let out = xml;
  for (const [from, to] of edits) {
    if (!out.includes(from)) throw new Error(`mutation source not found: ${from}`);
    out = out.replace(from, to);
  }
  return out;
}

function judge(xml: string, entry?: CatalogueEntry, today = TODAY) {
  const root = parseToTree(xml);
  let e = entry;
  if (!e) {
    const r = recognise(root);
    if (!r.ok) throw new Error(`not recognised: ${r.reason}`);
    e = r.entry;
  }
  return checkRules({ entry: e, root, today, gemeenten });
}

function codes(xml: string, entry?: CatalogueEntry, today = TODAY): string[] {
  return judge(xml, entry, today).map((f) => f.rule.code);
}

describe('rule metadata and registry', () => {
  it('has one entry per code with the level and retourcode the standard prescribes', () => {
    const meta = Object.fromEntries(ISTANDAARD_RULES.map((r) => [r.code, [r.retourcode, r.level]]));
    expect(meta).toEqual({
      HDR001: ['0001', 2],
      CS002: ['0001', 2],
      TR002: ['0001', 2],
      TR018: ['0001', 2],
      CS003: ['0001', 2],
      TR137: ['0001', 2],
      TR101: ['0001', 2],
      TR134: ['0001', 2],
      TR006: ['0001', 2],
      TR061: ['0001', 2],
      TR302: ['0001', 2],
      TR386: ['0001', 2],
      TR410: ['0001', 2],
      TR352: ['0001', 2],
      TR353: ['0001', 2],
      TR380: ['0001', 2],
      TR383: ['0001', 2],
      TR315: ['0001', 2],
      TR316: ['0001', 2],
      TR335: ['0001', 2],
      TR358: ['0001', 2],
      TR416: ['0001', 2],
      TR342: ['0001', 2],
      TR377: ['0001', 2],
      TR409: ['0001', 2],
      TR135: ['8848', 4],
      TR378: ['S300', 4],
      TR381: ['S329', 4],
    });
    for (const r of ISTANDAARD_RULES) expect(RETOURCODES.has(r.retourcode)).toBe(true);
  });

  it('selects the rules per message as standards.md §6.2 lists them', () => {
    const of = (name: string): string[] =>
      rulesFor(catalogue.byName(name)!)
        .map((r) => r.code)
        .sort();
    expect(of('WMO301')).toEqual([
      'CS002',
      'CS003',
      'HDR001',
      'TR002',
      'TR006',
      'TR061',
      'TR101',
      'TR134',
      'TR135',
      'TR302',
      'TR378',
      'TR381',
    ]);
    expect(of('JW305')).toEqual(['CS002', 'HDR001', 'TR002', 'TR101', 'TR134', 'TR135', 'TR378', 'TR381']);
    expect(of('WMO307')).toEqual(['CS002', 'HDR001', 'TR002', 'TR018', 'TR101', 'TR134', 'TR135', 'TR378', 'TR381']);
    expect(of('JW315')).toEqual([
      'CS002',
      'CS003',
      'HDR001',
      'TR002',
      'TR101',
      'TR134',
      'TR135',
      'TR378',
      'TR381',
      'TR383',
      'TR386',
    ]);
    expect(of('WMO317')).toEqual([
      'CS002',
      'CS003',
      'HDR001',
      'TR101',
      'TR135',
      'TR352',
      'TR353',
      'TR378',
      'TR380',
      'TR381',
      'TR410',
    ]);
    expect(of('JW319')).toEqual(['CS002', 'HDR001', 'TR135', 'TR377', 'TR378', 'TR409']);
    expect(of('WMO319')).toEqual(['CS002', 'HDR001', 'TR135', 'TR378']);
    expect(of('WMO323')).toEqual([
      'CS002',
      'HDR001',
      'TR101',
      'TR134',
      'TR135',
      'TR137',
      'TR315',
      'TR316',
      'TR335',
      'TR358',
      'TR378',
      'TR381',
      'TR416',
    ]);
    expect(of('JW325')).toEqual(['CS002', 'HDR001', 'TR101', 'TR134', 'TR135', 'TR137', 'TR342', 'TR378']);
    expect(of('WMO302')).toEqual(['CS002', 'HDR001']);
    expect(of('vtoDi01')).toEqual([]);
  });

  it('computes the elfproef', () => {
    expect(passesElfproef('999900006')).toBe(true);
    expect(passesElfproef('999900018')).toBe(true);
    expect(passesElfproef('999900007')).toBe(false);
    expect(passesElfproef('99990000')).toBe(false);
    expect(passesElfproef('99990000a')).toBe(false);
  });
});

/**
 * Two official examples break a content rule, as the Zorginstituut XSLT for 3.2 reads it:
 * - JW317: NieuwProduct has GewensteIngangsdatum 2026-11-01 and Einddatum 2024-02-28 (CS003).
 * - JW323: the second Client has two Prestaties with ReferentieNummer RN004 and no VorigReferentieNummer (TR101,
 *   and TR358: a ReferentieNummer is unique in the declaratie), and the second of them is for March 2026 in a
 *   declaratie for April 2026 (TR335).
 */
const EXAMPLE_CONTENT_ERRORS: Record<string, string[]> = { JW317: ['CS003'], JW323: ['TR101', 'TR335', 'TR358'] };
const XSD_INVALID_EXAMPLES = new Set(['JW315', 'JW318']);

describe.skipIf(!hasReference)('the official examples', () => {
  const examples = hasReference ? istandaardExamples() : [];

  it('are 26 valid and 2 invalid ones', () => {
    expect(examples).toHaveLength(28);
  });

  for (const ex of examples.filter((e) => !XSD_INVALID_EXAMPLES.has(e.name))) {
    const expected = EXAMPLE_CONTENT_ERRORS[ex.name] ?? [];
    it(`${ex.name} ${expected.length ? `breaks only ${expected.join(', ')}` : 'passes every rule'} (clock 2026-11-01)`, () => {
      expect(codes(example(ex.name))).toEqual(expected);
    });
  }

  it('TR135 rejects the examples when the clock is set before their Dagtekening', () => {
    expect(codes(example('JW319'), undefined, new Date('2026-03-31T12:00:00Z'))).toEqual(['TR135']);
    expect(codes(example('JW319'), undefined, new Date('2026-04-01T12:00:00Z'))).toEqual([]);
  });

  it('rules do not throw on the two XSD-invalid examples or on generated mutants of every example', () => {
    let judged = 0;
    for (const ex of examples) {
      const xml = example(ex.name);
      const entry = catalogue.byName(ex.name)!;
      for (const m of [{ xml }, ...mutants(xml, 7, 4)]) {
        let root;
        try {
          root = parseToTree(m.xml);
        } catch {
          continue;
        }
        expect(() => checkRules({ entry, root, today: TODAY, gemeenten })).not.toThrow();
        judged++;
      }
    }
    expect(judged).toBeGreaterThan(28 * 15);
  });
});

interface Case {
  why: string;
  base: string;
  edits: [string, string][];
  /** Judge as this message (for mutants the recogniser would refuse, e.g. a wrong BerichtCode). */
  as?: string;
  count?: number;
  /** Rules the same fault breaks by their definition as well (in registry order after the rule itself). */
  also?: string[];
}

const CASES: Record<string, Case[]> = {
  CS002: [
    {
      why: 'client Bsn with a wrong check digit',
      base: 'WMO301',
      edits: [['<wmo301:Bsn>999900006<', '<wmo301:Bsn>999900007<']],
    },
    {
      why: 'Bsn of the second Client in a declaratie',
      base: 'WMO323',
      edits: [['<wmo323:Bsn>999900018<', '<wmo323:Bsn>999900019<']],
    },
    { why: 'Bsn in a 325 answer', base: 'JW325', edits: [['<jw325:Bsn>999900006<', '<jw325:Bsn>123456789<']] },
  ],
  TR135: [
    {
      why: 'Dagtekening one day after the system date',
      base: 'WMO301',
      edits: [['<iwmo:Dagtekening>2023-08-13<', '<iwmo:Dagtekening>2026-11-02<']],
    },
    {
      why: 'antwoordbericht dated next year',
      base: 'JW319',
      edits: [['<ijw:Dagtekening>2026-04-01<', '<ijw:Dagtekening>2027-01-01<']],
    },
    {
      why: '325 dated in the future',
      base: 'WMO325',
      edits: [['<iwmo:Dagtekening>2023-05-06<', '<iwmo:Dagtekening>2027-05-06<']],
    },
  ],
  TR378: [
    { why: 'Afzender 9999', base: 'WMO301', edits: [['<wmo301:Afzender>0384<', '<wmo301:Afzender>9999<']] },
    {
      why: 'Ontvanger of a declaratie 9999',
      base: 'WMO323',
      edits: [['<wmo323:Ontvanger>0384<', '<wmo323:Ontvanger>9999<']],
    },
    {
      why: 'Woonplaatsbeginsel/Gemeente Brielle, ended 2022',
      base: 'JW319',
      edits: [['<jw319:Gemeente>1916<', '<jw319:Gemeente>0501<']],
    },
  ],
  TR134: [
    {
      why: 'Begindatum of a StartProduct after the Dagtekening',
      base: 'WMO305',
      edits: [['<wmo305:Begindatum>2025-04-03<', '<wmo305:Begindatum>2025-05-01<']],
    },
    {
      why: 'Toewijzingsdatum after the Dagtekening',
      base: 'WMO301',
      edits: [['<wmo301:Toewijzingsdatum>2023-08-13<', '<wmo301:Toewijzingsdatum>2023-08-14<']],
    },
    {
      why: 'Einddatum of a StopProduct after the Dagtekening',
      base: 'WMO307',
      edits: [['<wmo307:Einddatum>2025-07-18<', '<wmo307:Einddatum>2025-07-22<']],
    },
    {
      why: 'Geboortedatum after the Dagtekening',
      base: 'WMO315',
      edits: [['<iwmo:Datum>1972-07-16<', '<iwmo:Datum>2023-07-16<']],
    },
  ],
  TR002: [
    { why: 'Geboortedatum 1890', base: 'WMO301', edits: [['<iwmo:Datum>1967-08-13<', '<iwmo:Datum>1890-01-01<']] },
    {
      why: 'Geboortedatum one day more than 120 years back',
      base: 'JW305',
      edits: [['<ijw:Datum>2010-02-14<', '<ijw:Datum>1906-04-14<']],
    },
    {
      why: 'Geboortedatum of a Relatie',
      base: 'WMO301',
      edits: [['<iwmo:Datum>1967-01-13<', '<iwmo:Datum>1890-01-13<']],
    },
    {
      why: '1900-01-01 without DatumGebruik 3',
      base: 'WMO307',
      edits: [['<iwmo:Datum>1967-08-13<', '<iwmo:Datum>1900-01-01<']],
    },
  ],
  TR018: [
    {
      why: 'StopProduct Einddatum before its Begindatum',
      base: 'WMO307',
      edits: [['<wmo307:Einddatum>2025-07-18<', '<wmo307:Einddatum>2025-04-02<']],
    },
    {
      why: 'JW307 StopProduct Einddatum before its Begindatum',
      base: 'JW307',
      edits: [['<jw307:Einddatum>2026-07-17<', '<jw307:Einddatum>2026-04-02<']],
    },
  ],
  CS003: [
    {
      why: 'ToegewezenProduct Einddatum before its Ingangsdatum',
      base: 'WMO301',
      edits: [['<wmo301:Einddatum>2023-12-31<', '<wmo301:Einddatum>2022-12-31<']],
    },
    {
      why: 'AangevraagdProduct ToewijzingEinddatum before its ToewijzingIngangsdatum',
      base: 'WMO315',
      edits: [['<wmo315:ToewijzingEinddatum>2023-06-30<', '<wmo315:ToewijzingEinddatum>2023-05-31<']],
    },
    {
      why: 'TeWijzigenProduct Einddatum before its GewensteIngangsdatum',
      base: 'WMO317',
      edits: [['<wmo317:Einddatum>2023-12-31<', '<wmo317:Einddatum>2023-04-01<']],
    },
    {
      why: 'Contact/Periode Einddatum before its Begindatum',
      base: 'JW301',
      edits: [
        [
          '<ijw:Begindatum>2018-02-03</ijw:Begindatum>',
          '<ijw:Begindatum>2018-02-03</ijw:Begindatum><ijw:Einddatum>2018-01-01</ijw:Einddatum>',
        ],
      ],
    },
  ],
  TR137: [
    {
      why: 'DeclaratiePeriode Einddatum before its Begindatum',
      base: 'WMO323',
      edits: [['<iwmo:Einddatum>2023-04-30<', '<iwmo:Einddatum>2023-03-31<']],
    },
    {
      why: 'ProductPeriode Einddatum after the Dagtekening',
      base: 'WMO325',
      edits: [['<iwmo:Einddatum>2023-04-30<', '<iwmo:Einddatum>2023-05-07<']],
    },
    {
      why: 'ProductPeriode Einddatum before its Begindatum in a JW325',
      base: 'JW325',
      edits: [['<ijw:Einddatum>2023-04-30<', '<ijw:Einddatum>2023-03-01<']],
    },
  ],
  TR101: [
    { why: 'two Relaties with Nummer 1', base: 'WMO301', edits: [['<wmo301:Nummer>2<', '<wmo301:Nummer>1<']] },
    {
      why: 'two AangevraagdProducten with one ReferentieAanbieder',
      base: 'WMO315',
      edits: [['<wmo315:ReferentieAanbieder>42420002<', '<wmo315:ReferentieAanbieder>42420001<']],
      also: ['TR383'],
    },
    {
      why: 'two Prestaties with ReferentieNummer RN001 for one Client',
      base: 'WMO323',
      edits: [['<iwmo:ReferentieNummer>RN002<', '<iwmo:ReferentieNummer>RN001<']],
      also: ['TR358'],
    },
    {
      why: 'two Clients with the same Bsn (the key is not quoted)',
      base: 'WMO323',
      edits: [['<wmo323:Bsn>999900018<', '<wmo323:Bsn>999900006<']],
    },
    { why: 'two Contacts of soort 03', base: 'JW301', edits: [['<jw301:Soort>04<', '<jw301:Soort>03<']] },
  ],
  HDR001: [
    {
      why: 'DagtekeningRetour before the copied heen Dagtekening',
      base: 'WMO302',
      edits: [['<wmo302:DagtekeningRetour>2023-08-13<', '<wmo302:DagtekeningRetour>2023-08-12<']],
    },
    {
      why: '325 dated before the declaratie it answers',
      base: 'JW325',
      edits: [
        [
          '<jw325:DeclaratieIdentificatie>\n\t\t\t<ijw:Identificatie>765432198</ijw:Identificatie>\n\t\t\t<ijw:Dagtekening>2023-05-07<',
          '<jw325:DeclaratieIdentificatie>\n\t\t\t<ijw:Identificatie>765432198</ijw:Identificatie>\n\t\t\t<ijw:Dagtekening>2023-05-08<',
        ],
      ],
    },
    {
      why: 'AGB code where the gemeentecode belongs (XSD-invalid)',
      base: 'WMO301',
      edits: [['<wmo301:Afzender>0384<', '<wmo301:Afzender>42420009<']],
    },
    {
      why: 'BerichtCode of another message (XSD-invalid)',
      base: 'WMO301',
      edits: [['<wmo301:BerichtCode>414<', '<wmo301:BerichtCode>415<']],
      as: 'WMO301',
    },
    {
      why: 'BerichtVersie 4 (XSD-invalid)',
      base: 'JW319',
      edits: [['<jw319:BerichtVersie>3<', '<jw319:BerichtVersie>4<']],
    },
  ],
};

describe.skipIf(!hasReference)('mutated examples break exactly one rule', () => {
  for (const [code, cases] of Object.entries(CASES)) {
    const rule = ISTANDAARD_RULES.find((r) => r.code === code)!;
    it(`${code} has at least two mutants`, () => {
      expect(rule).toBeDefined();
      expect(cases.length).toBeGreaterThanOrEqual(2);
    });
    for (const c of cases) {
      it(`${code}: ${c.why} (${c.base})`, () => {
        const xml = mutate(example(c.base), ...c.edits);
        const found = judge(xml, c.as ? catalogue.byName(c.as) : undefined);
        expect(found.map((f) => f.rule.code)).toEqual([...Array<string>(c.count ?? 1).fill(code), ...(c.also ?? [])]);
        for (const f of found.filter((x) => x.rule.code === code)) {
          expect(f.rule.retourcode).toBe(rule.retourcode);
          expect(f.violation.text).not.toMatch(/\d{9}/);
          expect(f.violation.node.line).toBeGreaterThan(0);
        }
      });
    }
  }
});

describe.skipIf(!hasReference)('rule boundaries', () => {
  it('TR135: a Dagtekening equal to the system date passes, with the day taken in the Netherlands', () => {
    const xml = mutate(example('WMO301'), ['<iwmo:Dagtekening>2023-08-13<', '<iwmo:Dagtekening>2026-11-01<']);
    expect(codes(xml)).toEqual([]);
    // 23:30 UTC on 31 October is 1 November in Amsterdam.
    expect(codes(xml, undefined, new Date('2026-10-31T23:30:00Z'))).toEqual([]);
    expect(codes(xml, undefined, new Date('2026-10-31T22:30:00Z'))).toEqual(['TR135']);
  });

  it('TR002: exactly 120 years before the Dagtekening passes', () => {
    expect(codes(mutate(example('JW305'), ['<ijw:Datum>2010-02-14<', '<ijw:Datum>1906-04-15<']))).toEqual([]);
  });

  it('TR002: an unknown Geboortedatum (1900-01-01, DatumGebruik 3) passes', () => {
    const xml = mutate(example('WMO307'), [
      '<iwmo:Datum>1967-08-13</iwmo:Datum>',
      '<iwmo:Datum>1900-01-01</iwmo:Datum><iwmo:DatumGebruik>3</iwmo:DatumGebruik>',
    ]);
    expect(codes(xml)).toEqual([]);
  });

  it('TR378: a code valid on the Ingangsdatum of a toewijzing passes after a herindeling; 1992 is valid from 2023', () => {
    const brielle = mutate(example('WMO301'), ['<wmo301:Afzender>0384<', '<wmo301:Afzender>0501<']);
    expect(codes(brielle)).toEqual(['TR378']);
    expect(codes(mutate(brielle, ['<wmo301:Ingangsdatum>2023-01-01<', '<wmo301:Ingangsdatum>2022-12-01<']))).toEqual(
      [],
    );
    expect(codes(mutate(example('WMO301'), ['<wmo301:Afzender>0384<', '<wmo301:Afzender>1992<']))).toEqual([]);
  });

  it('TR018/CS003: an Einddatum equal to the start passes', () => {
    expect(
      codes(mutate(example('WMO307'), ['<wmo307:Einddatum>2025-07-18<', '<wmo307:Einddatum>2025-04-03<'])),
    ).toEqual([]);
    expect(
      codes(mutate(example('WMO301'), ['<wmo301:Einddatum>2023-12-31<', '<wmo301:Einddatum>2023-01-01<'])),
    ).toEqual([]);
  });

  it('TR101: the same ReferentieNummer for two different Clients is not a duplicate within the client (TR358 judges the declaratie)', () => {
    expect(
      codes(mutate(example('WMO323'), ['<iwmo:ReferentieNummer>RN003<', '<iwmo:ReferentieNummer>RN001<'])),
    ).toEqual(['TR358']);
  });

  it('a violation points at the offending element', () => {
    const [f] = judge(mutate(example('WMO301'), ['<wmo301:Afzender>0384<', '<wmo301:Afzender>9999<']));
    expect(f?.violation.node.name).toBe('Afzender');
    expect(f?.violation.text).toMatch(/9999.*Afzender/);
  });
});

describe('rules on odd but parseable input', () => {
  const entry = catalogue.byName('WMO301')!;
  const ns =
    'xmlns:wmo301="http://www.istandaarden.nl/iwmo/3_2/wmo301/schema" xmlns:iwmo="http://www.istandaarden.nl/iwmo/3_2/basisschema/schema"';

  it('report a missing Header instead of throwing', () => {
    expect(codes(`<wmo301:Bericht ${ns}/>`, entry)).toEqual(['HDR001']);
  });

  it('skip dates that are not calendar days', () => {
    const xml = `<wmo301:Bericht ${ns}><wmo301:Header><wmo301:BerichtCode>414</wmo301:BerichtCode>
      <wmo301:BerichtIdentificatie><iwmo:Identificatie>1</iwmo:Identificatie><iwmo:Dagtekening>2023-02-30</iwmo:Dagtekening></wmo301:BerichtIdentificatie></wmo301:Header>
      <wmo301:Client><wmo301:Geboortedatum><iwmo:Datum>1800-13-01</iwmo:Datum></wmo301:Geboortedatum>
      <wmo301:ToegewezenProducten><wmo301:ToegewezenProduct><wmo301:Ingangsdatum/><wmo301:Einddatum>x</wmo301:Einddatum></wmo301:ToegewezenProduct></wmo301:ToegewezenProducten></wmo301:Client></wmo301:Bericht>`;
    expect(() => judge(xml, entry)).not.toThrow();
    // HDR001 and TR061 (no Contactgegevens) judge the missing structure, not the dates.
    expect(codes(xml, entry).filter((c) => c !== 'HDR001' && c !== 'TR061')).toEqual([]);
  });
});
