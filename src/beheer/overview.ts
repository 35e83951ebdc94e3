/**
 * The queue overview per destination and per standard, computed from the store's counts and lists. Cached
 * for a moment so the page and the metrics scrape share one computation.
 */
import type { Standard } from '../catalogue/types.ts';
import { STANDARDS } from '../config/schema.ts';
import {
  type GemeenteCount,
  MESSAGE_STATUSES,
  type MessageFilter,
  type MessageStatus,
  type MessageStore,
  type StatusCounts,
} from '../store/types.ts';

/** Waiting for delivery: queued (due or backing off) or being delivered. On hold is counted apart. */
export const WAITING_STATUSES = ['queued', 'delivering'] as const satisfies readonly MessageStatus[];

export interface QueueRow {
  /** Destination id or standard. */
  key: string;
  queued: number;
  delivering: number;
  /** Delivered (settled) since local midnight; see `Overview.deliveredToday`. */
  deliveredToday: number;
  failed: number;
  dead: number;
  onHold: number;
  /** Received-at of the oldest message waiting (queued or delivering), or null. */
  oldestWaitingAt: string | null;
}

/** The messages of one gemeente (null: berichten that name none) per status, and per flow. */
export interface GemeenteRow {
  gemeente: string | null;
  total: number;
  statuses: StatusCounts;
  flows: Record<string, number>;
}

export interface Overview {
  generatedAt: string;
  destinations: QueueRow[];
  /** Per gemeente (issue #15): only the gemeenten and flows the reader's scope covers. */
  gemeenten: GemeenteRow[];
  /** Standards with any message in the store. */
  standards: QueueRow[];
  totals: StatusCounts;
  /**
   * How "delivered today" was counted: delivered messages received since `receivedSince`, newest first, at
   * most `scanLimit` of them; `complete` is false when that limit cut the count short.
   */
  deliveredToday: { receivedSince: string; scanned: number; complete: boolean } | null;
}

export interface OverviewOptions {
  store: MessageStore;
  destinations: () => readonly string[];
  /** Rows per listMessages page (the store's list maximum). */
  pageSize: () => number;
  now?: () => Date;
  /** Delivered messages received this many days before today are still looked at for "delivered today". */
  deliveredLookbackDays?: number;
  deliveredScanLimit?: number;
  cacheMs?: number;
}

export class OverviewService {
  private cache = new Map<boolean, { at: number; value: Promise<Overview> }>();
  private readonly now: () => Date;

  constructor(private readonly o: OverviewOptions) {
    this.now = o.now ?? (() => new Date());
  }

  /** `deliveredToday: false` skips the scan behind that column (the metrics scrape does not need it). */
  get(options: { deliveredToday: boolean }): Promise<Overview> {
    const at = this.now().getTime();
    const hit = this.cache.get(options.deliveredToday);
    if (hit && at - hit.at < (this.o.cacheMs ?? 2000)) return hit.value;
    const value = this.compute(options.deliveredToday);
    this.cache.set(options.deliveredToday, { at, value });
    value.catch(() => this.cache.delete(options.deliveredToday));
    return value;
  }

  private async compute(withDelivered: boolean): Promise<Overview> {
    const now = this.now();
    const { store } = this.o;
    const delivered = withDelivered ? await this.deliveredToday(now) : null;
    const row = async (key: string, filter: { destination?: string; standard?: Standard }): Promise<QueueRow> => {
      const c = await store.statusCounts(filter);
      return {
        key,
        queued: c.queued,
        delivering: c.delivering,
        deliveredToday: delivered?.counts.get(`${filter.destination ? 'd' : 's'}:${key}`) ?? 0,
        failed: c.failed,
        dead: c.dead,
        onHold: c.on_hold,
        oldestWaitingAt: await this.oldestWaiting(filter, c.queued + c.delivering),
      };
    };
    const destinations = await Promise.all(this.o.destinations().map((d) => row(d, { destination: d })));
    const standards = (await Promise.all(STANDARDS.map((s) => row(s, { standard: s })))).filter(
      (r) => r.queued + r.delivering + r.failed + r.dead + r.onHold + r.deliveredToday > 0,
    );
    return {
      generatedAt: now.toISOString(),
      destinations,
      gemeenten: gemeenteRows(await store.gemeenteCounts()),
      standards,
      totals: await store.statusCounts(),
      deliveredToday: delivered
        ? { receivedSince: delivered.since.toISOString(), scanned: delivered.scanned, complete: delivered.complete }
        : null,
    };
  }

  /**
   * The store lists newest first, so the oldest of `waiting` matches is the last one: one row at offset
   * waiting-1. (Null when the set shrank in between.)
   */
  private async oldestWaiting(filter: MessageFilter, waiting: number): Promise<string | null> {
    if (waiting <= 0) return null;
    const page = await this.o.store.listMessages({
      ...filter,
      status: [...WAITING_STATUSES],
      limit: 1,
      offset: waiting - 1,
    });
    return page.items[0]?.receivedAt.toISOString() ?? null;
  }

  /**
   * Counts delivered messages settled since local midnight, per destination and per standard, by listing
   * delivered messages received in the last few days. A message received earlier and delivered today (a
   * resend of an old dead letter) is missed; a store count on settled_at would not miss it.
   */
  private async deliveredToday(now: Date) {
    const midnight = new Date(now);
    midnight.setHours(0, 0, 0, 0);
    const since = new Date(midnight);
    since.setDate(since.getDate() - (this.o.deliveredLookbackDays ?? 2));
    const limit = this.o.deliveredScanLimit ?? 20_000;
    const counts = new Map<string, number>();
    const add = (k: string) => counts.set(k, (counts.get(k) ?? 0) + 1);
    let scanned = 0;
    let total = 0;
    const pageSize = Math.max(1, this.o.pageSize());
    for (;;) {
      const page = await this.o.store.listMessages({
        status: 'delivered',
        receivedFrom: since,
        limit: Math.min(pageSize, limit - scanned),
        offset: scanned,
      });
      total = page.total;
      for (const m of page.items) {
        if (m.settledAt && m.settledAt >= midnight) {
          if (m.destination) add(`d:${m.destination}`);
          add(`s:${m.standard}`);
        }
      }
      scanned += page.items.length;
      if (page.items.length === 0 || scanned >= total || scanned >= limit) break;
    }
    return { counts, since, scanned, complete: scanned >= total };
  }
}

/** The store's counts per gemeente, flow and status as one row per gemeente (null last). */
export function gemeenteRows(counts: readonly GemeenteCount[]): GemeenteRow[] {
  const rows = new Map<string | null, GemeenteRow>();
  for (const c of counts) {
    let row = rows.get(c.gemeente);
    if (!row) {
      const statuses = Object.fromEntries(MESSAGE_STATUSES.map((st) => [st, 0])) as StatusCounts;
      row = { gemeente: c.gemeente, total: 0, statuses, flows: {} };
      rows.set(c.gemeente, row);
    }
    row.total += c.n;
    row.statuses[c.status] += c.n;
    const flow = c.flow ?? 'none';
    row.flows[flow] = (row.flows[flow] ?? 0) + c.n;
  }
  return [...rows.values()].sort((a, b) =>
    a.gemeente === null ? 1 : b.gemeente === null ? -1 : a.gemeente.localeCompare(b.gemeente),
  );
}
