/**
 * The statements that carry many callers at once (see `batcher.ts`): the insert of many messages (group commit
 * of the ingest path) and the claim of many broker publications (the consumers' path). Each is one round trip
 * and one COMMIT for the whole batch, with the same effects per item as the single statement: `INSERT_MESSAGE` in
 * statements.ts (gemeente, flow, sealed body and findings, body key, BSN index rows), and the claim of one
 * publication (`CLAIM_MANY` with one item).
 */
import type { QueryResultRow } from 'pg';
import { type OutboxMessageRow, toLease } from '../rows.ts';
import type { RowSealer, SealedValues } from '../sealing.ts';
import type { ClaimResult, HistoryFacts, MessageStatus, PublishRef } from '../types.ts';
import { StatementBatcher } from './batcher.ts';
import {
  COMPLETE_MANY,
  type CompleteItem,
  type CompleteRow,
  completeManyParams,
  completeResults,
  completeRounds,
} from './completions.ts';
import { COMPLETE_DELIVERY, INSERT_MESSAGE, OUTBOX_MESSAGE_COLUMNS } from './statements.ts';
import { columnParams, completeParams, messageParams, sealParams } from './writes.ts';

/** One message of a batched insert: its values (body and findings sealed), who inserted it, its history rows. */
export interface InsertItem {
  v: SealedValues;
  actor: string;
  history: HistoryFacts;
}

const INSERT_COLUMNS = `id, received_at, standard, release, message_name, direction, afzender, ontvanger,
  bericht_identificatie, dagtekening, berichtcode, referentienummer, cross_ref, dedup_scope, dedup_sender, dedup_id,
  content_hash, body, body_size, source_kind, source_id, status, status_reason, destination, correlated_to, findings,
  finding_count, next_attempt_at, settled_at, created_at, updated_at, case_ref, gemeente, flow, body_key`;

/** Parameters per message row; `received_at` doubles as created_at and updated_at. */
const ROW_PARAMS = 33;

/** The parameters of one row, in `INSERT_COLUMNS` order (without the repeated received_at). */
function rowParams(v: SealedValues): unknown[] {
  return [...columnParams(v), v.caseRef, v.gemeente, v.flow, v.bodyKey];
}

const insertTexts = new Map<number, string>();

/**
 * The insert of `n` messages: their rows (a unique conflict skips that row only), and for each row inserted its
 * first history row, its outbox row when queued, and its TR505/TR507 history rows. Messages that answer a
 * heenbericht do not come here (they take the serialised path). Returns the ids of the rows inserted (the
 * caller builds each row from the values it wrote, `insertedRow`).
 */
export function insertManyText(n: number): string {
  const cached = insertTexts.get(n);
  if (cached) return cached;
  const rows: string[] = [];
  for (let i = 0; i < n; i++) {
    const p = (k: number) => `$${i * ROW_PARAMS + k}`;
    const cols = Array.from({ length: ROW_PARAMS - 4 }, (_, k) => p(k + 1));
    // The 29 columns up to settled_at, received_at twice (created_at, updated_at), then the last four.
    const tail = Array.from({ length: 4 }, (_, k) => p(ROW_PARAMS - 3 + k));
    rows.push(`(${cols.slice(0, ROW_PARAMS - 4).join(', ')}, ${p(2)}, ${p(2)}, ${tail.join(', ')})`);
  }
  const a = (k: number) => `$${n * ROW_PARAMS + k}`;
  const text = `WITH ins AS (
   INSERT INTO messages (${INSERT_COLUMNS})
   VALUES ${rows.join(',\n     ')}
   ON CONFLICT DO NOTHING
   RETURNING id, received_at, status, status_reason, destination
 ), actors AS (
   SELECT * FROM unnest(${a(1)}::text[], ${a(2)}::text[]) AS x(id, actor)
 ), history AS (
   INSERT INTO status_history (message_id, at, from_status, to_status, actor, reason)
   SELECT ins.id, ins.received_at, NULL, ins.status, actors.actor, ins.status_reason
   FROM ins JOIN actors ON actors.id = ins.id
 ), outbox_row AS (
   INSERT INTO outbox (message_id, destination, due_at, created_at)
   SELECT id, destination, received_at, received_at FROM ins WHERE status = 'queued' ORDER BY received_at, id
 ), history_period_rows AS (
   INSERT INTO history_periods (message_id, message_name, afzender, bsn_hash, nummer, status)
   SELECT p.m, p.n, p.a, p.h, p.k, p.s
   FROM unnest(${a(3)}::text[], ${a(4)}::text[], ${a(5)}::text[], ${a(6)}::text[], ${a(7)}::text[], ${a(8)}::text[])
     WITH ORDINALITY AS p(m, n, a, h, k, s, o)
   WHERE p.m IN (SELECT id FROM ins)
   ORDER BY p.o
 ), history_budget_rows AS (
   INSERT INTO history_budgets (message_id, afzender, bsn_hash, budget)
   SELECT b.m, b.a, b.h, b.g
   FROM unnest(${a(9)}::text[], ${a(10)}::text[], ${a(11)}::text[], ${a(12)}::text[]) WITH ORDINALITY AS b(m, a, h, g, o)
   WHERE b.m IN (SELECT id FROM ins)
   ORDER BY b.o
 ), bsn_rows AS (
   INSERT INTO bsn_index (bsn_hash, message_id)
   SELECT DISTINCT x.h, x.m FROM unnest(${a(13)}::text[], ${a(14)}::text[]) AS x(m, h)
   WHERE x.m IN (SELECT id FROM ins)
 )
 SELECT id FROM ins`;
  insertTexts.set(n, text);
  return text;
}

/**
 * The parameters of `insertManyText(rows)` for `items` (rows ≥ items.length): the rows after the items repeat the
 * last item, whose id then conflicts with itself, so ON CONFLICT DO NOTHING skips them (see `statementRows`).
 */
export function insertManyParams(items: readonly InsertItem[], rows = items.length): unknown[] {
  const params: unknown[] = [];
  for (const { v } of items) params.push(...rowParams(v));
  const last = rowParams(items.at(-1)!.v);
  for (let i = items.length; i < rows; i++) params.push(...last);
  // Of two items with one id only the first is inserted: the rows that hang off it are the first's alone.
  const seen = new Set<string>();
  const firsts = items.filter(({ v }) => !seen.has(v.id) && Boolean(seen.add(v.id)));
  const periods = firsts.flatMap(({ v, history }) => history.periods.map((p) => ({ m: v.id, ...p })));
  const budgets = firsts.flatMap(({ v, history }) => history.budgets.map((b) => ({ m: v.id, ...b })));
  const bsn = firsts.flatMap(({ v }) => v.bsnHashes.map((h) => ({ m: v.id, h })));
  params.push(
    firsts.map((i) => i.v.id),
    firsts.map((i) => i.actor),
    periods.map((x) => x.m),
    periods.map((x) => x.messageName),
    periods.map((x) => x.afzender),
    periods.map((x) => x.bsnHash),
    periods.map((x) => x.nummer),
    periods.map((x) => x.status),
    budgets.map((x) => x.m),
    budgets.map((x) => x.afzender),
    budgets.map((x) => x.bsnHash),
    budgets.map((x) => x.budget),
    bsn.map((x) => x.m),
    bsn.map((x) => x.h),
  );
  return params;
}

/** Messages per batched insert at most (the parameters stay far below PostgreSQL's 65,535). */
export const INSERT_BATCH_MAX = 32;

/**
 * The rows of the prepared statement a batch of `n` takes: the next power of two. Each size is a prepared
 * statement (with its cached plan) on every connection: the six sizes up to 32 take ~3.5 MB of PostgreSQL memory
 * per connection, where one statement per batch size up to 64 took 42 MB.
 */
export function statementRows(n: number): number {
  return Math.min(INSERT_BATCH_MAX, 2 ** Math.ceil(Math.log2(Math.max(1, n))));
}

/** One claim of a batched claim. */
export interface ClaimItem {
  ref: PublishRef;
  owner: string;
  leaseUntil: number;
}

/** What `CLAIM_MANY` returns per request: the claim, or the row's current state when not claimed. */
export type ClaimManyRow = OutboxMessageRow & {
  req_id: number;
  req_token: string;
  outbox_id: number | null;
  claimed_by: string | null;
  claimed_until: number | null;
  destination: string | null;
  attempts: number | null;
  phase: string | null;
  lease_until: number | null;
};

/**
 * The claim of many publications (the single claim is a batch of one), one result row per request: each outbox
 * row whose token is current and that no live claim holds is locked (in id order, as every batched statement
 * locks outbox rows) and claimed (the claim alone makes its message read as delivering, issue #17), and its
 * message read for the adapter; a request not claimed gets its row's current phase and lease (none when the token
 * is no longer current).
 * $1 outbox ids, $2 tokens, $3 owners, $4 leases until, $5 now.
 */
export const CLAIM_MANY = `WITH req AS (
   SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[]) AS r(id, token, owner, until)
 ), free AS (
   SELECT o.id FROM outbox o JOIN req ON o.id = req.id AND o.lease_token = req.token
   WHERE o.phase IN ('publishing', 'published') OR (o.phase = 'claimed' AND o.lease_until <= $5)
   ORDER BY o.id FOR UPDATE OF o
 ), claimed AS (
   UPDATE outbox o SET phase = 'claimed', lease_owner = req.owner, lease_until = req.until
   FROM req
   WHERE o.id = req.id AND o.lease_token = req.token AND o.id IN (SELECT id FROM free)
   RETURNING o.id, o.lease_token, o.lease_owner, o.lease_until, o.message_id, o.destination, o.attempts
 )
 SELECT req.id AS req_id, req.token AS req_token, c.id AS outbox_id, c.lease_owner AS claimed_by,
   c.lease_until AS claimed_until, c.destination, c.attempts, cur.phase, cur.lease_until, ${OUTBOX_MESSAGE_COLUMNS}
 FROM req
 LEFT JOIN claimed c ON c.id = req.id AND c.lease_token = req.token
 LEFT JOIN messages m ON m.id = c.message_id
 LEFT JOIN outbox cur ON c.id IS NULL AND cur.id = req.id AND cur.lease_token = req.token`;

/** The parameters of `CLAIM_MANY`. */
export function claimManyParams(items: readonly ClaimItem[], now: number): unknown[] {
  return [
    items.map((i) => i.ref.outboxId),
    items.map((i) => i.ref.token),
    items.map((i) => i.owner),
    items.map((i) => i.leaseUntil),
    now,
  ];
}

/**
 * One result per item, in their order. A publication requested twice in one batch is claimed for the first
 * request of the owner that got it; the other requests find it busy, as they would one after the other.
 */
export function claimResults(
  items: readonly ClaimItem[],
  rows: readonly ClaimManyRow[],
  sealer: RowSealer,
): ClaimResult[] {
  const byRef = new Map(rows.map((r) => [`${r.req_id}:${r.req_token}`, r]));
  const handedOut = new Set<number>();
  return items.map(({ ref, owner }): ClaimResult => {
    const r = byRef.get(`${ref.outboxId}:${ref.token}`);
    if (r?.outbox_id != null && r.claimed_until != null) {
      if (r.claimed_by !== owner || handedOut.has(r.outbox_id)) {
        return { kind: 'busy', leaseUntil: new Date(r.claimed_until) };
      }
      handedOut.add(r.outbox_id);
      const row = { id: r.outbox_id, destination: r.destination!, attempts: r.attempts! };
      return { kind: 'claimed', lease: toLease(row, ref.token, opened(sealer, r), owner, r.claimed_until) };
    }
    return r?.phase === 'claimed' && r.lease_until != null
      ? { kind: 'busy', leaseUntil: new Date(r.lease_until) }
      : { kind: 'stale' };
  });
}

/** Claims per statement at most. */
export const CLAIM_BATCH_MAX = 128;

/** Completions per statement at most. */
export const COMPLETE_BATCH_MAX = 128;

type Query = <R extends QueryResultRow>(text: string, values: unknown[], name: string) => Promise<R[]>;

/** The batchers of the store's group-committed writes, over its one-statement query function. */
export class BatchedWrites {
  /** Per item whether it was inserted (false: a unique conflict skipped it). */
  readonly inserts: StatementBatcher<InsertItem, boolean>;
  readonly claims: StatementBatcher<ClaimItem, ClaimResult>;
  readonly completions: StatementBatcher<CompleteItem, CompleteRow>;

  constructor(
    private readonly q: Query,
    private readonly sealer: () => Promise<RowSealer>,
    private readonly now: () => number,
    inFlight: number,
  ) {
    const maxInFlight = Math.max(1, inFlight);
    this.inserts = new StatementBatcher({
      many: (items) => this.insertMany(items),
      one: (item) => this.insertOne(item),
      maxBatch: INSERT_BATCH_MAX,
      maxInFlight,
    });
    this.claims = new StatementBatcher({
      many: (items) => this.claimMany(items),
      one: async (item) => (await this.claimMany([item]))[0]!,
      maxBatch: CLAIM_BATCH_MAX,
      maxInFlight,
    });
    this.completions = new StatementBatcher({
      many: (items) => this.completeMany(items),
      one: (item) => this.completeOne(item),
      maxBatch: COMPLETE_BATCH_MAX,
      maxInFlight,
    });
  }

  private async completeOne(i: CompleteItem): Promise<CompleteRow> {
    const params = completeParams(i.lease, i.plan, i.now, i.answer);
    const [r] = await this.q<{ owned: boolean; status: MessageStatus }>(
      COMPLETE_DELIVERY,
      params,
      'schakel-complete-delivery',
    );
    return r ? { owned: r.owned, status: r.status } : null;
  }

  /** One statement per round (`completeRounds`: one row is not moved twice by one statement); almost always one. */
  private async completeMany(items: CompleteItem[]): Promise<CompleteRow[]> {
    const results: CompleteRow[] = new Array(items.length).fill(null);
    for (const round of completeRounds(items)) {
      const some = round.map((i) => items[i]!);
      const rows = await this.q<{ n: string; owned: boolean; status: MessageStatus }>(
        COMPLETE_MANY,
        completeManyParams(some),
        'schakel-complete-many',
      );
      completeResults(some, rows).forEach((r, k) => {
        results[round[k]!] = r;
      });
    }
    return results;
  }

  private async claimMany(items: ClaimItem[]): Promise<ClaimResult[]> {
    const sealer = await this.sealer();
    const rows = await this.q<ClaimManyRow>(CLAIM_MANY, claimManyParams(items, this.now()), 'schakel-claim-many');
    return claimResults(items, rows, sealer);
  }

  private async insertOne({ v, actor, history }: InsertItem): Promise<boolean> {
    const params = [...messageParams(v, actor, history), ...sealParams(v)];
    return (await this.q<{ id: string }>(INSERT_MESSAGE, params, 'schakel-insert-message')).length > 0;
  }

  /** Per item whether it was inserted; false where a unique conflict skipped it (of two equal ids the first wins). */
  private async insertMany(items: InsertItem[]): Promise<boolean[]> {
    const n = statementRows(items.length);
    const rows = await this.q<{ id: string }>(
      insertManyText(n),
      insertManyParams(items, n),
      `schakel-insert-many-${n}`,
    );
    const inserted = new Set(rows.map((r) => r.id));
    return items.map((i) => inserted.delete(i.v.id));
  }
}

/** An outbox message with its body in plain for the adapter (null when its key is missing). */
export function opened<T extends OutboxMessageRow>(sealer: RowSealer, m: T): T {
  return { ...m, body: sealer.openBodyForDelivery(m.id, m.body_key, m.body) };
}
