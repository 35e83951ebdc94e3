/**
 * iEb 4.0 and iPgb 2.1 (MODELLED packs): for each of the 12 messages a valid bericht is accepted, and at least
 * ten invalid ones are each rejected for the expected reason:
 * - level 1 (XSD, recognition): xsdValid false, every finding without a retourcode (no retourbericht);
 * - a rule: xsdValid true, exactly that rule's findings, carrying its retourcode.
 * Level-3 rules read a MemoryHistory filled with the earlier messages of the case. No reference data needed.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { recognise } from '../../src/catalogue/recognise.ts';
import {
  build,
  DEFAULT_BESTEDING,
  DEFAULT_FUNCTIE,
  DEFAULT_IEB_PERIOD,
  GEMEENTE,
  type IebPeriod,
  isRetour,
  MODELLED_MESSAGES,
  type ModelledName,
  mutate,
  OTHER_BSN,
  standardOf,
  TEST_BSN,
  TODAY,
} from '../../src/examples/ieb-ipgb.ts';
import { MemoryHistory } from '../../src/rules/history-memory.ts';
import { passesElfproef } from '../../src/rules/istandaarden/bsn.ts';
import { BerichtValidator } from '../../src/validation/validator.ts';
import { SchemaPacks } from '../../src/xml/packs.ts';
import { parseToTree } from '../../src/xml/parse.ts';

/** Level 1, with an element name that a finding's text or path must name; or a rule with its retourcode. */
type Expectation = { xsd: string } | { code: string; retourcode: string };

interface Case {
  label: string;
  xml: string;
  /** Earlier messages, recorded in the history before the case is judged. */
  earlier?: string[];
  /** Judge with a (possibly empty) history; default: without one. */
  withHistory?: boolean;
  expect: Expectation;
}

const FAILS_ELFPROEF = '999990010';
const rule = (code: string, retourcode: string): Expectation => ({ code, retourcode });

function cases(name: ModelledName): Case[] {
  const standard = standardOf(name);
  const mp = name.toLowerCase();
  const b = standard;
  const retour = isRetour(name);
  const bab = /50[78]$/.test(name);
  const tkb = /50[12]$/.test(name);
  const xml = build(name);
  const party = bab ? 'Ontvanger' : 'Afzender';

  const out: Case[] = [
    { label: 'Bsn of eight digits', xml: mutate(xml, [`>${TEST_BSN}<`, '>99999001<']), expect: { xsd: 'Bsn' } },
    {
      label: 'Dagtekening that is no day',
      xml: build(name, { dagtekening: '2026-02-30' }),
      expect: { xsd: 'Dagtekening' },
    },
    {
      label: 'Dagtekening with a time zone',
      xml: build(name, { dagtekening: '2026-10-15Z' }),
      expect: { xsd: 'Dagtekening' },
    },
    {
      label: 'Identificatie of 13 characters',
      xml: build(name, { identificatie: 'X'.repeat(13) }),
      expect: { xsd: 'Identificatie' },
    },
    {
      label: 'XsdVersie left out',
      xml: mutate(xml, [new RegExp(`<${mp}:XsdVersie>[\\s\\S]*?</${mp}:XsdVersie>\\n`), '']),
      expect: { xsd: 'XsdVersie' },
    },
    {
      label: 'an unknown element in Client',
      xml: mutate(xml, [`>${TEST_BSN}</${mp}:Bsn>`, `>${TEST_BSN}</${mp}:Bsn><${mp}:Onbekend>1</${mp}:Onbekend>`]),
      expect: { xsd: 'Onbekend' },
    },
    {
      label: `the fixed chain party (${bab ? 'Afzender' : 'Ontvanger'}) in the header`,
      xml: bab
        ? mutate(xml, [`<${mp}:Ontvanger>`, `<${mp}:Afzender>${GEMEENTE}</${mp}:Afzender><${mp}:Ontvanger>`])
        : mutate(xml, [`</${mp}:Afzender>`, `</${mp}:Afzender><${mp}:Ontvanger>SVB</${mp}:Ontvanger>`]),
      expect: { xsd: bab ? 'Afzender' : 'Ontvanger' },
    },
    { label: `${party} not a gemeentecode`, xml: build(name, { gemeente: '363' }), expect: { xsd: party } },
    {
      label: 'BerichtVersie outside what the pack allows',
      xml: build(name, { versie: standard === 'ipgb' ? '3' : '100' }),
      expect: { xsd: 'BerichtVersie' },
    },
    {
      label: 'Bsn failing the elfproef',
      xml: mutate(xml, [`>${TEST_BSN}<`, `>${FAILS_ELFPROEF}<`]),
      expect: rule('CS002', '0001'),
    },
  ];
  if (retour) {
    out.push(
      {
        label: 'IdentificatieRetour left out',
        xml: mutate(xml, [new RegExp(`<${mp}:IdentificatieRetour>[^<]*</${mp}:IdentificatieRetour>\\n`), '']),
        expect: { xsd: 'IdentificatieRetour' },
      },
      {
        label: 'a RetourCode that is no code',
        xml: build(name, { retourCodes: ['ab'] }),
        expect: { xsd: 'RetourCode' },
      },
      {
        label: 'a body class without RetourCodes',
        xml: mutate(xml, [
          new RegExp(
            `\\s*<${mp}:RetourCodes>\\s*<${mp}:RetourCode>0200</${mp}:RetourCode>\\s*</${mp}:RetourCodes>\\s*(?=</${mp}:Client>)`,
          ),
          '',
        ]),
        expect: { xsd: 'Client' },
      },
    );
  } else {
    out.push(
      {
        label: 'no Client',
        xml: mutate(xml, [new RegExp(`<${mp}:Client>[\\s\\S]*</${mp}:Client>\\n`), '']),
        expect: { xsd: 'Client' },
      },
      {
        label: 'Dagtekening after the system date',
        xml: build(name, { dagtekening: '2026-11-02' }),
        expect: rule('TR135', '8848'),
      },
    );
  }
  if (standard === 'ieb') out.push(...iebCases(name, retour, xml, mp));
  if (standard === 'ipgb') {
    const other = name.replace(/(\d{3})$/, (nr) => String(Number(nr) + (retour ? -1 : 1)));
    out.push({
      label: `BerichtCode of ${other}`,
      xml: mutate(xml, [/<(\w+):BerichtCode>\d+</, `<$1:BerichtCode>${codeOf(other)}<`]),
      expect: { xsd: 'BerichtCode' },
    });
    out.push({
      label: 'BerichtSubversie 2',
      xml: build(name, { subversie: '2' }),
      expect: { xsd: 'BerichtSubversie' },
    });
  }
  if (tkb) out.push(...tkbCases(name, retour, xml, mp, b));
  if (bab) out.push(...babCases(name, xml, mp, b));
  return out;
}

const IPGB_CODES: Record<string, string> = {
  WMO501: '458',
  WMO502: '459',
  JW501: '460',
  JW502: '461',
  WMO507: '464',
  WMO508: '465',
  JW507: '466',
  JW508: '467',
};
function codeOf(name: string): string {
  return IPGB_CODES[name]!;
}

function iebCases(name: ModelledName, retour: boolean, xml: string, mp: string): Case[] {
  const p = /40[78]$/.test(name) ? 'Bw' : 'Eb';
  const windowRule = p === 'Eb' ? rule('TR393', '9393') : rule('TR395', '9395');
  const period = (over: Partial<IebPeriod>) =>
    build(name, { ieb: [{ bsn: TEST_BSN, periods: [{ ...DEFAULT_IEB_PERIOD, ...over }] }] });
  const heen = name.replace(/(\d{3})$/, (nr) => String(Number(nr) - (retour ? 1 : 0))) as ModelledName;
  const earlier = (identificatie: string, status: string) =>
    build(heen, {
      identificatie,
      dagtekening: '2026-09-15',
      ieb: [{ bsn: TEST_BSN, periods: [{ ...DEFAULT_IEB_PERIOD, status }] }],
    });
  const out: Case[] = [
    { label: 'StatusAanlevering 9', xml: period({ status: '9' }), expect: rule('CS125', '0001') },
    {
      label: 'StatusAanlevering 4 (not in LDT_StatusAanlevering)',
      xml: period({ status: '4' }),
      expect: { xsd: 'StatusAanlevering' },
    },
    {
      label: 'a negative KostprijsBedrag',
      xml: mutate(xml, [`<${mp}:KostprijsBedrag>2150<`, `<${mp}:KostprijsBedrag>-2150<`]),
      expect: { xsd: 'KostprijsBedrag' },
    },
    { label: `${p}StartNummer that is no number`, xml: period({ nummer: 'A1' }), expect: { xsd: `${p}StartNummer` } },
  ];
  if (retour) return out;
  return [
    ...out,
    {
      label: 'TR102: a first delivery of a key delivered before',
      xml,
      earlier: [earlier('EARLIER-1', '1')],
      expect: rule('TR102', '9102'),
    },
    {
      label: 'TR103: a change of a key never delivered',
      xml: period({ status: '2' }),
      withHistory: true,
      expect: rule('TR103', '9103'),
    },
    {
      label: 'TR104: a change after a delete',
      xml: period({ status: '2' }),
      earlier: [earlier('EARLIER-1', '1'), earlier('EARLIER-2', '3')],
      expect: rule('TR104', '9104'),
    },
    {
      label: `${p}Startdatum more than 36 months back`,
      xml: period({ status: '2', start: '2023-10-31' }),
      expect: windowRule,
    },
    {
      label: `a new ${p}Startdatum more than 12 months back`,
      xml: period({ start: '2025-10-31' }),
      expect: windowRule,
    },
    { label: `a new ${p}Startdatum more than 1 month ahead`, xml: period({ start: '2026-12-02' }), expect: windowRule },
  ];
}

function tkbCases(name: ModelledName, retour: boolean, xml: string, mp: string, b: string): Case[] {
  const out: Case[] = [
    {
      label: 'a negative FunctieBudgetBedrag',
      xml: mutate(xml, [`<${mp}:FunctieBudgetBedrag>1250000<`, `<${mp}:FunctieBudgetBedrag>-1<`]),
      expect: { xsd: 'FunctieBudgetBedrag' },
    },
    {
      label: 'Budget without FunctieBudget',
      xml: mutate(xml, [new RegExp(`<${mp}:FunctieBudget>[\\s\\S]*</${mp}:FunctieBudget>\\n`), '']),
      expect: { xsd: 'Budget' },
    },
    {
      label: 'FunctieBudgetPeriode without Ingangsdatum',
      xml: mutate(xml, [
        new RegExp(`(<${mp}:FunctieBudgetPeriode>)\\s*<${b}:Ingangsdatum>[^<]*</${b}:Ingangsdatum>`),
        '$1',
      ]),
      expect: { xsd: 'FunctieBudgetPeriode' },
    },
  ];
  if (retour) return out;
  const heen = name as ModelledName;
  const tkbFor = (bsn: string, identificatie: string) =>
    build(heen, {
      identificatie,
      dagtekening: '2026-10-01',
      tkb: [{ bsn, budget: 'PGB-2026-0001', functies: [DEFAULT_FUNCTIE] }],
    });
  return [
    ...out,
    {
      label: 'FunctieBudgetBedrag 0 over a real period',
      xml: build(heen, {
        tkb: [{ bsn: TEST_BSN, budget: 'PGB-2026-0001', functies: [{ ...DEFAULT_FUNCTIE, bedrag: '0' }] }],
      }),
      expect: rule('TKB001', '0001'),
    },
    {
      label: 'a period ending on its Ingangsdatum with money in it',
      xml: build(heen, {
        tkb: [
          { bsn: TEST_BSN, budget: 'PGB-2026-0001', functies: [{ ...DEFAULT_FUNCTIE, eind: DEFAULT_FUNCTIE.ingang }] },
        ],
      }),
      expect: rule('TKB001', '0001'),
    },
    {
      label: 'TR574: one BudgetIdentificatie for two clients in the bericht',
      xml: build(heen, {
        tkb: [TEST_BSN, OTHER_BSN].map((bsn) => ({ bsn, budget: 'PGB-2026-0001', functies: [DEFAULT_FUNCTIE] })),
      }),
      expect: rule('TR574', '9574'),
    },
    {
      label: 'TR574: a BudgetIdentificatie another client holds',
      xml,
      earlier: [tkbFor(OTHER_BSN, 'EARLIER-1')],
      expect: rule('TR574', '9574'),
    },
    {
      label: 'TR507: a next TKB before the retour on the previous one',
      xml,
      earlier: [tkbFor(TEST_BSN, 'EARLIER-1')],
      expect: rule('TR507', '9507'),
    },
  ];
}

function babCases(name: ModelledName, xml: string, mp: string, b: string): Case[] {
  return [
    {
      label: 'RedenBudgetafsluiting of four characters',
      xml: build(name, { bab: [{ bsn: TEST_BSN, bestedingen: [{ ...DEFAULT_BESTEDING, reden: 'ABCD' }] }] }),
      expect: { xsd: 'RedenBudgetafsluiting' },
    },
    {
      label: 'BestedingsPeriode without Einddatum',
      xml: mutate(xml, [
        new RegExp(`\\s*<${b}:Einddatum>[^<]*</${b}:Einddatum>(?=\\s*</${mp}:BestedingsPeriode>)`),
        '',
      ]),
      expect: { xsd: 'BestedingsPeriode' },
    },
    {
      label: 'a negative ZiekengeldBesteed',
      xml: build(name, { bab: [{ bsn: TEST_BSN, bestedingen: [{ ...DEFAULT_BESTEDING, ziekengeld: '-100' }] }] }),
      expect: { xsd: 'ZiekengeldBesteed' },
    },
  ];
}

describe('iEb 4.0 and iPgb 2.1 (modelled packs): valid and invalid berichten', () => {
  let packs: SchemaPacks;
  let plain: BerichtValidator;
  beforeAll(() => {
    packs = SchemaPacks.load();
    plain = new BerichtValidator(packs, { today: () => TODAY });
  });

  const judge = (c: Case) => {
    if (!c.earlier && !c.withHistory) return plain.validate(Buffer.from(c.xml));
    const history = new MemoryHistory();
    for (const earlier of c.earlier ?? []) {
      const root = parseToTree(earlier);
      const r = recognise(root);
      if (!r.ok) throw new Error(`earlier message not recognised: ${r.reason}`);
      expect(plain.validate(Buffer.from(earlier)).xsdValid, 'an earlier message must itself be schema-valid').toBe(
        true,
      );
      history.record(r.entry, root);
    }
    return new BerichtValidator(packs, { today: () => TODAY, history }).validate(Buffer.from(c.xml));
  };

  it('uses a Bsn that fails the elfproef for the CS002 cases', () => {
    expect(passesElfproef(FAILS_ELFPROEF)).toBe(false);
    expect(passesElfproef(TEST_BSN) && passesElfproef(OTHER_BSN)).toBe(true);
  });

  for (const name of MODELLED_MESSAGES) {
    describe(name, () => {
      it('accepts the valid bericht, with and without a history', () => {
        for (const withHistory of [false, true]) {
          const c: Case = { label: 'valid', xml: build(name), withHistory, expect: { xsd: '' } };
          const v = judge(c);
          expect(v.message).toBe(name);
          expect(v.standard).toBe(standardOf(name));
          expect(v.findings).toEqual([]);
          expect(v.valid).toBe(true);
        }
      });

      const list = cases(name);
      it('has at least ten invalid cases', () => {
        expect(list.length).toBeGreaterThanOrEqual(10);
      });

      for (const c of list) {
        const what = 'xsd' in c.expect ? 'level 1, no retourcode' : `${c.expect.code} → ${c.expect.retourcode}`;
        it(`rejects ${c.label} (${what})`, () => {
          const v = judge(c);
          expect(v.valid).toBe(false);
          for (const f of v.findings) expect(f.text).not.toMatch(/99999\d{4}/);
          if ('xsd' in c.expect) {
            const where = c.expect.xsd;
            expect(v.xsdValid).toBe(false);
            expect(v.findings.length).toBeGreaterThan(0);
            expect(v.findings.every((f) => f.level === 'xsd' && f.retourcode === null)).toBe(true);
            expect(
              v.findings.some((f) => f.text.includes(where) || (f.path ?? '').includes(where)),
              JSON.stringify(v.findings),
            ).toBe(true);
          } else {
            expect(v.message).toBe(name);
            expect(v.xsdValid).toBe(true);
            expect([...new Set(v.findings.map((f) => `${f.code}/${f.retourcode}`))]).toEqual([
              `${c.expect.code}/${c.expect.retourcode}`,
            ]);
          }
        });
      }
    });
  }
});
