/**
 * Ways to break exactly one rule in an example bericht, for trying what the gateway answers (`schakel example
 * --invalid RULE`). Each breaker edits the example's text at a place the builders in this folder put there, and
 * says for which messages it works: a rule that does not apply to a message, or that cannot be broken there
 * without breaking another one, is refused with the list of messages it can be tried on.
 */
import type { CatalogueEntry } from '../catalogue/types.ts';
import { CS002 } from '../rules/istandaarden/bsn.ts';
import { TR135 } from '../rules/istandaarden/dagtekening.ts';
import { addYears } from '../rules/istandaarden/dates.ts';
import { TR101_KEYS } from '../rules/istandaarden/duplicates.ts';
import { forMessages } from '../rules/istandaarden/messages.ts';
import { IB009 } from '../rules/stuf/referentienummer.ts';

/** What a breaker knows besides the text: the day the example is dated. */
export interface BreakContext {
  dagtekening: string;
  /** The BSN the example carries. */
  bsn: string;
}

export interface Breaker {
  /** The finding code the validator reports: a rule code, or XSD_INVALID. */
  rule: string;
  /** What the broken example shows, for the usage text. */
  how: string;
  appliesTo(entry: CatalogueEntry): boolean;
  /** For a GGK envelope: break the payload (true) or the envelope itself (false). */
  inPayload: boolean;
  apply(xml: string, ctx: BreakContext): string;
}

/** Replaces the first match (or every match of a global pattern); a pattern that finds nothing is a bug here. */
function edit(xml: string, pattern: RegExp, replacement: string | ((...groups: string[]) => string)): string {
  if (!pattern.test(xml)) throw new Error(`example: nothing to change for ${String(pattern)}`);
  pattern.lastIndex = 0;
  return xml.replace(pattern, replacement as (substring: string, ...args: unknown[]) => string);
}

function nextDay(day: string): string {
  const d = new Date(`${day}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

/** A test BSN with the same digits except the check digit, so that the elfproef fails. */
function failingBsn(bsn: string): string {
  const last = Number(bsn[8]);
  return `${bsn.slice(0, 8)}${(last + 1) % 10}`;
}

/** The first repeatable class of a message's TR101 key table (the Client is one per bericht in the examples). */
const REPEATABLE: Record<string, string> = {
  '301': 'ToegewezenProduct',
  '305': 'StartProduct',
  '307': 'StopProduct',
  '315': 'AangevraagdProduct',
  '317': 'TeWijzigenProduct',
  '323': 'Prestatie',
};

/** Messages in which a doubled product line breaks TR101 and no other rule. */
const TR101_ONLY = new Set(['305', '307']);

const numberOf = (entry: CatalogueEntry): string => /(\d{3})$/.exec(entry.name)?.[1] ?? '';
const hasGeboortedatum = forMessages('301', '305', '307', '315');

export const BREAKERS: readonly Breaker[] = [
  {
    rule: 'XSD_INVALID',
    how: 'an element the schema does not allow, at the end of the document element',
    appliesTo: () => true,
    inPayload: false,
    apply: (xml) =>
      edit(
        xml,
        /<\/([\w-]+):([\w-]+)>\s*$/,
        (_all, prefix, name) =>
          `  <${prefix}:Onverwacht>niet in het schema</${prefix}:Onverwacht>\n</${prefix}:${name}>\n`,
      ),
  },
  {
    rule: 'CS002',
    how: "the client's Bsn fails the elfproef",
    appliesTo: (entry) => CS002.appliesTo(entry) && entry.direction === 'heen' && numberOf(entry) !== '319',
    inPayload: true,
    apply: (xml, ctx) => edit(xml, new RegExp(`>${ctx.bsn}<`, 'g'), `>${failingBsn(ctx.bsn)}<`),
  },
  {
    rule: 'TR135',
    how: 'the Dagtekening is tomorrow',
    appliesTo: (entry) => TR135.appliesTo(entry),
    inPayload: true,
    apply: (xml, ctx) => edit(xml, new RegExp(`(:Dagtekening>)${ctx.dagtekening}<`), `$1${nextDay(ctx.dagtekening)}<`),
  },
  {
    rule: 'TR134',
    how: "the client's Geboortedatum lies after the Dagtekening",
    appliesTo: hasGeboortedatum,
    inPayload: true,
    apply: (xml, ctx) =>
      edit(xml, /(<[\w-]+:Geboortedatum>\s*<[\w-]+:Datum>)[0-9-]+</, `$1${nextDay(ctx.dagtekening)}<`),
  },
  {
    rule: 'TR002',
    how: "the client's Geboortedatum is 121 years before the Dagtekening",
    appliesTo: hasGeboortedatum,
    inPayload: true,
    apply: (xml, ctx) =>
      edit(xml, /(<[\w-]+:Geboortedatum>\s*<[\w-]+:Datum>)[0-9-]+</, `$1${addYears(ctx.dagtekening, -121)}<`),
  },
  {
    rule: 'TR018',
    how: "the StopProduct's Einddatum lies before its Begindatum",
    appliesTo: forMessages('307'),
    inPayload: true,
    apply: (xml) =>
      edit(
        xml,
        /(<([\w-]+):Begindatum>)([0-9-]+)(<\/\2:Begindatum>[\s\S]*?<\2:Einddatum>)[0-9-]+</,
        (_all, open, _p, begin, middle) => {
          const before = new Date(`${begin}T12:00:00Z`);
          before.setUTCDate(before.getUTCDate() - 1);
          return `${open}${begin}${middle}${before.toISOString().slice(0, 10)}<`;
        },
      ),
  },
  {
    rule: 'TR101',
    how: 'a product line appears twice with the same logical key',
    // Only where a doubled product line breaks TR101 alone: in 301/315/317/323 it also breaks the rules on
    // overlapping products, unique references and totals (TR302, TR383/TR386, TR353, TR315/TR358).
    appliesTo: (entry) =>
      entry.direction === 'heen' &&
      TR101_ONLY.has(numberOf(entry)) &&
      TR101_KEYS[numberOf(entry)] !== undefined &&
      REPEATABLE[numberOf(entry)] !== undefined,
    inPayload: true,
    apply: (xml, _ctx) => {
      return edit(
        xml,
        /(\n[ \t]*<([\w-]+):(ToegewezenProduct|StartProduct|StopProduct|AangevraagdProduct|TeWijzigenProduct|Prestatie)>[\s\S]*?<\/\2:\3>)/,
        '$1$1',
      );
    },
  },
  {
    rule: 'IB009',
    how: "the envelope's referentienummer is not a UUID v4",
    appliesTo: (entry) => IB009.appliesTo(entry),
    inPayload: false,
    apply: (xml) => edit(xml, /(<StUF:referentienummer>)[^<]+</, '$1REF-0001<'),
  },
];

/** The breaker for a rule code (XSD is accepted for XSD_INVALID), or undefined. */
export function breakerFor(rule: string): Breaker | undefined {
  const code = rule.toUpperCase() === 'XSD' ? 'XSD_INVALID' : rule.toUpperCase();
  return BREAKERS.find((b) => b.rule === code);
}
