/**
 * What a beheer user's grants let them read (issue #15): the store scope of the grants of a role, and the store
 * as such a user sees it. Every read beheer does goes through `scopedStore`, so the limit is in the store's own
 * query (both engines), not only in the page.
 */
import type { BeheerRole } from '../config/beheer.ts';
import type { Flow, MessageScope, MessageStore, StoredMessage } from '../store/types.ts';
import type { Grant } from './grants.ts';

/** A viewer grant lets you look; a beheerder grant also lets you open bodies, search a BSN and act. */
function allows(grant: Grant, needed: BeheerRole): boolean {
  return needed === 'viewer' || grant.role === 'beheerder';
}

/** The store scope of the grants that allow `needed` (an empty scope when none does). */
export function scopeOf(grants: readonly Grant[], needed: BeheerRole): MessageScope {
  return grants.filter((g) => allows(g, needed)).map((g) => ({ gemeenten: g.gemeenten, flows: g.flows }));
}

/** Whether the scope covers every message (a grant on every gemeente and every flow). */
export function isEverything(scope: MessageScope): boolean {
  return scope.some((p) => p.gemeenten === '*' && p.flows === '*');
}

/** The highest role of any grant (what the page offers); null without grants. */
export function highestRole(grants: readonly Grant[]): BeheerRole | null {
  if (grants.some((g) => g.role === 'beheerder')) return 'beheerder';
  return grants.length ? 'viewer' : null;
}

/** Whether the scope covers this message: the same rule as the stores' SQL (pages use it for buttons only). */
export function covers(scope: MessageScope, m: Pick<StoredMessage, 'gemeente' | 'flow'>): boolean {
  return scope.some(
    (p) =>
      (p.gemeenten === '*' || (m.gemeente !== null && p.gemeenten.includes(m.gemeente))) &&
      (p.flows === '*' || (m.flow !== null && p.flows.includes(m.flow as Flow))),
  );
}

/**
 * The store with every beheer read limited to `scope`: messages, bodies, lists, counts, unanswered heen-
 * berichten and held TKBs. Writes pass through (beheer acts only on ids it read within the scope).
 */
export function scopedStore(store: MessageStore, scope: MessageScope): MessageStore {
  const reads: Partial<MessageStore> = {
    getMessage: (id) => store.getMessage(id, scope),
    getBody: (id) => store.getBody(id, scope),
    listMessages: (filter = {}) => store.listMessages({ ...filter, scope }),
    statusCounts: (filter = {}) => store.statusCounts({ ...filter, scope }),
    gemeenteCounts: () => store.gemeenteCounts(scope),
    listUnanswered: (filter) => store.listUnanswered({ ...filter, scope }),
    listHeldTkbs: (limit) => store.listHeldTkbs(limit, scope),
  };
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (typeof prop === 'string' && prop in reads) return reads[prop as keyof MessageStore];
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
