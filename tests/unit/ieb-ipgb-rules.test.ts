/**
 * The iEb/iPgb rules and the GGK chain rule at rule level (parsed tree + checkRules, no XSD), and the
 * cross-message rules over a MemoryHistory that is filled message by message as a gateway would.
 */
import { describe, expect, it } from 'vitest';
import { catalogue } from '../../src/catalogue/catalogue.ts';
import { recognise } from '../../src/catalogue/recognise.ts';
import {
  type BuildOptions,
  build,
  DEFAULT_FUNCTIE,
  DEFAULT_IEB_PERIOD,
  type IebPeriod,
  type ModelledName,
  mutate,
  OTHER_BSN,
  TEST_BSN,
  TODAY,
} from '../../src/examples/ieb-ipgb.ts';
import { loadGemeenten } from '../../src/rules/gemeenten.ts';
import { MemoryHistory } from '../../src/rules/history-memory.ts';
import { addMonths } from '../../src/rules/istandaarden/dates.ts';
import { ALL_RULES, checkRules, IEB_RULES, IPGB_RULES, rulesFor, STUF_RULES } from '../../src/rules/registry.ts';
import { parseToTree } from '../../src/xml/parse.ts';

const gemeenten = loadGemeenten();

function judge(xml: string, history?: MemoryHistory, today = TODAY) {
  const root = parseToTree(xml);
  const r = recognise(root);
  if (!r.ok) throw new Error(`not recognised: ${r.reason}`);
  return checkRules({ entry: r.entry, root, today, gemeenten, ...(history ? { history } : {}) }).map(
    ({ rule, violation }) => ({
      code: rule.code,
      retourcode: rule.retourcode,
      text: violation.text,
    }),
  );
}

const codes = (xml: string, history?: MemoryHistory, today?: Date) => judge(xml, history, today).map((f) => f.code);

function record(history: MemoryHistory, xml: string): void {
  const root = parseToTree(xml);
  const r = recognise(root);
  if (!r.ok) throw new Error(`not recognised: ${r.reason}`);
  history.record(r.entry, root);
}

const ieb = (name: ModelledName, identificatie: string, ...periods: Partial<IebPeriod>[]) =>
  build(name, {
    identificatie,
    ieb: [{ bsn: TEST_BSN, periods: periods.map((p) => ({ ...DEFAULT_IEB_PERIOD, ...p })) }],
  });

const tkb = (identificatie: string, bsn = TEST_BSN, budget = 'PGB-2026-0001', extra: Partial<BuildOptions> = {}) =>
  build('WMO501', { identificatie, tkb: [{ bsn, budget, functies: [DEFAULT_FUNCTIE] }], ...extra });

describe('rule registry for iEb, iPgb and the GGK envelope', () => {
  it('carries the codes, retourcodes and levels of standards.md §6.3–6.5', () => {
    const meta = (rules: typeof ALL_RULES) => Object.fromEntries(rules.map((r) => [r.code, [r.retourcode, r.level]]));
    expect(meta(IEB_RULES)).toEqual({
      CS002: ['0001', 2],
      CS125: ['0001', 2],
      BDR001: ['0001', 2],
      TR102: ['9102', 3],
      TR103: ['9103', 3],
      TR104: ['9104', 3],
      TR135: ['8848', 4],
      TR393: ['9393', 4],
      TR395: ['9395', 4],
    });
    expect(meta(IPGB_RULES)).toEqual({
      CS002: ['0001', 2],
      BDR001: ['0001', 2],
      TKB001: ['0001', 2],
      TR507: ['9507', 3],
      TR574: ['9574', 3],
      TR135: ['8848', 4],
    });
    expect(meta(STUF_RULES)).toEqual({ IB009: ['IB009', 2] });
    expect(new Set(ALL_RULES.map((r) => r)).size).toBe(ALL_RULES.length);
  });

  it('selects the rules per message', () => {
    const of = (name: string): string[] =>
      rulesFor(catalogue.byName(name)!)
        .map((r) => r.code)
        .sort();
    expect(of('WMO405')).toEqual(['BDR001', 'CS002', 'CS125', 'TR102', 'TR103', 'TR104', 'TR135', 'TR393']);
    expect(of('WMO407')).toEqual(['BDR001', 'CS002', 'CS125', 'TR102', 'TR103', 'TR104', 'TR135', 'TR395']);
    expect(of('WMO406')).toEqual(['BDR001', 'CS002', 'CS125']);
    expect(of('WMO408')).toEqual(['BDR001', 'CS002', 'CS125']);
    for (const n of ['WMO501', 'JW501'])
      expect(of(n)).toEqual(['BDR001', 'CS002', 'TKB001', 'TR135', 'TR507', 'TR574']);
    for (const n of ['WMO502', 'JW502', 'WMO508', 'JW508']) expect(of(n)).toEqual(['BDR001', 'CS002']);
    for (const n of ['WMO507', 'JW507']) expect(of(n)).toEqual(['BDR001', 'CS002', 'TR135']);
    expect(of('ggk_Di01')).toEqual(['IB009']);
    expect(of('ggk_Du01')).toEqual(['IB009']);
    expect(of('Bv03')).toEqual([]);
    expect(of('vtoDi01')).toEqual([]);
  });
});

describe('iEb deliveries (TR102, TR103, TR104) over a history', () => {
  it('follows a period through first delivery, change and delete, and refuses what comes after', () => {
    const h = new MemoryHistory();
    const steps: [string, string, string[]][] = [
      ['M-1', '1', []],
      ['M-2', '2', []],
      ['M-3', '3', []],
      ['M-4', '2', ['TR104']],
      ['M-5', '3', ['TR104']],
      ['M-6', '1', ['TR102']],
    ];
    for (const [id, status, expected] of steps) {
      const xml = ieb('WMO405', id, { status });
      expect(codes(xml, h), `${id} status ${status}`).toEqual(expected);
      if (expected.length === 0) record(h, xml);
    }
  });

  it('refuses a change that was never delivered, but only when it can know', () => {
    const change = ieb('WMO405', 'M-1', { status: '2' });
    expect(codes(change, new MemoryHistory())).toEqual(['TR103']);
    expect(codes(change)).toEqual([]);
  });

  it('counts earlier periods of the same bericht as delivered before', () => {
    expect(codes(ieb('WMO405', 'M-1', { status: '1' }, { status: '1' }))).toEqual(['TR102']);
    expect(codes(ieb('WMO405', 'M-1', { status: '1' }, { status: '2' }), new MemoryHistory())).toEqual([]);
    expect(codes(ieb('WMO405', 'M-1', { status: '1' }, { status: '3' }, { status: '2' }))).toEqual(['TR104']);
  });

  it('keys periods per message kind, gemeente, client and StartNummer', () => {
    const h = new MemoryHistory();
    record(h, ieb('WMO405', 'M-1', { status: '1' }));
    expect(codes(ieb('WMO405', 'M-2', { status: '1', nummer: '1002' }), h)).toEqual([]);
    expect(codes(ieb('WMO407', 'M-2', { status: '1' }), h)).toEqual([]);
    expect(codes(build('WMO405', { identificatie: 'M-2', gemeente: '0384' }), h)).toEqual([]);
    expect(
      codes(build('WMO405', { identificatie: 'M-2', ieb: [{ bsn: OTHER_BSN, periods: [DEFAULT_IEB_PERIOD] }] }), h),
    ).toEqual([]);
    expect(codes(ieb('WMO405', 'M-2', { status: '1' }), h)).toEqual(['TR102']);
  });

  it('does not hold a message against itself when it is judged again after it was recorded', () => {
    const h = new MemoryHistory();
    const xml = ieb('WMO405', 'M-1', { status: '1' });
    record(h, xml);
    expect(codes(xml, h)).toEqual([]);
  });

  it('ignores the retours: they copy periods, they do not deliver them', () => {
    const h = new MemoryHistory();
    record(h, ieb('WMO406', 'M-1', { status: '1' }));
    expect(codes(ieb('WMO405', 'M-1', { status: '2' }), h)).toEqual(['TR103']);
  });

  it('names the period and the earlier bericht, never the Bsn', () => {
    const h = new MemoryHistory();
    record(h, ieb('WMO405', 'M-1', { status: '1' }));
    const [f] = judge(ieb('WMO405', 'M-2', { status: '1' }), h);
    expect(f!.text).toBe(
      'StatusAanlevering 1 for EbStartNummer 1001 of PeriodeEigenBijdrageAbo, which was already delivered in bericht M-1 of 2026-10-15',
    );
    expect(f!.text).not.toContain(TEST_BSN);
  });
});

describe('iEb CS125 and the date windows (TR393, TR395)', () => {
  it('CS125 refuses StatusAanlevering 9 in heen and retour', () => {
    expect(codes(ieb('WMO405', 'M-1', { status: '9' }))).toEqual(['CS125']);
    expect(codes(ieb('WMO408', 'M-1', { status: '9' }))).toEqual(['CS125']);
  });

  it('keeps start dates within 36 months back, new ones within 12 months back and 1 month ahead (system date)', () => {
    const now = '2026-11-01';
    const at = (start: string, status: string, name: ModelledName = 'WMO405') =>
      codes(ieb(name, 'M-1', { start, status }));
    expect(at(addMonths(now, -36), '2')).toEqual([]);
    expect(at('2023-10-31', '2')).toEqual(['TR393']);
    expect(at('2023-10-31', '2', 'WMO407')).toEqual(['TR395']);
    expect(at(addMonths(now, -12), '1')).toEqual([]);
    expect(at('2025-10-31', '1')).toEqual(['TR393']);
    expect(at('2025-10-31', '3')).toEqual([]);
    expect(at(addMonths(now, 1), '1')).toEqual([]);
    expect(at('2026-12-02', '1')).toEqual(['TR393']);
    expect(at('2026-12-02', '2')).toEqual([]);
  });

  it('moves with the system date', () => {
    const xml = ieb('WMO405', 'M-1', { start: '2026-09-01' });
    expect(codes(xml)).toEqual([]);
    expect(codes(xml, undefined, new Date('2027-09-02T10:00:00Z'))).toEqual(['TR393']);
  });

  it('adds months the calendar way', () => {
    expect(addMonths('2026-03-31', -1)).toBe('2026-02-28');
    expect(addMonths('2024-02-29', 12)).toBe('2025-02-28');
    expect(addMonths('2026-12-31', 1)).toBe('2027-01-31');
    expect(addMonths('2026-01-15', -1)).toBe('2025-12-15');
    expect(addMonths('2026-11-01', -36)).toBe('2023-11-01');
  });
});

describe('iPgb TR507 and TR574 over a history', () => {
  it('TR507: holds the next TKB on a budget until the retour on the previous one arrived', () => {
    const h = new MemoryHistory();
    const first = tkb('T-1');
    expect(codes(first, h)).toEqual([]);
    record(h, first);
    const next = tkb('T-2');
    const [f] = judge(next, h);
    expect(f).toMatchObject({ code: 'TR507', retourcode: '9507' });
    expect(f!.text).toContain('T-1 of 2026-10-15');
    expect(f!.text).not.toContain(TEST_BSN);
    // Another budget of the same client, or the same budget id of another Afzender, is not held back.
    expect(codes(tkb('T-2', TEST_BSN, 'PGB-2026-0002'), h)).toEqual([]);
    expect(codes(tkb('T-2', TEST_BSN, 'PGB-2026-0001', { gemeente: '0384' }), h)).toEqual([]);
    // A retour of another Afzender does not end the wait; the right one does.
    record(
      h,
      build('WMO502', {
        identificatie: 'T-1',
        gemeente: '0384',
        tkb: [{ bsn: TEST_BSN, budget: 'PGB-2026-0001', functies: [DEFAULT_FUNCTIE] }],
      }),
    );
    expect(codes(next, h)).toEqual(['TR507']);
    record(
      h,
      build('WMO502', {
        identificatie: 'T-1',
        tkb: [{ bsn: TEST_BSN, budget: 'PGB-2026-0001', functies: [DEFAULT_FUNCTIE] }],
      }),
    );
    expect(codes(next, h)).toEqual([]);
  });

  it('TR507 is not assessed without a history', () => {
    expect(codes(tkb('T-2'))).toEqual([]);
  });

  it('TR574: a BudgetIdentificatie of an Afzender belongs to one client', () => {
    const h = new MemoryHistory();
    record(h, tkb('T-1', OTHER_BSN));
    record(
      h,
      build('WMO502', {
        identificatie: 'T-1',
        tkb: [{ bsn: OTHER_BSN, budget: 'PGB-2026-0001', functies: [DEFAULT_FUNCTIE] }],
      }),
    );
    const f = judge(tkb('T-2', TEST_BSN), h);
    expect(f.map((x) => x.code)).toEqual(['TR574']);
    expect(f[0]!.text).not.toMatch(/99999\d{4}/);
    expect(codes(tkb('T-2', OTHER_BSN), h)).toEqual([]);
    expect(codes(tkb('T-2', TEST_BSN, 'PGB-2026-0001', { gemeente: '0384' }), h)).toEqual([]);
  });

  it('TR574: a bericht names each budget once', () => {
    const twice = (bsn2: string) =>
      build('WMO501', {
        tkb: [TEST_BSN, bsn2].map((bsn) => ({ bsn, budget: 'PGB-2026-0001', functies: [DEFAULT_FUNCTIE] })),
      });
    expect(judge(twice(OTHER_BSN)).map((f) => f.text)).toEqual([
      'BudgetIdentificatie PGB-2026-0001 of Client 2 is also in Client 1 (another client)',
    ]);
    expect(judge(twice(TEST_BSN)).map((f) => f.text)).toEqual([
      'BudgetIdentificatie PGB-2026-0001 of Client 2 is also in Client 1 (the same client)',
    ]);
  });
});

describe('iPgb withdrawal (TKB001) and amounts (BDR001)', () => {
  const withFunctie = (over: Partial<typeof DEFAULT_FUNCTIE>) =>
    build('WMO501', { tkb: [{ bsn: TEST_BSN, budget: 'PGB-2026-0001', functies: [{ ...DEFAULT_FUNCTIE, ...over }] }] });

  it('accepts a withdrawal: FunctieBudgetBedrag 0 and Einddatum = Ingangsdatum', () => {
    expect(codes(withFunctie({ bedrag: '0', eind: DEFAULT_FUNCTIE.ingang }))).toEqual([]);
  });

  it('refuses half a withdrawal, either half', () => {
    expect(codes(withFunctie({ bedrag: '0' }))).toEqual(['TKB001']);
    const { eind: _, ...open } = DEFAULT_FUNCTIE;
    expect(
      codes(build('WMO501', { tkb: [{ bsn: TEST_BSN, budget: 'B-1', functies: [{ ...open, bedrag: '0' }] }] })),
    ).toEqual(['TKB001']);
    expect(codes(withFunctie({ eind: DEFAULT_FUNCTIE.ingang }))).toEqual(['TKB001']);
  });

  it('BDR001 refuses negative amounts wherever a pack lets them through', () => {
    // The modelled packs' LDT_Bedrag already refuses them; the rule is judged on the tree alone here.
    expect(codes(mutate(build('WMO501'), ['>1250000<', '>-1250000<']))).toEqual(['BDR001']);
    expect(codes(mutate(build('WMO501'), ['>25000<', '>-1<']))).toEqual(['BDR001']);
    expect(codes(mutate(build('WMO507'), ['>1100000<', '>-5<']))).toEqual(['BDR001']);
    expect(codes(mutate(build('WMO508'), ['<wmo508:ZiekengeldBesteed>0<', '<wmo508:ZiekengeldBesteed>-5<']))).toEqual([
      'BDR001',
    ]);
    const kostprijs = judge(mutate(build('WMO405'), ['>2150<', '>-2150<']));
    expect(kostprijs).toEqual([
      { code: 'BDR001', retourcode: '0001', text: 'KostprijsBedrag of EbKostprijs is negative (-2150 cents)' },
    ]);
  });
});
