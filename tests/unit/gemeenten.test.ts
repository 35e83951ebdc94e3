import { describe, expect, it } from 'vitest';
import { CbsGemeenteList, type GemeentenFile, loadGemeenten } from '../../src/rules/gemeenten.ts';

const day = (d: string): Date => new Date(`${d}T12:00:00Z`);

describe('CBS gemeente list 2026 (data/cbs-gemeenten-2026.json)', () => {
  const list = loadGemeenten();

  it('is the 2026 edition with 342 gemeenten valid on 2026-01-01 and states its provenance', () => {
    expect(list.edition).toBe('2026');
    expect(list.validOn).toBe('2026-01-01');
    expect(list.validCodes(day('2026-01-01'))).toHaveLength(342);
    expect(Object.keys(list.source)).toEqual(expect.arrayContaining(['list', 'edition2026', 'ended']));
    expect(list.source.list).toMatch(/CBS/);
  });

  it('has only 4-digit codes', () => {
    for (const code of list.validCodes(day('2026-01-01'))) expect(code).toMatch(/^[0-9]{4}$/);
  });

  it('knows the gemeenten the official examples use (Diemen, Amsterdam, Leidschendam-Voorburg)', () => {
    expect(list.lookup('0384')?.name).toBe('Diemen');
    expect(list.lookup('0363')?.name).toBe('Amsterdam');
    expect(list.lookup('1916')?.name).toBe('Leidschendam-Voorburg');
    for (const code of ['0384', '0363', '1916']) {
      expect(list.isValid(code, day('2023-01-04'))).toBe(true);
      expect(list.isValid(code, day('2026-11-01'))).toBe(true);
    }
  });

  it('rejects codes that are no gemeente', () => {
    for (const code of ['9999', '0000', '0457x', '', '384']) expect(list.isValid(code, day('2026-01-01'))).toBe(false);
  });

  it('dates the 2023 herindeling Voorne aan Zee: the old codes end, the new one starts', () => {
    expect(list.lookup('1992')?.name).toBe('Voorne aan Zee');
    expect(list.isValid('1992', day('2022-12-31'))).toBe(false);
    expect(list.isValid('1992', day('2023-01-01'))).toBe(true);
    for (const code of ['0501', '0530', '0614']) {
      expect(list.lookup(code)?.mergedInto).toBe('1992');
      expect(list.isValid(code, day('2022-12-31'))).toBe(true);
      expect(list.isValid(code, day('2023-01-01'))).toBe(false);
    }
    const before = list.validCodes(day('2022-06-01'));
    expect(before).toHaveLength(344);
    expect(before).toContain('0501');
    expect(before).not.toContain('1992');
  });

  it('takes the day of an instant as it is in the Netherlands', () => {
    // 23:30 UTC on 31 December is already 1 January in Amsterdam.
    const instant = new Date('2022-12-31T23:30:00Z');
    expect(list.isValid('1992', instant)).toBe(true);
    expect(list.isValid('0501', instant)).toBe(false);
  });
});

describe('CbsGemeenteList checks its data', () => {
  const base = (): GemeentenFile => ({
    edition: 'test',
    validOn: '2026-01-01',
    count: 2,
    source: { list: 'unit test' },
    gemeenten: [
      { code: '0001', name: 'Een', province: 'P' },
      { code: '0002', name: 'Twee', province: 'P', validFrom: '2024-01-01' },
    ],
    ended: [{ code: '0003', name: 'Drie', province: 'P', validUntil: '2023-12-31', mergedInto: '0002' }],
  });

  it('answers from validFrom and validUntil', () => {
    const list = new CbsGemeenteList(base());
    expect(list.isValid('0001', day('1990-01-01'))).toBe(true);
    expect(list.isValid('0002', day('2023-12-31'))).toBe(false);
    expect(list.isValid('0002', day('2024-01-01'))).toBe(true);
    expect(list.isValid('0003', day('2023-12-31'))).toBe(true);
    expect(list.isValid('0003', day('2024-01-01'))).toBe(false);
  });

  it('refuses a count that does not match the list', () => {
    expect(() => new CbsGemeenteList({ ...base(), count: 3 })).toThrow(/count says 3/);
  });

  it('refuses a code listed twice', () => {
    const data = base();
    data.ended.push({ code: '0001', name: 'Een oud', province: 'P', validUntil: '2020-12-31' });
    expect(() => new CbsGemeenteList(data)).toThrow(/0001 appears twice/);
  });
});
