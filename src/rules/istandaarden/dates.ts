import { at, type XNode } from '../../xml/tree.ts';

/**
 * Dates in the iStandaarden are LDT_Datum: xs:date without a time zone, so a calendar day. Rules compare them
 * as `yyyy-mm-dd` strings, which order correctly for four-digit years.
 */
const ISO_DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The calendar day `yyyy-mm-dd` of an LDT_Datum text, or undefined when it is not a real day. */
export function isoDay(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  // A bericht's dates are few and repeat (within a bericht and between berichten): each text is read once.
  const known = DAYS.get(text);
  if (known !== undefined || DAYS.has(text)) return known;
  const day = readDay(text);
  if (DAYS.size >= MEMO_SIZE) DAYS.clear();
  DAYS.set(text, day);
  return day;
}

const MEMO_SIZE = 4096;
const DAYS = new Map<string, string | undefined>();

function readDay(text: string): string | undefined {
  const m = ISO_DAY.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d] = m as unknown as [string, string, string, string];
  const probe = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (
    probe.getUTCFullYear() !== Number(y) ||
    probe.getUTCMonth() !== Number(mo) - 1 ||
    probe.getUTCDate() !== Number(d)
  )
    return undefined;
  return `${y}-${mo}-${d}`;
}

const AMSTERDAM_DAY = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Europe/Amsterdam',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

/**
 * The calendar day of an instant as it is in the Netherlands (the system date the standards mean). Dutch time
 * differs from UTC by whole hours, so every instant of one UTC minute has the same Dutch day: the day is looked
 * up once per minute (Intl formatting costs more than the rest of a rule).
 */
export function calendarDay(instant: Date): string {
  const t = instant.getTime();
  if (Number.isNaN(t)) return AMSTERDAM_DAY.format(instant); // throws, as it always did
  const minute = Math.floor(t / 60_000);
  let day = DUTCH_DAYS.get(minute);
  if (day === undefined) {
    day = AMSTERDAM_DAY.format(instant);
    if (DUTCH_DAYS.size >= MEMO_SIZE) DUTCH_DAYS.clear();
    DUTCH_DAYS.set(minute, day);
  }
  return day;
}

const DUTCH_DAYS = new Map<number, string>();

/** An instant on the given calendar day (noon UTC, which is that same day in the Netherlands). */
export function dayToDate(day: string): Date {
  return new Date(`${day}T12:00:00Z`);
}

/** The same month and day `years` later; 29 February stays 29 February, which still orders correctly. */
export function addYears(day: string, years: number): string {
  return `${String(Number(day.slice(0, 4)) + years).padStart(4, '0')}${day.slice(4)}`;
}

/**
 * The same day `months` later (or earlier, when negative); a day that the target month lacks becomes its last
 * day (2026-03-31 − 1 month = 2026-02-28).
 */
export function addMonths(day: string, months: number): string {
  const total = Number(day.slice(0, 4)) * 12 + Number(day.slice(5, 7)) - 1 + months;
  const year = Math.floor(total / 12);
  const month = total - year * 12 + 1;
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const d = Math.min(Number(day.slice(8, 10)), lastDay);
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** Header/BerichtIdentificatie/Dagtekening of an iStandaarden bericht as a calendar day. */
export function dagtekeningOf(root: XNode): { node: XNode; day: string } | undefined {
  const node = at(root, 'Header/BerichtIdentificatie/Dagtekening');
  const day = isoDay(node?.text);
  return node && day ? { node, day } : undefined;
}
