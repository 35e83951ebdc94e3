import { catalogue } from '../catalogue/catalogue.ts';
import type { HeaderFacts } from '../catalogue/header.ts';
import type { CatalogueEntry, Role } from '../catalogue/types.ts';
import { copiesHeenHeader, routeKey } from '../pipeline/identity.ts';
import type { ConfigIssue } from './issue.ts';
import { findRoute } from './routes.ts';
import type { Config, PartyKind } from './schema.ts';

/**
 * The route table must not send a bericht back where it came from (standards.md §5, routing rules):
 *
 * - a bericht a gemeente sends to an aanbieder, the CAK, the SVB or a justice party must not go to that
 *   gemeente's own inbox: an internal destination (webhook, amqp) where berichten for the gemeente go;
 * - a bericht that comes in for a gemeente must not go back to the party it came from: not into the GGK or
 *   CORV (it arrived from there) and not to a destination where the gemeente's berichten to that party go.
 *
 * The check plays every message of the catalogue a gemeente sends or receives, for every configured gemeente
 * and counterparty, through the table as the pipeline would (pipeline/identity.ts `routeKey`). One issue per
 * offending route, with its line when `lineOf` knows it. Used at start-up (config/load.ts) and by check-config.
 */
export function checkRouteTable(config: Config, lineOf?: (routeIndex: number) => number | undefined): ConfigIssue[] {
  const gemeenten = config.parties.gemeenten.map((g) => g.code);
  if (gemeenten.length === 0 || config.routes.length === 0) return [];
  const adapters = new Map(config.destinations.map((d) => [d.id, d.adapter]));
  const counterparties = counterpartyCodes(config);
  const found = new Map<string, Finding>();
  const report = (
    index: number,
    kind: Finding['kind'],
    destination: string,
    message: string,
    gemeente: string,
    party: string | undefined,
  ) => {
    const key = `${index}\u0000${kind}\u0000${destination}`;
    const f = found.get(key) ?? {
      index,
      kind,
      destination,
      messages: new Set(),
      gemeenten: new Set(),
      parties: new Set(),
    };
    f.messages.add(message);
    f.gemeenten.add(gemeente);
    if (party) f.parties.add(party);
    found.set(key, f);
  };
  const route = (entry: CatalogueEntry, from: string | undefined, to: string | undefined) => {
    const r = findRoute(config.routes, routeKey(entry, headerFor(entry, from, to)));
    return r ? { index: config.routes.indexOf(r), destination: r.destination } : undefined;
  };

  for (const g of gemeenten) {
    // Where the gemeente's heenberichten to each party go: that party's destination (the primary routes, on
    // Ontvanger). Its own inbox: the internal destinations berichten for it go to, apart from those.
    const towards = new Map<string | undefined, Set<string>>();
    for (const entry of CHAIN_MESSAGES.filter((e) => sentByGemeente(e) && e.direction === 'heen')) {
      for (const x of sentTo(counterparties(entry.receiver))) {
        const r = route(entry, g, x);
        if (r) towards.set(x, (towards.get(x) ?? new Set()).add(r.destination));
      }
    }
    const partyDestinations = new Set([...towards.values()].flatMap((d) => [...d]));
    const inbox = new Set<string>();
    for (const entry of CHAIN_MESSAGES.filter(receivedByGemeente)) {
      for (const x of [...counterparties(entry.sender), undefined]) {
        const r = route(entry, x, g);
        if (r && isInternal(adapters.get(r.destination)) && !partyDestinations.has(r.destination))
          inbox.add(r.destination);
      }
    }

    for (const entry of CHAIN_MESSAGES.filter(sentByGemeente)) {
      for (const x of sentTo(counterparties(entry.receiver))) {
        const r = route(entry, g, x);
        if (r && inbox.has(r.destination)) report(r.index, 'own-inbox', r.destination, entry.name, g, x);
      }
    }
    for (const entry of CHAIN_MESSAGES.filter(receivedByGemeente)) {
      for (const x of [...counterparties(entry.sender), undefined]) {
        const r = route(entry, x, g);
        if (!r) continue;
        const adapter = adapters.get(r.destination);
        if (adapter === 'ggk' || adapter === 'corv') report(r.index, 'back-to-chain', r.destination, entry.name, g, x);
        else if (x !== undefined && towards.get(x)?.has(r.destination))
          report(r.index, 'back-to-sender', r.destination, entry.name, g, x);
      }
    }
  }

  return [...found.values()]
    .sort((a, b) => a.index - b.index || a.kind.localeCompare(b.kind))
    .map((f) => {
      const line = lineOf?.(f.index);
      return {
        path: `routes[${f.index}]`,
        message: describe(f, adapters.get(f.destination)),
        ...(line ? { line } : {}),
      };
    });
}

interface Finding {
  index: number;
  kind: 'own-inbox' | 'back-to-chain' | 'back-to-sender';
  destination: string;
  messages: Set<string>;
  gemeenten: Set<string>;
  parties: Set<string>;
}

function describe(f: Finding, adapter: string | undefined): string {
  const list = (s: Set<string>) => [...s].join(', ');
  const gemeente = `gemeente ${list(f.gemeenten)}`;
  const parties = f.parties.size ? list(f.parties) : 'its partners';
  switch (f.kind) {
    case 'own-inbox':
      return `${list(f.messages)} that ${gemeente} sends to ${parties} would go to "${f.destination}", where berichten for the gemeente go (its own inbox); route them to the GGK or CORV destination`;
    case 'back-to-chain':
      return `${list(f.messages)} that comes in for ${gemeente} would go back into ${(adapter ?? '').toUpperCase()} ("${f.destination}"), where it came from; route it to the gemeente's internal system`;
    case 'back-to-sender':
      return `${list(f.messages)} that ${parties} sends to ${gemeente} would go back to ${parties} ("${f.destination}", where the gemeente's heenberichten to them go); route it to the gemeente's internal system`;
  }
}

/** The berichten between a gemeente and its chain partners: iWmo, iJw, iEb, iPgb and StUF-Jeugdzorg. */
const CHAIN_MESSAGES: readonly CatalogueEntry[] = catalogue.entries.filter((e) =>
  ['iwmo', 'ijw', 'ieb', 'ipgb', 'stuf-jz'].includes(e.standard),
);

const sentByGemeente = (e: CatalogueEntry) => e.sender.includes('gemeente') && e.receiver.some((r) => r !== 'gemeente');
const receivedByGemeente = (e: CatalogueEntry) =>
  e.receiver.includes('gemeente') && e.sender.some((r) => r !== 'gemeente');

/** A party the gemeente sends to: the configured ones, or any party when none is configured for that role. */
const sentTo = (codes: string[]): (string | undefined)[] => (codes.length ? codes : [undefined]);

/** Webhook and AMQP destinations are internal systems; GGK and CORV destinations lead out of the gemeente. */
function isInternal(adapter: string | undefined): boolean {
  return adapter === 'webhook' || adapter === 'amqp';
}

/** Which party kinds play a catalogue role. Justice and melder roles are all reached through CORV. */
const KINDS_OF_ROLE: Partial<Record<Role, readonly PartyKind[]>> = {
  aanbieder: ['aanbieder'],
  cak: ['cak'],
  svb: ['svb'],
};
const JUSTICE_KINDS: readonly PartyKind[] = ['corv', 'rvdk', 'veilig-thuis', 'other'];

/** The configured codes of the parties playing these roles (CAK and SVB are always known by name). */
function counterpartyCodes(config: Config): (roles: readonly Role[]) => string[] {
  return (roles) => {
    const codes = new Set<string>();
    for (const role of roles) {
      if (role === 'gemeente') continue;
      if (role === 'cak') codes.add('CAK');
      if (role === 'svb') codes.add('SVB');
      const kinds = KINDS_OF_ROLE[role] ?? JUSTICE_KINDS;
      for (const p of config.parties.external) {
        if (!kinds.includes(p.kind)) continue;
        for (const c of [...p.codes.agb, ...p.codes.organisatie, ...(kinds === JUSTICE_KINDS && p.oin ? [p.oin] : [])])
          codes.add(c);
      }
    }
    return [...codes];
  };
}

/** The header a bericht from `from` to `to` carries (the inverse of identity.ts `partiesOf`). */
function headerFor(entry: CatalogueEntry, from: string | undefined, to: string | undefined): HeaderFacts {
  const copiesHeen = copiesHeenHeader(entry, { identificatieRetour: 'route-check' });
  const [afzender, ontvanger] = copiesHeen ? [to, from] : [from, to];
  return {
    ...(afzender ? { afzender } : {}),
    ...(ontvanger ? { ontvanger } : {}),
    ...(copiesHeen ? { identificatieRetour: 'route-check' } : {}),
  };
}
