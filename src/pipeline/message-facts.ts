import type { HeaderFacts } from '../catalogue/header.ts';
import type { CatalogueEntry } from '../catalogue/types.ts';
import { headerParties } from './identity.ts';
import { flowOf, gemeenteOf } from './tenancy.ts';

/** The catalogue and header facts every stored message carries (a retour is stored under its own identity). */
export type MessageFacts = ReturnType<typeof messageFacts>;

/** The facts of `MessageFacts` for one bericht. */
export function messageFacts(entry: CatalogueEntry, h: HeaderFacts) {
  // iEb/iPgb: the chain party the header leaves out (CAK, SVB) is stored, so a 508 finds its 507 under SVB.
  const parties = headerParties(entry, h);
  return {
    standard: entry.standard,
    release: entry.release,
    messageName: entry.name,
    direction: entry.direction,
    afzender: parties.afzender ?? null,
    ontvanger: parties.ontvanger ?? null,
    berichtIdentificatie: h.identificatieRetour ?? h.identificatie ?? null,
    dagtekening: h.dagtekeningRetour ?? h.dagtekening ?? null,
    berichtcode: h.berichtCode ?? h.stufBerichtcode ?? null,
    referentienummer: h.referentienummer ?? null,
    crossRef: h.crossRefnummer ?? null,
    gemeente: gemeenteOf(parties.afzender, parties.ontvanger),
    flow: flowOf(entry.standard, parties.afzender, parties.ontvanger),
  };
}

/**
 * A short outcome for the heenbericht: the retourcodes of a retourbericht ("0200", "0001 8848"), or the error
 * code of a StUF Fo01/Fo03 ("StUF010").
 */
export function answerSummary(source: Uint8Array): string | null {
  const text = new TextDecoder().decode(source);
  const codes = [...text.matchAll(/<(?:[\w-]+:)?RetourCode>\s*([0-9A-Z]{4})\s*</g)].map((m) => m[1]);
  if (codes.length) return [...new Set(codes)].join(' ');
  if (!/<(?:[\w-]+:)?Fo0[1-4]Bericht[\s>]/.test(text)) return null;
  return /<(?:[\w-]+:)?code>\s*([A-Za-z0-9]{1,7})\s*</.exec(text)?.[1] ?? null;
}
