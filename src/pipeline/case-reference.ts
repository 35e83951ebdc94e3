import { createHash } from 'node:crypto';
import type { HeaderFacts } from '../catalogue/header.ts';
import type { CatalogueEntry } from '../catalogue/types.ts';
import type { CorrelationKey } from '../store/types.ts';
import { DEFAULT_LIMITS, parseToTree } from '../xml/parse.ts';
import { textAt, type XNode } from '../xml/tree.ts';

/**
 * CORV notificaties relate to a VTO through case data, not through a crossRefnummer (standards.md §5): the
 * notificatieDi01 stuurgegevens have no crossRefnummer, its `object` (ZAK-notificatie) names the zaak in
 * `identificatie` and a related zaak in `heeftBetrekkingOpAndere/gerelateerde/identificatie`; the VTO's
 * `object/identificatie` (ZAK-vto, required) is the zaak it opens. The message that opens a case stores a hash
 * of that identificatie; a message that refers to it looks it up from the party it was sent to.
 */

/**
 * Messages that open a case, and where their key is (StUF-JZ 1.0.9 schemas, C):
 * - a VTO's zaak identificatie (ZAK-vto), which notificaties name;
 * - a zorgmelding (ZAK-zorgmelding) has no identificatie: its `object/kenmerk/kenmerk` (bron `Zorgmelding`) is
 *   what its terugkoppeling (ZAK-zorgmeldingTerugkoppeling) repeats in its own `object/kenmerk/kenmerk`;
 * - a VT-melding's `object/identificatieVtMelding`, which its vtTerugkoppeling names in
 *   `object/naarAanleidingVan/gerelateerde/identificatieVtMelding`;
 * - a generieke melding's `object/identificatie`, which its uitkomst names in `object/uwIdentificatie`.
 */
const OPENS_CASE: Readonly<Record<string, string>> = {
  vtoDi01: 'object/identificatie',
  zorgmeldingDi01: 'object/kenmerk/kenmerk',
  vtMeldingDi01: 'object/identificatieVtMelding',
  meldingGeneriekDi01: 'object/identificatie',
};

/** Messages that relate to an earlier one through case data: which message opened it, and where to look, in order. */
const REFERS_TO_CASE: Readonly<Record<string, { opener: string; paths: readonly string[] }>> = {
  notificatieDi01: {
    opener: 'vtoDi01',
    paths: ['object/heeftBetrekkingOpAndere/gerelateerde/identificatie', 'object/identificatie'],
  },
  zorgmeldingTerugkoppelingDi01: { opener: 'zorgmeldingDi01', paths: ['object/kenmerk/kenmerk'] },
  vtTerugkoppelingDi01: {
    opener: 'vtMeldingDi01',
    paths: ['object/naarAanleidingVan/gerelateerde/identificatieVtMelding'],
  },
  uitkomstMeldingGeneriekDi01: { opener: 'meldingGeneriekDi01', paths: ['object/uwIdentificatie'] },
};

export interface CaseFacts {
  /** The case this message opens (stored with it), or null. */
  caseRef: string | null;
  /** Where to find the message this one relates to, most specific first. */
  lookups: CorrelationKey[];
}

const NONE: CaseFacts = { caseRef: null, lookups: [] };

/** True when `caseFacts` has anything to read in this message (so other messages are never parsed again). */
export function hasCaseData(entry: CatalogueEntry): boolean {
  return entry.standard === 'stuf-jz' && (entry.name in OPENS_CASE || entry.name in REFERS_TO_CASE);
}

/**
 * The case facts of a validated StUF-JZ message. A message is only ever related to one its receiver sent:
 * the opener's zender is this message's ontvanger.
 */
export function caseFacts(entry: CatalogueEntry, header: HeaderFacts, source: Uint8Array): CaseFacts {
  if (!hasCaseData(entry)) return NONE;
  const root = parse(source);
  if (!root) return NONE;
  const opens = OPENS_CASE[entry.name];
  const refers = REFERS_TO_CASE[entry.name];
  const caseRef = opens ? caseRefOf(textAt(root, opens)) : null;
  const lookups: CorrelationKey[] = [];
  if (refers && header.ontvanger) {
    for (const path of refers.paths) {
      const ref = caseRefOf(textAt(root, path));
      if (ref && !lookups.some((k) => k.scope === 'case' && k.caseRef === ref)) {
        lookups.push({ scope: 'case', zender: header.ontvanger, messageName: refers.opener, caseRef: ref });
      }
    }
  }
  return { caseRef, lookups };
}

/**
 * A zaak identificatie as stored: a SHA-256 hash, so the store holds no case number (which some systems build
 * from personal data) and never shows one.
 */
export function caseRefOf(identificatie: string | undefined): string | null {
  const value = identificatie?.trim();
  return value ? createHash('sha256').update(`zaak\u0000${value}`).digest('hex') : null;
}

/** The message was validated already; a document the parser refuses now simply has no case facts. */
function parse(source: Uint8Array): XNode | null {
  try {
    return parseToTree(source, { ...DEFAULT_LIMITS, maxBytes: Math.max(DEFAULT_LIMITS.maxBytes, source.byteLength) });
  } catch {
    return null;
  }
}
