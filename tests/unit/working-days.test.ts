/** The Dutch working-day calendar (Europe/Amsterdam) and the answer deadlines of standards.md §5 (OP090). */
import { describe, expect, it } from 'vitest';
import { deadlineConfigOf, deadlinesConfigSchema, groupOverdue, overdueAnswers } from '../../src/calendar/overdue.ts';
import {
  addWorkingDays,
  answerDeadline,
  DEFAULT_DEADLINES,
  easterSunday,
  holidayName,
  isOverdue,
  isWorkingDay,
  nationalHolidays,
  workingDaysBetween,
} from '../../src/calendar/working-days.ts';

describe('Easter (anonymous Gregorian algorithm)', () => {
  it.each([
    [1818, '1818-03-22'],
    [1943, '1943-04-25'],
    [2000, '2000-04-23'],
    [2008, '2008-03-23'],
    [2019, '2019-04-21'],
    [2024, '2024-03-31'],
    [2025, '2025-04-20'],
    [2026, '2026-04-05'],
    [2027, '2027-03-28'],
    [2038, '2038-04-25'],
  ])('%i: %s', (year, day) => {
    expect(easterSunday(year)).toBe(day);
  });
});

describe('national holidays', () => {
  it('2026 in full', () => {
    expect([...nationalHolidays(2026)].sort()).toEqual([
      ['2026-01-01', 'Nieuwjaarsdag'],
      ['2026-04-03', 'Goede Vrijdag'],
      ['2026-04-05', 'Eerste Paasdag'],
      ['2026-04-06', 'Tweede Paasdag'],
      ['2026-04-27', 'Koningsdag'],
      ['2026-05-05', 'Bevrijdingsdag'],
      ['2026-05-14', 'Hemelvaartsdag'],
      ['2026-05-24', 'Eerste Pinksterdag'],
      ['2026-05-25', 'Tweede Pinksterdag'],
      ['2026-12-25', 'Eerste Kerstdag'],
      ['2026-12-26', 'Tweede Kerstdag'],
    ]);
  });

  it("Good Friday, Easter Monday and King's Day are not working days", () => {
    for (const day of ['2026-04-03', '2026-04-06', '2026-04-27', '2024-03-29', '2024-04-01'])
      expect(isWorkingDay(day), day).toBe(false);
    expect(isWorkingDay('2026-04-02')).toBe(true); // Maundy Thursday
    expect(isWorkingDay('2026-04-07')).toBe(true);
  });

  it("King's Day moves to 26 April when 27 April is a Sunday (2025, 2014)", () => {
    expect(holidayName('2025-04-26')).toBe('Koningsdag');
    expect(holidayName('2025-04-27')).toBeUndefined();
    expect(holidayName('2014-04-26')).toBe('Koningsdag');
    expect(holidayName('2027-04-27')).toBe('Koningsdag'); // a Tuesday
    expect(isWorkingDay('2027-04-27')).toBe(false);
    expect(isWorkingDay('2027-04-26')).toBe(true);
  });

  it('Bevrijdingsdag every year by default; only in lustrum years when configured', () => {
    expect(isWorkingDay('2026-05-05')).toBe(false);
    expect(isWorkingDay('2026-05-05', { liberationDay: 'lustrum' })).toBe(true);
    expect(isWorkingDay('2025-05-05', { liberationDay: 'lustrum' })).toBe(false);
  });

  it('weekends are not working days; a Date is judged on its day in the Netherlands', () => {
    expect(isWorkingDay('2026-12-05')).toBe(false); // Saturday
    expect(isWorkingDay('2026-12-06')).toBe(false); // Sunday
    // Friday 2026-12-04 23:30 UTC is already Saturday in Amsterdam.
    expect(isWorkingDay(new Date('2026-12-04T23:30:00Z'))).toBe(false);
    expect(isWorkingDay(new Date('2026-12-04T22:30:00Z'))).toBe(true);
  });
});

describe('addWorkingDays', () => {
  it('skips the weekend and keeps the wall-clock time', () => {
    // Friday 2026-11-27 14:00 CET + 1 → Monday 2026-11-30 14:00 CET.
    expect(addWorkingDays(new Date('2026-11-27T13:00:00Z'), 1).toISOString()).toBe('2026-11-30T13:00:00.000Z');
    expect(addWorkingDays(new Date('2026-11-27T13:00:00Z'), 0).toISOString()).toBe('2026-11-27T13:00:00.000Z');
  });

  it('skips Easter: Thursday before Good Friday + 1 is the Tuesday after Easter Monday', () => {
    expect(addWorkingDays(new Date('2026-04-02T08:00:00Z'), 1).toISOString()).toBe('2026-04-07T08:00:00.000Z');
  });

  it('crosses the change to summer time at the same wall-clock time', () => {
    // Friday 2026-03-27 10:00 CET (09:00Z) + 1 → Monday 2026-03-30 10:00 CEST (08:00Z).
    expect(addWorkingDays(new Date('2026-03-27T09:00:00Z'), 1).toISOString()).toBe('2026-03-30T08:00:00.000Z');
  });

  it('refuses a negative or fractional count', () => {
    expect(() => addWorkingDays(new Date(), -1)).toThrow(/whole number/);
    expect(() => addWorkingDays(new Date(), 1.5)).toThrow(/whole number/);
  });

  it('counts working days between two instants', () => {
    expect(workingDaysBetween(new Date('2026-04-02T08:00:00Z'), new Date('2026-04-08T08:00:00Z'))).toBe(2);
  });
});

describe('answerDeadline', () => {
  it('a WMO301 expects its WMO302 before the end of the third working day', () => {
    // Thursday 2026-04-02: working days after it are Tue 7, Wed 8, Thu 9 April → due Fri 10 April 00:00 CEST.
    const d = answerDeadline('WMO301', new Date('2026-04-02T10:00:00Z'));
    expect(d).toEqual({ answer: 'WMO302', workingDays: 3, due: new Date('2026-04-09T22:00:00Z') });
    expect(isOverdue(d!, new Date('2026-04-09T21:59:59Z'))).toBe(false);
    expect(isOverdue(d!, new Date('2026-04-09T22:00:00Z'))).toBe(true);
  });

  it('a 323 expects its 325 within 10 working days', () => {
    // Monday 2026-11-30 → 10 working days later is Monday 2026-12-14; due 2026-12-15 00:00 CET.
    const d = answerDeadline('JW323', new Date('2026-11-30T09:00:00Z'));
    expect(d).toEqual({ answer: 'JW325', workingDays: 10, due: new Date('2026-12-14T23:00:00Z') });
  });

  it('is configurable per standard and per message; retours and unconfigured standards have none', () => {
    expect(answerDeadline('WMO302', new Date())).toBeUndefined();
    expect(answerDeadline('WMO325', new Date())).toBeUndefined();
    const cfg = { ...DEFAULT_DEADLINES, retourWithin: { iwmo: 5 }, byMessage: {} };
    expect(answerDeadline('WMO305', new Date('2026-11-30T09:00:00Z'), cfg)?.workingDays).toBe(5);
    expect(answerDeadline('JW301', new Date('2026-11-30T09:00:00Z'), cfg)).toBeUndefined();
    expect(() => answerDeadline('WMO999', new Date())).toThrow(/unknown message/);
  });
});

describe('overdue answers (the pure part of "Wacht op antwoord")', () => {
  const waiting = [
    { id: 'a', messageName: 'WMO301', sentAt: new Date('2026-04-02T10:00:00Z'), party: '42420001', gemeente: '0384' },
    { id: 'b', messageName: 'WMO323', sentAt: new Date('2026-04-02T10:00:00Z'), party: '0384', gemeente: '0384' },
    { id: 'c', messageName: 'JW301', sentAt: new Date('2026-04-08T10:00:00Z'), party: '42420002', gemeente: '1916' },
    { id: 'd', messageName: 'WMO302', sentAt: new Date('2026-01-01T10:00:00Z'), party: '0384' },
  ];

  it('lists a WMO301 unanswered for 3 working days, not the 323 (10) nor a retour', () => {
    // Friday 2026-04-10 08:00 CEST: the WMO301 of Thursday 2 April was due at the end of Thursday 9 April.
    const now = new Date('2026-04-10T06:00:00Z');
    const list = overdueAnswers(waiting, now);
    expect(list.map((o) => o.id)).toEqual(['a']);
    expect(list[0]!.workingDaysLate).toBe(1);
    expect(overdueAnswers(waiting, new Date('2026-04-09T21:00:00Z'))).toEqual([]);
  });

  it('groups per party and per gemeente', () => {
    const list = overdueAnswers(waiting, new Date('2026-05-01T10:00:00Z'));
    expect(list.map((o) => o.id)).toEqual(['a', 'c', 'b']);
    expect([...groupOverdue(list, 'gemeente').keys()].sort()).toEqual(['0384', '1916']);
    expect(
      groupOverdue(list, 'party')
        .get('0384')!
        .map((o) => o.id),
    ).toEqual(['b']);
  });

  it('reads the deadlines section of the configuration, with its defaults', () => {
    const parsed = deadlinesConfigSchema.parse({});
    expect(deadlineConfigOf(parsed)).toEqual(DEFAULT_DEADLINES);
    const own = deadlineConfigOf(
      deadlinesConfigSchema.parse({ liberationDay: 'lustrum', retourWithin: { iwmo: 5 }, byMessage: {} }),
    );
    expect(answerDeadline('WMO301', new Date('2026-11-30T09:00:00Z'), own)?.workingDays).toBe(5);
    expect(answerDeadline('JW301', new Date('2026-11-30T09:00:00Z'), own)).toBeUndefined();
    expect(() => deadlinesConfigSchema.parse({ retourWithin: { iwmo: 0 } })).toThrow();
  });
});
