import type { HeaderFacts } from '../catalogue/header.ts';
import { isStuf } from '../catalogue/header.ts';
import type { CatalogueEntry } from '../catalogue/types.ts';
import type { RouteKey } from '../config/routes.ts';
import type { CorrelationKey, DedupKey } from '../store/types.ts';

/**
 * The identity the standard makes unique (TR056 for iStandaarden, StUF016 for StUF): for a heenbericht or a
 * 325 the header's Afzender and Identificatie; for a retour, which copies the heen's header, its real sender
 * (the heen's Ontvanger) and IdentificatieRetour; for StUF the zender and referentienummer.
 */
export function dedupKey(entry: CatalogueEntry, h: HeaderFacts): DedupKey | null {
  if (isStuf(entry)) {
    return h.afzender && h.referentienummer
      ? { scope: 'stuf', zender: h.afzender, referentienummer: h.referentienummer }
      : null;
  }
  const { from } = partiesOf(entry, h);
  const identificatie = copiesHeenHeader(entry, h) ? h.identificatieRetour : h.identificatie;
  return from && identificatie ? { scope: 'istd', sender: from, identificatie } : null;
}

/** iEb/iPgb headers leave out the fixed chain party (standards.md §4.4): `CAK` or `SVB`. */
export function chainParty(entry: CatalogueEntry): string | undefined {
  if (entry.standard === 'ieb') return 'CAK';
  if (entry.standard === 'ipgb') return 'SVB';
  return undefined;
}

/**
 * The header's Afzender and Ontvanger with the chain party filled in where an iEb/iPgb header leaves it out
 * (a WMO405/501 has no Ontvanger, a WMO507 no Afzender; their retours copy that). This is what is stored, so a
 * BAB 508 finds its 507 under Afzender `SVB`.
 */
export function headerParties(entry: CatalogueEntry, h: HeaderFacts): { afzender?: string; ontvanger?: string } {
  const fixed = isStuf(entry) ? undefined : chainParty(entry);
  const afzender = h.afzender ?? fixed;
  const ontvanger = h.ontvanger ?? (afzender === fixed ? undefined : fixed);
  const parties: { afzender?: string; ontvanger?: string } = {};
  if (afzender) parties.afzender = afzender;
  if (ontvanger) parties.ontvanger = ontvanger;
  return parties;
}

/** A retourbericht whose header is the heen's, copied unchanged (302 … 320, 406, 408, 502, 508): not a 325, not StUF. */
export function copiesHeenHeader(entry: CatalogueEntry, h: HeaderFacts): boolean {
  return (
    !isStuf(entry) &&
    entry.direction === 'retour' &&
    !isDeclaratieAntwoord(entry) &&
    h.identificatieRetour !== undefined
  );
}

export function isDeclaratieAntwoord(entry: CatalogueEntry): boolean {
  return !isStuf(entry) && entry.name.endsWith('325');
}

/**
 * Who really sends this bericht and who it is for (standards.md §4, §5): a heenbericht, a 325 and a StUF message
 * go from Afzender (zender) to Ontvanger; a retour that copies the heen's header goes from its Ontvanger back to
 * its Afzender.
 */
export function partiesOf(entry: CatalogueEntry, h: HeaderFacts): { from?: string; to?: string } {
  const p = headerParties(entry, h);
  const copies = copiesHeenHeader(entry, h);
  const from = copies ? p.ontvanger : p.afzender;
  const to = copies ? p.afzender : p.ontvanger;
  const parties: { from?: string; to?: string } = {};
  if (from) parties.from = from;
  if (to) parties.to = to;
  return parties;
}

/** The key of the heenbericht a retour answers (standards.md §5, Correlation), or null for a heenbericht. */
export function correlationKey(entry: CatalogueEntry, h: HeaderFacts): CorrelationKey | null {
  if (isStuf(entry)) {
    // The answer's crossRefnummer is the answered message's referentienummer from the zender it answers.
    return h.crossRefnummer && h.ontvanger
      ? { scope: 'stuf', zender: h.ontvanger, referentienummer: h.crossRefnummer }
      : null;
  }
  if (!entry.answers) return null;
  const declaratieAntwoord = isDeclaratieAntwoord(entry);
  const identificatie = declaratieAntwoord ? h.declaratieIdentificatie : h.identificatie;
  const dagtekening = declaratieAntwoord ? h.declaratieDagtekening : h.dagtekening;
  // A retour copies the heen's header; a 325 carries its own, so the 323's Afzender is the 325's Ontvanger.
  const p = headerParties(entry, h);
  const afzender = declaratieAntwoord ? p.ontvanger : p.afzender;
  if (!identificatie || !dagtekening || !afzender) return null;
  return { scope: 'istd', messageName: entry.answers, afzender, identificatie, dagtekening };
}

/**
 * What the route table matches on (standards.md §5): a heenbericht on its Ontvanger, a retour on the copied
 * Afzender (the party it goes back to). A 325 routes on its Ontvanger like a heenbericht: its Afzender is the
 * gemeente that sends it, so a retour-on-Afzender route never catches it.
 */
export function routeKey(entry: CatalogueEntry, h: HeaderFacts): RouteKey {
  const p = headerParties(entry, h);
  return {
    standard: entry.standard,
    message: entry.name,
    direction: entry.direction,
    ...(p.ontvanger ? { ontvanger: p.ontvanger } : {}),
    ...(p.afzender && !isDeclaratieAntwoord(entry) ? { afzender: p.afzender } : {}),
  };
}
