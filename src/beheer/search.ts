/**
 * Beheer search: the filters the page and API accept, turned into the store's MessageFilter, and the exact
 * BSN search through the store's keyed-hash index. A BSN is never put in a URL, a log line or the audit log.
 */
import { z } from 'zod';
import { DIRECTIONS, STANDARDS } from '../config/schema.ts';
import {
  FLOWS,
  MESSAGE_STATUSES,
  type MessageFilter,
  type MessageStore,
  type MessageSummary,
  type StoredMessage,
} from '../store/types.ts';
import { messageIdsOf } from '../stuf/ggk-referentienummer.ts';

const text = (max: number) => z.string().trim().min(1).max(max);
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD');
/** More status values than this in one filter is not a search but an attack on the query (400). */
const MAX_LIST_VALUES = 100;
const statusValues = z
  .array(z.enum(MESSAGE_STATUSES))
  .min(1)
  .max(MAX_LIST_VALUES, `at most ${MAX_LIST_VALUES} status values (there are ${MESSAGE_STATUSES.length})`)
  .transform((l) => [...new Set(l)]);
const statusList = z.union([
  z.enum(MESSAGE_STATUSES),
  statusValues,
  /** `dead,failed` in a query string. */
  z
    .string()
    .max(MAX_LIST_VALUES * 12)
    .regex(/^[a-z_]+(,[a-z_]+)+$/)
    .transform((s) => s.split(','))
    .pipe(statusValues),
]);
const count = (max: number) => z.coerce.number().int().min(0).max(max);

/** The filters of a search and of a bulk action "all matching". Dates are local days, `to` inclusive. */
export const searchFilterSchema = z.strictObject({
  id: text(64).optional(),
  berichtIdentificatie: text(100).optional(),
  message: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9_]{1,39}$/, 'a message name such as WMO301')
    .optional(),
  standard: z.enum(STANDARDS).optional(),
  direction: z.enum(DIRECTIONS).optional(),
  afzender: text(100).optional(),
  ontvanger: text(100).optional(),
  destination: text(64).optional(),
  status: statusList.optional(),
  from: day.optional(),
  to: day.optional(),
  /** Retours that answer this heenbericht id. */
  correlatedTo: text(64).optional(),
  referentienummer: text(100).optional(),
  /** Issue #15: a CBS gemeentecode, and a flow (purpose). */
  gemeente: z
    .string()
    .regex(/^[0-9]{4}$/, 'a CBS gemeentecode: four digits')
    .optional(),
  flow: z.enum(FLOWS).optional(),
});
export type SearchFilter = z.output<typeof searchFilterSchema>;

export const pageSchema = z.strictObject({ limit: count(10_000).optional(), offset: count(10_000_000).optional() });

/** A BSN to search for: nine digits exactly. */
export const bsnSchema = z.string().regex(/^\d{9}$/, 'a BSN is nine digits');

/** Query strings give '' for an empty field; those are "no filter". */
export function dropEmpty(input: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== '' && v !== undefined && v !== null));
}

function localDay(d: string, plusDays = 0): Date {
  const [y, m, dd] = d.split('-').map(Number) as [number, number, number];
  return new Date(y, m - 1, dd + plusDays);
}

export function toMessageFilter(f: SearchFilter): MessageFilter {
  return {
    ...(f.status ? { status: f.status } : {}),
    ...(f.standard ? { standard: f.standard } : {}),
    ...(f.message ? { messageName: f.message } : {}),
    ...(f.direction ? { direction: f.direction } : {}),
    ...(f.afzender ? { afzender: f.afzender } : {}),
    ...(f.ontvanger ? { ontvanger: f.ontvanger } : {}),
    ...(f.destination ? { destination: f.destination } : {}),
    ...(f.berichtIdentificatie ? { berichtIdentificatie: f.berichtIdentificatie } : {}),
    ...(f.referentienummer ? { referentienummer: f.referentienummer } : {}),
    ...(f.correlatedTo ? { correlatedTo: f.correlatedTo } : {}),
    ...(f.gemeente ? { gemeente: f.gemeente } : {}),
    ...(f.flow ? { flow: f.flow } : {}),
    ...(f.from ? { receivedFrom: localDay(f.from) } : {}),
    ...(f.to ? { receivedTo: localDay(f.to, 1) } : {}),
  };
}

/** A full message as a list row (the `id` filter reads one message). */
function summaryOf(m: StoredMessage): MessageSummary {
  const { findings, dedup: _dedup, ...rest } = m;
  return { ...rest, findingCount: findings.length };
}

/** Whether a StoredMessage matches the filter's other fields (for the `id` filter). */
function matches(m: MessageSummary, f: MessageFilter): boolean {
  const statuses = f.status === undefined ? null : Array.isArray(f.status) ? f.status : [f.status];
  return (
    (!statuses || statuses.includes(m.status)) &&
    (!f.standard || m.standard === f.standard) &&
    (!f.messageName || m.messageName === f.messageName) &&
    (!f.direction || m.direction === f.direction) &&
    (!f.afzender || m.afzender === f.afzender) &&
    (!f.ontvanger || m.ontvanger === f.ontvanger) &&
    (!f.destination || m.destination === f.destination) &&
    (!f.berichtIdentificatie || m.berichtIdentificatie === f.berichtIdentificatie) &&
    (!f.referentienummer || m.referentienummer === f.referentienummer) &&
    (!f.correlatedTo || m.correlatedTo === f.correlatedTo) &&
    (!f.gemeente || m.gemeente === f.gemeente) &&
    (!f.flow || m.flow === f.flow) &&
    (!f.receivedFrom || m.receivedAt >= f.receivedFrom) &&
    (!f.receivedTo || m.receivedAt < f.receivedTo)
  );
}

export interface SearchPage {
  items: MessageSummary[];
  total: number;
}

/**
 * The message with this id, or the one whose GGK envelope carried it as referentienummer (what the GGK's answers
 * and its beheer name): functioneel beheer finds a bericht by either.
 */
async function messageOrGgkReference(store: MessageStore, id: string): Promise<StoredMessage | null> {
  for (const candidate of [id, ...messageIdsOf(id)]) {
    const m = await store.getMessage(candidate);
    if (m) return m;
  }
  return null;
}

/** Metadata search, newest first. */
export async function searchMessages(
  store: MessageStore,
  f: SearchFilter,
  page: { limit?: number; offset?: number },
): Promise<SearchPage> {
  const filter = toMessageFilter(f);
  if (f.id) {
    const m = await messageOrGgkReference(store, f.id);
    const row = m ? summaryOf(m) : null;
    const items = row && matches(row, filter) ? [row] : [];
    return { items: (page.offset ?? 0) > 0 ? [] : items, total: items.length };
  }
  return store.listMessages({ ...filter, ...page });
}

/**
 * Every id of messages matching the filter, newest first, up to `max` (for bulk actions). Throws
 * TooManyMessages when more match. Messages received after the call started are left out, so the listing is
 * stable while it pages.
 */
export async function matchingIds(
  store: MessageStore,
  f: SearchFilter,
  max: number,
  pageSize: number,
): Promise<string[]> {
  if (f.id) return (await searchMessages(store, f, {})).items.map((m) => m.id);
  const filter = { ...toMessageFilter(f) };
  const cutoff = new Date(Date.now() + 1);
  if (!filter.receivedTo || filter.receivedTo > cutoff) filter.receivedTo = cutoff;
  const ids = new Set<string>();
  let offset = 0;
  for (;;) {
    const page = await store.listMessages({ ...filter, limit: pageSize, offset });
    if (page.total > max) throw new TooManyMessages(page.total, max);
    for (const m of page.items) ids.add(m.id);
    offset += page.items.length;
    if (page.items.length === 0 || offset >= page.total) break;
  }
  return [...ids];
}

export class TooManyMessages extends Error {
  override readonly name = 'TooManyMessages';
  constructor(
    readonly total: number,
    readonly max: number,
  ) {
    super(`${total} messages match; at most ${max} per bulk action`);
  }
}

export interface BsnSearchResult extends SearchPage {
  /** Bodies read: always 0, the search reads the store's keyed-hash BSN index (kept for the API's shape). */
  scanned: number;
  /** Always true: the index covers every stored bericht (older ones once `schakel reencrypt` ran). */
  complete: boolean;
}

/**
 * Messages (among those matching `f`, newest first) that carry exactly this BSN in a BSN element, from the
 * store's keyed-hash index (issue 15 part 4): no body is read or decrypted. A message whose body was purged
 * still matches while its metadata is kept.
 */
export async function searchBsn(
  store: MessageStore,
  f: SearchFilter,
  bsn: string,
  o: { limit: number },
): Promise<BsnSearchResult> {
  const filter = toMessageFilter(f);
  if (f.id) {
    const one = (await searchMessages(store, f, {})).items[0];
    if (!one) return { items: [], total: 0, scanned: 0, complete: true };
    const around = { receivedFrom: one.receivedAt, receivedTo: new Date(one.receivedAt.getTime() + 1) };
    const page = await store.listMessages({ ...filter, ...around, bsn, limit: o.limit });
    const items = page.items.filter((m) => m.id === one.id);
    return { items, total: items.length, scanned: 0, complete: true };
  }
  const page = await store.listMessages({ ...filter, bsn, limit: o.limit, offset: 0 });
  return { items: page.items, total: page.total, scanned: 0, complete: true };
}
