import { at, type XNode } from '../../xml/tree.ts';

/**
 * Dates in the iStandaarden are LDT_Datum: xs:date without a time zone, so a calendar day. Rules compare them
 * as `yyyy-mm-dd` strings, which order correctly for four-digit years.
 */
const ISO_DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The calendar day `yyyy-mm-dd` of an LDT_Datum text, or undefined when it is not a real day. */
export function isoDay(text: string | undefined): string | undefined {
  const m = text === undefined ? null : ISO_DAY.exec(text.trim());
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

/** The calendar day of an instant as it is in the Netherlands (the system date the standards mean). */
export function calendarDay(instant: Date): string {
  return AMSTERDAM_DAY.format(instant);
}

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
