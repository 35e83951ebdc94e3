/**
 * standards.md §6.2 "Rules checkable without case data", as data: every rule of the table has its code, level,
 * retourcode and messages checked against the registry, passes on the official examples of every message it
 * applies to, and fails with its retourcode on a mutant of an official example that the official XSD still
 * accepts (the level-2 rules only ever see XSD-valid berichten).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { catalogue } from '../../src/catalogue/catalogue.ts';
import { recognise } from '../../src/catalogue/recognise.ts';
import { loadGemeenten } from '../../src/rules/gemeenten.ts';
import { loadProductList, parseProductList } from '../../src/rules/products.ts';
import { ALL_RULES, checkRules } from '../../src/rules/registry.ts';
import { parseToTree } from '../../src/xml/parse.ts';
import { officialVerdict } from '../helpers/official.ts';
import { hasReference, projectRoot, referenceDir, skipReason } from '../helpers/reference.ts';

if (!hasReference) console.warn(`SKIPPED unit/rules-6-2 (official examples): ${skipReason}`);
if (!hasReference && process.env.CI === 'true')
  throw new Error(`unit/rules-6-2 needs the official examples in CI: ${skipReason}`);

/** The §6.2 table: rule → level, retourcode, heen/antwoord message numbers (iWmo and iJw unless noted). */
interface Row {
  level: 2 | 3 | 4;
  code: string;
  messages: string[];
  /** Only in this standard (TR377/TR409: JW319). */
  only?: 'ijw';
}

/**
 * Transcribed from the table. Where the table gives one message list for a group of rules, each rule's own
 * list is a part of it and the group's union must equal the table's list (checked below):
 * - TR302/TR386/TR410 → 301, 315, 317: TR302 301, TR386 315, TR410 317.
 * - TR352/TR353/TR380/TR383 → 317, 315: the VOW rules 317, TR383 (ReferentieAanbieder) 315.
 * - TR137 also 325; the rest of that row 323.
 */
const TABLE: Record<string, Row> = {
  CS002: {
    level: 2,
    code: '0001',
    messages: ['301', '302', '305', '306', '307', '308', '315', '316', '317', '318', '319', '320', '323', '325'],
  },
  TR056: { level: 3, code: '9056', messages: ['301', '305', '307', '315', '317', '319', '323', '325'] },
  TR135: { level: 4, code: '8848', messages: ['301', '305', '307', '315', '317', '319', '323', '325'] },
  TR378: { level: 4, code: 'S300', messages: ['301', '305', '307', '315', '317', '319', '323', '325'] },
  TR381: { level: 4, code: 'S329', messages: ['301', '305', '307', '315', '317', '323'] },
  TR134: { level: 2, code: '0001', messages: ['301', '305', '307', '315', '323', '325'] },
  TR002: { level: 2, code: '0001', messages: ['301', '305', '307', '315'] },
  TR101: { level: 2, code: '0001', messages: ['301', '305', '307', '315', '317', '323', '325'] },
  TR018: { level: 2, code: '0001', messages: ['307'] },
  TR006: { level: 2, code: '0001', messages: ['301'] },
  TR061: { level: 2, code: '0001', messages: ['301'] },
  TR302: { level: 2, code: '0001', messages: ['301'] },
  TR386: { level: 2, code: '0001', messages: ['315'] },
  TR410: { level: 2, code: '0001', messages: ['317'] },
  TR352: { level: 2, code: '0001', messages: ['317'] },
  TR353: { level: 2, code: '0001', messages: ['317'] },
  TR380: { level: 2, code: '0001', messages: ['317'] },
  TR383: { level: 2, code: '0001', messages: ['315'] },
  TR137: { level: 2, code: '0001', messages: ['323', '325'] },
  TR315: { level: 2, code: '0001', messages: ['323'] },
  TR316: { level: 2, code: '0001', messages: ['323'] },
  TR335: { level: 2, code: '0001', messages: ['323'] },
  TR358: { level: 2, code: '0001', messages: ['323'] },
  TR416: { level: 2, code: '0001', messages: ['323'] },
  TR342: { level: 2, code: '0001', messages: ['325'] },
  TR377: { level: 2, code: '0001', messages: ['319'], only: 'ijw' },
  TR409: { level: 2, code: '0001', messages: ['319'], only: 'ijw' },
};

/** The table's grouped rows, with the message list the table gives the group. */
const GROUPS: [string[], string[]][] = [
  [['TR006', 'TR061'], ['301']],
  [
    ['TR302', 'TR386', 'TR410'],
    ['301', '315', '317'],
  ],
  [
    ['TR352', 'TR353', 'TR380', 'TR383'],
    ['315', '317'],
  ],
  [
    ['TR137', 'TR315', 'TR316', 'TR335', 'TR358', 'TR416'],
    ['323', '325'],
  ],
  [['TR377', 'TR409'], ['319']],
];

/** Rules the gateway enforces outside the rule registry, and where. */
const ELSEWHERE: Record<string, string> = {
  TR056:
    'the store: identity per (sender, message, Identificatie); valid and failing (409, retourcode 9056) in tests/integration/gateway.test.ts ' +
    '"duplicates (TR056)", tests/contract/store.contract.ts; its Header-only 9056 retour in tests/unit/retour-levels.test.ts',
};

type Edit = (xml: string) => string;

/** Replaces the first match; a pattern that matches nothing fails the test. */
function sub(pattern: string | RegExp, to: string): Edit {
  return (xml) => {
    const found = typeof pattern === 'string' ? xml.includes(pattern) : pattern.test(xml);
    if (!found) throw new Error(`mutation source not found: ${String(pattern)}`);
    return xml.replace(pattern, to);
  };
}

interface Failing {
  why: string;
  base: string;
  edits: Edit[];
  /** Other rules the same fault breaks by their definition. */
  also?: string[];
  /** What the finding's text must say. */
  text?: RegExp;
}

const FAILING: Record<string, Failing[]> = {
  CS002: [
    {
      why: 'client Bsn with a wrong check digit',
      base: 'WMO301',
      edits: [sub('<wmo301:Bsn>999900006<', '<wmo301:Bsn>999900007<')],
    },
  ],
  TR135: [
    {
      why: 'Dagtekening after the system date',
      base: 'JW305',
      edits: [sub(/<ijw:Dagtekening>[0-9-]+</, '<ijw:Dagtekening>2026-11-02<')],
    },
  ],
  TR378: [{ why: 'Afzender 9999', base: 'WMO301', edits: [sub('<wmo301:Afzender>0384<', '<wmo301:Afzender>9999<')] }],
  TR381: [
    {
      why: 'ProductCode not a code of its Categorie',
      base: 'WMO301',
      edits: [sub('<iwmo:Code>01A01<', '<iwmo:Code>01A99<')],
    },
    {
      why: 'a Prestatie with a code of another categorie',
      base: 'JW323',
      edits: [sub('<jw323:ProductCode>45A03<', '<jw323:ProductCode>55A11<')],
      also: ['TR101', 'TR335', 'TR358'],
    },
  ],
  TR134: [
    {
      why: 'Toewijzingsdatum after the Dagtekening',
      base: 'WMO301',
      edits: [sub('<wmo301:Toewijzingsdatum>2023-08-13<', '<wmo301:Toewijzingsdatum>2023-08-14<')],
    },
  ],
  TR002: [
    { why: 'Geboortedatum 1890', base: 'WMO301', edits: [sub('<iwmo:Datum>1967-08-13<', '<iwmo:Datum>1890-01-01<')] },
  ],
  TR101: [
    { why: 'two Relaties with Nummer 1', base: 'WMO301', edits: [sub('<wmo301:Nummer>2<', '<wmo301:Nummer>1<')] },
  ],
  TR018: [
    {
      why: 'StopProduct Einddatum before its Begindatum',
      base: 'WMO307',
      edits: [sub('<wmo307:Einddatum>2025-07-18<', '<wmo307:Einddatum>2025-04-02<')],
    },
  ],
  TR006: [
    {
      why: 'a Relatie Contact with only its Soort and Organisatie',
      base: 'WMO301',
      text: /^Contact of Relatie 1 has no Adres/,
      edits: [
        sub(
          /(<wmo301:Relatie>[\s\S]*?<wmo301:Contact>\s*<wmo301:Soort>01<\/wmo301:Soort>)\s*<wmo301:Adres>[\s\S]*?<\/wmo301:Adres>/,
          '$1',
        ),
        sub(/<wmo301:Telefoon>[\s\S]*?<\/wmo301:Telefoon>/, ''),
        sub(/<wmo301:Emailadres>[^<]*<\/wmo301:Emailadres>/, ''),
      ],
    },
  ],
  TR061: [
    {
      why: "the client's only Contact is a tijdelijk verblijfadres (04)",
      base: 'WMO301',
      edits: [sub(/(<wmo301:Contactgegevens>\s*<wmo301:Contact>\s*<wmo301:Soort>)01</, '$104<')],
    },
  ],
  TR302: [
    {
      why: 'the same product assigned twice in overlapping periods',
      base: 'WMO301',
      edits: [
        (xml) =>
          sub(
            /<wmo301:ToegewezenProduct>[\s\S]*?<\/wmo301:ToegewezenProduct>/,
            `$&\n${/<wmo301:ToegewezenProduct>[\s\S]*?<\/wmo301:ToegewezenProduct>/.exec(xml)![0].replace('>101<', '>102<').replace('2023-01-01', '2023-06-01')}`,
          )(xml),
      ],
    },
  ],
  TR386: [
    {
      why: 'the same product requested twice in overlapping periods',
      base: 'WMO315',
      edits: [
        sub(
          '<iwmo:Categorie>02</iwmo:Categorie>\n\t\t\t\t\t<iwmo:Code>BCDEF<',
          '<iwmo:Categorie>01</iwmo:Categorie>\n\t\t\t\t\t<iwmo:Code>ABCDE<',
        ),
      ],
    },
  ],
  TR410: [
    {
      why: 'the same new product twice in overlapping periods',
      base: 'WMO317',
      edits: [
        (xml) =>
          sub(
            /<wmo317:NieuwProduct>[\s\S]*?<\/wmo317:NieuwProduct>/,
            `$&\n${/<wmo317:NieuwProduct>[\s\S]*?<\/wmo317:NieuwProduct>/.exec(xml)![0].replace('>2023-04-02<', '>2023-06-01<')}`,
          )(xml),
      ],
    },
  ],
  TR352: [
    {
      why: 'a Verzoek with only OngewijzigdeProducten',
      base: 'WMO317',
      edits: [
        sub(/\s*<wmo317:TeWijzigenProducten>[\s\S]*?<\/wmo317:TeWijzigenProducten>/, ''),
        sub(/\s*<wmo317:NieuweProducten>[\s\S]*?<\/wmo317:NieuweProducten>/, ''),
      ],
    },
  ],
  TR353: [
    {
      why: 'one toewijzing both unchanged and to be changed',
      base: 'WMO317',
      edits: [sub('<wmo317:ToewijzingNummer>10071<', '<wmo317:ToewijzingNummer>10072<')],
    },
  ],
  TR380: [
    {
      why: 'a TeWijzigenProduct that changes nothing',
      base: 'WMO317',
      edits: [
        sub(
          /(<wmo317:TeWijzigenProduct>[\s\S]*?<\/wmo317:GewensteIngangsdatum>)\s*<wmo317:Einddatum>[^<]*<\/wmo317:Einddatum>/,
          '$1',
        ),
      ],
    },
  ],
  TR383: [
    {
      why: 'two AangevraagdProducten with one ReferentieAanbieder',
      base: 'WMO315',
      edits: [sub('<wmo315:ReferentieAanbieder>42420002<', '<wmo315:ReferentieAanbieder>42420001<')],
      also: ['TR101'],
    },
  ],
  TR137: [
    {
      why: 'ProductPeriode Einddatum after the Dagtekening of the 325',
      base: 'WMO325',
      edits: [sub('<iwmo:Einddatum>2023-04-30<', '<iwmo:Einddatum>2023-05-07<')],
    },
  ],
  TR315: [
    {
      why: 'TotaalBedrag one cent more than the Prestaties',
      base: 'WMO323',
      edits: [sub('<iwmo:TotaalBedrag>58000<', '<iwmo:TotaalBedrag>58001<')],
    },
  ],
  TR316: [
    {
      why: 'a debit total marked credit',
      base: 'WMO323',
      edits: [sub(/(<iwmo:TotaalBedrag>58000<\/iwmo:TotaalBedrag>\s*<iwmo:DebetCredit>)D</, '$1C<')],
    },
  ],
  TR335: [
    {
      why: 'a Prestatie that starts before the DeclaratiePeriode',
      base: 'WMO323',
      edits: [sub(/(<wmo323:ProductPeriode>\s*<iwmo:Begindatum>)2023-04-01</, '$12023-03-31<')],
    },
  ],
  TR358: [
    {
      why: 'one ReferentieNummer for Prestaties of two clients',
      base: 'WMO323',
      edits: [sub('<iwmo:ReferentieNummer>RN003<', '<iwmo:ReferentieNummer>RN001<')],
    },
  ],
  TR416: [
    {
      why: 'a credit Prestatie without VorigReferentieNummer (total adjusted)',
      base: 'WMO323',
      edits: [
        sub(/(<iwmo:Bedrag>5000<\/iwmo:Bedrag>\s*<iwmo:DebetCredit>)D</, '$1C<'),
        sub('<iwmo:TotaalBedrag>58000<', '<iwmo:TotaalBedrag>48000<'),
      ],
    },
  ],
  TR342: [
    {
      why: 'a Prestatie listed with 0200 only',
      base: 'WMO325',
      edits: [sub('<wmo325:RetourCode>0611<', '<wmo325:RetourCode>0200<')],
    },
  ],
  TR377: [
    {
      why: 'RedenAfwijzingVerzoek 8 without Woonplaatsbeginsel',
      base: 'JW319',
      edits: [sub(/\s*<jw319:Woonplaatsbeginsel>[\s\S]*?<\/jw319:Woonplaatsbeginsel>/, '')],
    },
  ],
  TR409: [
    {
      why: 'Woonplaatsbeginsel with RedenAfwijzingVerzoek 5',
      base: 'JW319',
      edits: [sub('<jw319:RedenAfwijzingVerzoek>8<', '<jw319:RedenAfwijzingVerzoek>5<')],
    },
  ],
};

/** Official examples that break a rule of this table themselves (see tests/unit/rules.test.ts) or the XSD. */
const EXAMPLE_BREAKS: Record<string, string[]> = { JW317: ['CS003'], JW323: ['TR101', 'TR335', 'TR358'] };
const XSD_INVALID_EXAMPLES = new Set(['JW315', 'JW318']);

const TODAY = new Date('2026-11-01T10:00:00Z');
const gemeenten = loadGemeenten();
const products = loadProductList(path.join(projectRoot, 'data/productcodes.example.csv'));

function example(name: string): string {
  const dir = name.startsWith('WMO') ? 'wmo' : 'jw';
  return fs
    .readFileSync(path.join(referenceDir, 'istandaarden-3.2', dir, `${name}.xml`), 'utf8')
    .replace(/\r\n/g, '\n');
}

function judge(xml: string) {
  const root = parseToTree(xml);
  const r = recognise(root);
  if (!r.ok) throw new Error(`not recognised: ${r.reason}`);
  return checkRules({ entry: r.entry, root, today: TODAY, gemeenten, products });
}

const prefixes = (row: Row): ('WMO' | 'JW')[] => (row.only === 'ijw' ? ['JW'] : ['WMO', 'JW']);

describe('the §6.2 table against the registry', () => {
  for (const [code, row] of Object.entries(TABLE)) {
    it(`${code}: level ${row.level}, retourcode ${row.code}, messages ${row.messages.join(', ')}${row.only ? ` (${row.only} only)` : ''}`, () => {
      const rule = ALL_RULES.find((r) => r.code === code);
      if (!rule) {
        expect(ELSEWHERE[code], `${code} is neither a rule nor listed as enforced elsewhere`).toBeDefined();
        return;
      }
      expect([rule.level, rule.retourcode]).toEqual([row.level, row.code]);
      const applies = catalogue.entries
        .filter((e) => rule.appliesTo(e) && (e.standard === 'iwmo' || e.standard === 'ijw'))
        .map((e) => e.name)
        .sort();
      const wanted = prefixes(row)
        .flatMap((p) => row.messages.map((m) => `${p}${m}`))
        .sort();
      expect(applies).toEqual(wanted);
    });
  }

  it('each grouped row of the table is covered by its rules together', () => {
    for (const [codes, messages] of GROUPS) {
      expect([...new Set(codes.flatMap((c) => TABLE[c]!.messages))].sort()).toEqual([...messages].sort());
    }
  });

  it('every rule of the table has a failing case (or is enforced elsewhere)', () => {
    for (const code of Object.keys(TABLE)) expect(FAILING[code] ?? ELSEWHERE[code], code).toBeDefined();
  });
});

describe.skipIf(!hasReference)('§6.2 rules on the official examples (valid) and their mutants (failing)', () => {
  for (const [code, row] of Object.entries(TABLE)) {
    if (ELSEWHERE[code]) continue;
    const names = prefixes(row).flatMap((p) => row.messages.map((m) => `${p}${m}`));
    const valid = names.filter((n) => !XSD_INVALID_EXAMPLES.has(n) && !(EXAMPLE_BREAKS[n] ?? []).includes(code));

    it(`${code} passes the official examples of ${valid.join(', ')}`, () => {
      expect(valid.length).toBeGreaterThan(0);
      for (const name of valid)
        expect(
          judge(example(name))
            .filter((f) => f.rule.code === code)
            .map((f) => `${name}: ${f.violation.text}`),
        ).toEqual([]);
    });

    for (const c of FAILING[code] ?? []) {
      it(`${code} fails with ${row.code}: ${c.why} (${c.base})`, () => {
        const xml = c.edits.reduce((x, e) => e(x), example(c.base));
        const dir = c.base.startsWith('WMO') ? 'wmo' : 'jw';
        expect(
          officialVerdict(`istandaarden-3.2/${dir}/${c.base}.xsd`, xml),
          'the mutant stays valid against the official XSD',
        ).toBe(true);
        const found = judge(xml);
        const own = found.filter((f) => f.rule.code === code);
        expect(own.length).toBeGreaterThan(0);
        for (const f of own) {
          expect(f.rule.retourcode).toBe(row.code);
          if (c.text) expect(f.violation.text).toMatch(c.text);
          expect(f.violation.text).not.toMatch(/\d{9}/);
        }
        expect([...new Set(found.map((f) => f.rule.code))].sort()).toEqual([code, ...(c.also ?? [])].sort());
      });
    }
  }
});

describe('the product list for TR381', () => {
  it('reads standard;categorie;code lines with * for any code', () => {
    const list = parseProductList('standard;categorie;code\n# comment\niwmo;01;01A01\nijw;54;*\n', 'test');
    expect(list.fits('iwmo', '01', '01A01')).toBe(true);
    expect(list.fits('iwmo', '02', '01A01')).toBe(false);
    expect(list.fits('ijw', '54', '54X01')).toBe(true);
    expect(list.covers('ijw')).toBe(true);
  });

  it('refuses a malformed line with its line number, and an empty list', () => {
    expect(() => parseProductList('iwmo;01;01A01\nwmo;01;01A01\n', 'p.csv')).toThrow(/p\.csv:2: unknown standard wmo/);
    expect(() => parseProductList('iwmo;1;01A01\n', 'p.csv')).toThrow(/p\.csv:1: categorie 1/);
    expect(() => parseProductList('iwmo;01;01A01;x\n', 'p.csv')).toThrow(/p\.csv:1: expected/);
    expect(() => parseProductList('# nothing\n', 'p.csv')).toThrow(/no entries/);
  });

  it.skipIf(!hasReference)('judges nothing without a list, or for a standard the list does not cover', () => {
    const xml = example('WMO301').replace('<iwmo:Code>01A01<', '<iwmo:Code>01A99<');
    const root = parseToTree(xml);
    const entry = catalogue.byName('WMO301')!;
    expect(checkRules({ entry, root, today: TODAY, gemeenten }).map((f) => f.rule.code)).toEqual([]);
    const ijwOnly = parseProductList('ijw;45;45A03\n', 'ijw-only');
    expect(checkRules({ entry, root, today: TODAY, gemeenten, products: ijwOnly }).map((f) => f.rule.code)).toEqual([]);
  });
});
