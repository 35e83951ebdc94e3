import type { Rule } from '../types.ts';
import { calendarDay, dagtekeningOf } from './dates.ts';
import { forMessages, isIebOrIpgb } from './messages.ts';

const IWMO_IJW = forMessages('301', '305', '307', '315', '317', '319', '323', '325');

/**
 * TR135: "Vullen met een bestaande datum die niet in de toekomst ligt" on the Dagtekening of every heenbericht
 * and the 325. The system date is the Dutch calendar day of ctx.today. iEb and iPgb carry the same header, and
 * EB001 lists 8848: the rule covers their heenberichten (WMO405/407, WMO/JW501 and WMO/JW507) as well.
 */
export const TR135: Rule = {
  code: 'TR135',
  retourcode: '8848',
  level: 4,
  title: 'Dagtekening ligt niet in de toekomst',
  appliesTo: (entry) => IWMO_IJW(entry) || (isIebOrIpgb(entry) && entry.direction === 'heen'),
  check({ root, today }) {
    const d = dagtekeningOf(root);
    const now = calendarDay(today);
    if (!d || d.day <= now) return [];
    return [{ node: d.node, text: `Dagtekening ${d.day} is after the system date ${now}` }];
  },
};
