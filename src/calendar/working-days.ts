import { type Catalogue, catalogue as defaultCatalogue } from '../catalogue/catalogue.ts';
import type { CatalogueEntry, Standard } from '../catalogue/types.ts';

/**
 * Dutch working days in Europe/Amsterdam (standards.md §5 "Expectations", OP090): a working day is a weekday
 * that is not a national holiday. Holidays are computed, never listed per year:
 * Nieuwjaarsdag, Goede Vrijdag, Eerste/Tweede Paasdag, Koningsdag (27 April, 26 April when the 27th is a
 * Sunday), Bevrijdingsdag (5 May), Hemelvaartsdag, Eerste/Tweede Pinksterdag, Eerste/Tweede Kerstdag.
 *
 * Bevrijdingsdag: the Rijksoverheid gives its civil servants the day off every year, so `every-year` is the
 * default; `lustrum` (only when the year is divisible by 5, as in many CAOs) is configurable.
 *
 * Days are `yyyy-mm-dd` strings (the calendar day in the Netherlands); instants are Dates.
 */
export type Day = string;

export type LiberationDay = 'every-year' | 'lustrum';

export interface CalendarOptions {
  liberationDay?: LiberationDay;
}

const ZONE = 'Europe/Amsterdam';

/** Easter Sunday of a Gregorian year (the anonymous Gregorian algorithm, Meeus/Jones/Butcher). */
export function easterSunday(year: number): Day {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return dayOf(year, month, day);
}

/** The national holidays of a year, day → Dutch name. */
export function nationalHolidays(year: number, opts: CalendarOptions = {}): Map<Day, string> {
  const easter = easterSunday(year);
  const kings = dayOf(year, 4, 27);
  const out = new Map<Day, string>([
    [dayOf(year, 1, 1), 'Nieuwjaarsdag'],
    [shiftDays(easter, -2), 'Goede Vrijdag'],
    [easter, 'Eerste Paasdag'],
    [shiftDays(easter, 1), 'Tweede Paasdag'],
    [weekday(kings) === 0 ? dayOf(year, 4, 26) : kings, 'Koningsdag'],
    [shiftDays(easter, 39), 'Hemelvaartsdag'],
    [shiftDays(easter, 49), 'Eerste Pinksterdag'],
    [shiftDays(easter, 50), 'Tweede Pinksterdag'],
    [dayOf(year, 12, 25), 'Eerste Kerstdag'],
    [dayOf(year, 12, 26), 'Tweede Kerstdag'],
  ]);
  if ((opts.liberationDay ?? 'every-year') === 'every-year' || year % 5 === 0)
    out.set(dayOf(year, 5, 5), 'Bevrijdingsdag');
  return out;
}

const holidayCache = new Map<string, Map<Day, string>>();

function holidaysOf(year: number, opts: CalendarOptions): Map<Day, string> {
  const key = `${year}:${opts.liberationDay ?? 'every-year'}`;
  let h = holidayCache.get(key);
  if (!h) {
    h = nationalHolidays(year, opts);
    holidayCache.set(key, h);
  }
  return h;
}

/** The holiday's name when the day is a national holiday. */
export function holidayName(date: Date | Day, opts: CalendarOptions = {}): string | undefined {
  const day = toDay(date);
  return holidaysOf(Number(day.slice(0, 4)), opts).get(day);
}

/** True for Monday–Friday that is not a national holiday, judged on the calendar day in the Netherlands. */
export function isWorkingDay(date: Date | Day, opts: CalendarOptions = {}): boolean {
  const day = toDay(date);
  const wd = weekday(day);
  return wd !== 0 && wd !== 6 && holidayName(day, opts) === undefined;
}

/**
 * The instant `n` working days after `instant`, at the same wall-clock time in the Netherlands. The days are
 * counted after the instant's own day: Friday 14:00 + 1 = the next working day (Monday) 14:00. n = 0 gives the
 * instant itself.
 */
export function addWorkingDays(instant: Date, n: number, opts: CalendarOptions = {}): Date {
  if (!Number.isInteger(n) || n < 0) throw new Error(`addWorkingDays: n must be a whole number ≥ 0, not ${n}`);
  const wall = amsterdamWallClock(instant);
  let day = wall.day;
  for (let counted = 0; counted < n; ) {
    day = shiftDays(day, 1);
    if (isWorkingDay(day, opts)) counted++;
  }
  return fromAmsterdamWallClock(day, wall.ms);
}

/** Working days strictly after `from`'s day up to and including `to`'s day (0 when `to` is not later). */
export function workingDaysBetween(from: Date, to: Date, opts: CalendarOptions = {}): number {
  let day = toDay(from);
  const end = toDay(to);
  let count = 0;
  while (day < end) {
    day = shiftDays(day, 1);
    if (isWorkingDay(day, opts)) count++;
  }
  return count;
}

/**
 * How many working days a message's answer may take, per standard (standards.md §5, OP090): a heenbericht
 * its retour within 3 working days, a 323 its 325 within 10. `byMessage` overrides per message name.
 */
export interface DeadlineConfig extends CalendarOptions {
  /** Working days for a heenbericht's retour, per standard. A standard left out expects no answer deadline. */
  retourWithin: Partial<Record<Standard, number>>;
  /** Overrides per heen message name (WMO323 → 10). */
  byMessage?: Record<string, number>;
}

export const DEFAULT_DEADLINES: DeadlineConfig = {
  retourWithin: { iwmo: 3, ijw: 3, ieb: 3, ipgb: 3 },
  byMessage: { WMO323: 10, JW323: 10 },
  liberationDay: 'every-year',
};

export interface AnswerDeadline {
  /** The message that answers (WMO302, WMO325 …). */
  answer: string;
  workingDays: number;
  /**
   * The first moment the answer is late: the end (midnight, Europe/Amsterdam) of the n-th working day after
   * the day the heen was sent. "Within 3 working days" is read as "before the end of the third working day".
   */
  due: Date;
}

/**
 * When the answer to a message must have left, or undefined when the message expects no answer under this
 * configuration (retours, 325, StUF, a standard without a configured limit).
 */
export function answerDeadline(
  messageName: string,
  sentAt: Date,
  config: DeadlineConfig = DEFAULT_DEADLINES,
  cat: Catalogue = defaultCatalogue,
): AnswerDeadline | undefined {
  const entry = cat.byName(messageName);
  if (!entry) throw new Error(`answerDeadline: unknown message ${messageName}`);
  const answer = answerOf(entry, cat);
  const workingDays = config.byMessage?.[messageName] ?? config.retourWithin[entry.standard];
  if (!answer || workingDays === undefined) return undefined;
  const lastDay = toDay(addWorkingDays(sentAt, workingDays, config));
  return { answer: answer.name, workingDays, due: fromAmsterdamWallClock(shiftDays(lastDay, 1), 0) };
}

/** True when the answer is overdue at `now`. */
export function isOverdue(deadline: AnswerDeadline, now: Date): boolean {
  return now.getTime() >= deadline.due.getTime();
}

function answerOf(entry: CatalogueEntry, cat: Catalogue): CatalogueEntry | undefined {
  if (entry.direction !== 'heen') return undefined;
  return cat.retourOf(entry);
}

// --- calendar arithmetic on yyyy-mm-dd days -------------------------------------------------------------------

function dayOf(y: number, m: number, d: number): Day {
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

function utcMidnight(day: Day): number {
  return Date.UTC(Number(day.slice(0, 4)), Number(day.slice(5, 7)) - 1, Number(day.slice(8, 10)));
}

/** The day `n` calendar days later (earlier when negative). */
export function shiftDays(day: Day, n: number): Day {
  const d = new Date(utcMidnight(day) + n * 86_400_000);
  return dayOf(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
}

/** 0 = Sunday … 6 = Saturday. */
function weekday(day: Day): number {
  return new Date(utcMidnight(day)).getUTCDay();
}

const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

function toDay(date: Date | Day): Day {
  if (typeof date !== 'string') return amsterdamWallClock(date).day;
  if (!DAY_PATTERN.test(date)) throw new Error(`not a yyyy-mm-dd day: ${date}`);
  return date;
}

const PARTS = new Intl.DateTimeFormat('en-CA', {
  timeZone: ZONE,
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

/** The calendar day in the Netherlands and the milliseconds since its local midnight (wall clock). */
export function amsterdamWallClock(instant: Date): { day: Day; ms: number } {
  const p = Object.fromEntries(PARTS.formatToParts(instant).map((x) => [x.type, x.value]));
  const ms =
    ((Number(p.hour) * 60 + Number(p.minute)) * 60 + Number(p.second)) * 1000 +
    (((instant.getTime() % 1000) + 1000) % 1000);
  return { day: `${p.year}-${p.month}-${p.day}`, ms };
}

/** The instant at wall-clock time `ms` after local midnight of `day` in the Netherlands (CET/CEST). */
export function fromAmsterdamWallClock(day: Day, ms: number): Date {
  const wall = utcMidnight(day) + ms;
  // The offset is +1 h or +2 h; take the one whose instant reads back as the wanted wall clock.
  for (const offsetHours of [2, 1]) {
    const candidate = new Date(wall - offsetHours * 3_600_000);
    const back = amsterdamWallClock(candidate);
    if (back.day === day && back.ms === ms) return candidate;
  }
  // A wall-clock time that does not exist (the hour skipped in spring): the instant one hour later.
  return new Date(wall - 3_600_000);
}
