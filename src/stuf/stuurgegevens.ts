import { escapeText } from '../xml/escape.ts';
import { child, textAt, type XNode } from '../xml/tree.ts';

/**
 * StUF stuurgegevens facts shared by the GGK envelope and the StUF replies (standards.md §4.5, §4.6).
 */

/**
 * A StUF `zender`/`ontvanger`: organisatie (≤200), applicatie (3–50), administratie (≤50), gebruiker (≤100).
 * `organisatie` is 1..1 in the GGK envelope and in CORV Di01, 0..1 in the service messages.
 */
export interface Systeem {
  organisatie?: string;
  applicatie: string;
  administratie?: string;
  gebruiker?: string;
}

/** The chain's referentienummer: a sender-generated UUID v4, in lower case (§4.6; GGK IB009, VECOZO CC04). */
export const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export function isUuidV4(s: string): boolean {
  return UUID_V4.test(s);
}

const STUF_TIJDSTIP = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/Amsterdam',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

/** StUF Tijdstip `yyyyMMddHHmmssSSS` (17 digits, pattern [0-9]{8,17}) in Dutch local time. */
export function stufTijdstip(instant: Date): string {
  const parts = Object.fromEntries(STUF_TIJDSTIP.formatToParts(instant).map((p) => [p.type, p.value]));
  const ms = String(instant.getUTCMilliseconds()).padStart(3, '0');
  return `${parts.year}${parts.month}${parts.day}${parts.hour}${parts.minute}${parts.second}${ms}`;
}

/** A zender/ontvanger element read back into a {@link Systeem}; absent children stay absent. */
export function readSysteem(node: XNode | undefined): Systeem {
  const out: Systeem = { applicatie: textAt(node, 'applicatie') ?? '' };
  for (const k of ['organisatie', 'administratie', 'gebruiker'] as const) {
    const v = child(node, k)?.text;
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/** Checks a Systeem against the StUF lengths; returns what is wrong (empty when fine). */
export function systeemProblems(role: string, s: Systeem, organisatieRequired: boolean): string[] {
  const out: string[] = [];
  if (s.organisatie === undefined ? organisatieRequired : s.organisatie.length > 200) {
    out.push(`${role}.organisatie is required and at most 200 characters`);
  }
  if (s.applicatie.length < 3 || s.applicatie.length > 50) out.push(`${role}.applicatie must be 3–50 characters`);
  if (s.administratie !== undefined && s.administratie.length > 50)
    out.push(`${role}.administratie is at most 50 characters`);
  if (s.gebruiker !== undefined && s.gebruiker.length > 100) out.push(`${role}.gebruiker is at most 100 characters`);
  return out;
}

/** One `<prefix:name>value</prefix:name>` line, or nothing when the value is absent. */
export function leaf(prefix: string, name: string, value: string | undefined, indent: string): string {
  return value === undefined ? '' : `${indent}<${prefix}:${name}>${escapeText(value)}</${prefix}:${name}>\n`;
}

/** A `StUF:zender`/`StUF:ontvanger` element in schema order: organisatie, applicatie, administratie, gebruiker. */
export function renderSysteem(name: 'zender' | 'ontvanger', s: Systeem, indent: string): string {
  const inner = `${indent}  `;
  return (
    `${indent}<StUF:${name}>\n` +
    leaf('StUF', 'organisatie', s.organisatie, inner) +
    leaf('StUF', 'applicatie', s.applicatie, inner) +
    leaf('StUF', 'administratie', s.administratie, inner) +
    leaf('StUF', 'gebruiker', s.gebruiker, inner) +
    `${indent}</StUF:${name}>\n`
  );
}
