/**
 * Starting deliveries on the SQLite store (run inside a store write): leasing a batch of due outbox rows
 * set-based under one token, and starting one claimed row. Only the outbox row is written: its lease is what makes
 * the message read as delivering (../delivering.ts `deliveryLeased`, issue #17). Either opens the bodies for the
 * adapters.
 */
import { randomUUID } from 'node:crypto';
import { type OutboxRow, toLease } from '../rows.ts';
import type { RowSealer } from '../sealing.ts';
import type { Lease } from '../types.ts';
import type { Statements } from './statements.ts';

/** Leases up to `limit` due rows, in due order. */
export function leaseBatch(
  s: Statements,
  sealer: RowSealer,
  lease: { owner: string; limit: number; until: number },
  now: number,
): Lease[] {
  // One token for the batch: a lease is its row and token, and a later lease of a row gets a new token.
  const { owner, limit, until } = lease;
  const token = randomUUID();
  const rows = s.outboxLeaseBatch.all({ owner, token, until, now, limit });
  if (rows.length === 0) return [];
  rows.sort((a, b) => a.due_at - b.due_at || a.id - b.id);
  const ids = JSON.stringify(rows.map((r) => r.message_id));
  const messages = new Map(s.outboxMessagesBatch.all(ids).map((m) => [m.id, m]));
  return rows.map((row) => {
    const m = messages.get(row.message_id)!;
    return toLease(row, token, { ...m, body: sealer.openBodyForDelivery(m.id, m.body_key, m.body) }, owner, until);
  });
}

/** The lease of a claimed outbox row, with its message. */
export function startDelivery(
  s: Statements,
  sealer: RowSealer,
  row: OutboxRow,
  lease: { token: string; owner: string; until: number },
): Lease {
  const m = s.outboxMessage.get(row.message_id)!;
  return toLease(
    row,
    lease.token,
    { ...m, body: sealer.openBodyForDelivery(m.id, m.body_key, m.body) },
    lease.owner,
    lease.until,
  );
}
