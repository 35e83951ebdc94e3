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
    return h.afzender && h.referentienummer ? { scope: 'stuf', zender: h.afzender, referentienummer: h.referentienummer } : null;
  }
  if (h.identificatieRetour) {
    const sender = h.ontvanger ?? fixedParty(entry);
    return sender ? { scope: 'istd', sender, identificatie: h.identificatieRetour } : null;
  }
  const sender = h.afzender ?? fixedParty(entry);
  return sender && h.identificatie ? { scope: 'istd', sender, identificatie: h.identificatie } : null;
}

/** iEb/iPgb headers leave out the fixed chain party (standards.md §4.4). */
function fixedParty(entry: CatalogueEntry): string | undefined {
  if (entry.standard === 'ieb') return 'CAK';
  if (entry.standard === 'ipgb') return 'SVB';
  return undefined;
}

/** The key of the heenbericht a retour answers (standards.md §5, Correlation), or null for a heenbericht. */
export function correlationKey(entry: CatalogueEntry, h: HeaderFacts): CorrelationKey | null {
  if (isStuf(entry)) {
    return h.crossRefnummer && h.ontvanger ? { scope: 'stuf', zender: h.ontvanger, referentienummer: h.crossRefnummer } : null;
  }
  if (!entry.answers) return null;
  const isDeclaratieAntwoord = entry.name.endsWith('325');
  const identificatie = isDeclaratieAntwoord ? h.declaratieIdentificatie : h.identificatie;
  const dagtekening = isDeclaratieAntwoord ? h.declaratieDagtekening : h.dagtekening;
  // A 325 carries its own header; the 323's Afzender is the 325's Ontvanger.
  const afzender = isDeclaratieAntwoord ? h.ontvanger : h.afzender;
  if (!identificatie || !dagtekening || !afzender) return null;
  return { scope: 'istd', messageName: entry.answers, afzender, identificatie, dagtekening };
}

/** What the route table matches on (standards.md §5): heen on Ontvanger, retour on the copied Afzender. */
export function routeKey(entry: CatalogueEntry, h: HeaderFacts): RouteKey {
  return {
    standard: entry.standard,
    message: entry.name,
    direction: entry.direction,
    ...(h.ontvanger ? { ontvanger: h.ontvanger } : {}),
    ...(h.afzender ? { afzender: h.afzender } : {}),
  };
}
