/**
 * Encryption at rest on the PostgreSQL store (issue 15 part 4): its sealer, and one batch of `schakel
 * reencrypt` (rows not under the current key sealed again; rows stored before encryption sealed for the first
 * time, with their BSN index).
 *
 * Without configured keys the store keeps a generated key in its own store_secrets, the same for every instance:
 * bodies are then not in clear in the database files, but anyone with the database has the key too. Development
 * only; production configures `store.encryption` (docs/encryption.md).
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { BodyCipher, BodyKeyMissingError } from '../../security/body-cipher.ts';
import { bsnIndexKey } from '../../security/bsn-index.ts';
import { type ResealRow, RowSealer, reseal, resealAnswer } from '../sealing.ts';
import type { ResealBatch } from '../types.ts';
import * as sql from './statements.ts';

/** The store_secrets row of the generated body key (no configured keys). */
const STORE_BODY_KEY = 'body-key';
/** Its key id. */
export const STORE_KEY_ID = 'store';

type Query = <R extends pg.QueryResultRow>(text: string, values?: unknown[]) => Promise<R[]>;

/** The configured cipher, or the one of the generated key in store_secrets (created by the first instance). */
export async function storeCipher(q: Query, configured: BodyCipher | undefined): Promise<BodyCipher> {
  if (configured) return configured;
  const read = async () => (await q<{ value: Buffer }>(sql.SECRET_GET, [STORE_BODY_KEY]))[0]?.value;
  let key = await read();
  if (!key) {
    await q(sql.SECRET_INSERT, [STORE_BODY_KEY, randomBytes(32)]);
    key = (await read())!;
  }
  return new BodyCipher([{ id: STORE_KEY_ID, key }], STORE_KEY_ID);
}

export async function makeSealer(
  q: Query,
  configured: BodyCipher | undefined,
  indexSecret: () => Promise<Buffer>,
): Promise<RowSealer> {
  return new RowSealer(await storeCipher(q, configured), bsnIndexKey(await indexSecret()));
}

function missing(batch: ResealBatch, e: unknown): void {
  if (!(e instanceof BodyKeyMissingError)) throw e;
  batch.missingKeys[e.keyId] = (batch.missingKeys[e.keyId] ?? 0) + 1;
}

export async function resealMessages(
  c: pg.ClientBase,
  sealer: RowSealer,
  limit: number,
  after: string | null,
): Promise<ResealBatch> {
  const { rows } = await c.query<ResealRow>(
    `SELECT id, body, body_key, findings FROM messages
     WHERE id > $1 AND (body IS NOT NULL OR findings <> '[]') AND (body_key IS NULL OR body_key <> $2)
     ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED`,
    [after ?? '', sealer.cipher.current, Math.max(1, limit)],
  );
  const batch: ResealBatch = { rows: 0, indexed: 0, missingKeys: {}, after: rows.at(-1)?.id ?? null };
  for (const r of rows) {
    try {
      const done = reseal(sealer, r);
      await c.query('UPDATE messages SET body = $1, body_key = $2, findings = $3 WHERE id = $4', [
        done.body,
        done.bodyKey,
        done.findings,
        r.id,
      ]);
      batch.rows++;
      if (done.bsnHashes) {
        await c.query(
          `INSERT INTO bsn_index (bsn_hash, message_id) SELECT DISTINCT h, $2 FROM unnest($1::text[]) AS h
           ON CONFLICT DO NOTHING`,
          [done.bsnHashes, r.id],
        );
        batch.indexed++;
      }
    } catch (e) {
      missing(batch, e);
    }
  }
  return batch;
}

export async function resealAnswers(
  c: pg.ClientBase,
  sealer: RowSealer,
  limit: number,
  after: string | null,
): Promise<ResealBatch> {
  const { rows } = await c.query<{ id: number; message_id: string; answer_excerpt: string }>(
    `SELECT id, message_id, answer_excerpt FROM delivery_attempts
     WHERE id > $1 AND answer_excerpt IS NOT NULL AND (answer_key IS NULL OR answer_key <> $2)
     ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED`,
    [after === null ? 0 : Number(after), sealer.cipher.current, Math.max(1, limit)],
  );
  const batch: ResealBatch = { rows: 0, indexed: 0, missingKeys: {}, after: rows.at(-1)?.id.toString() ?? null };
  for (const r of rows) {
    try {
      await c.query('UPDATE delivery_attempts SET answer_excerpt = $1, answer_key = $2 WHERE id = $3', [
        resealAnswer(sealer, r.message_id, r.answer_excerpt),
        sealer.cipher.current,
        r.id,
      ]);
      batch.rows++;
    } catch (e) {
      missing(batch, e);
    }
  }
  return batch;
}
