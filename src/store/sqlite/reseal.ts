/**
 * `schakel reencrypt` on the SQLite store: one batch of rows not under the current key sealed again (rows
 * stored before encryption sealed for the first time, with their BSN index). Runs inside a store write.
 */
import type Database from 'better-sqlite3';
import { BodyKeyMissingError } from '../../security/body-cipher.ts';
import { type ResealRow, type RowSealer, reseal, resealAnswer } from '../sealing.ts';
import type { ResealBatch } from '../types.ts';

function missing(batch: ResealBatch, e: unknown): void {
  if (!(e instanceof BodyKeyMissingError)) throw e;
  batch.missingKeys[e.keyId] = (batch.missingKeys[e.keyId] ?? 0) + 1;
}

export function resealMessages(
  db: Database.Database,
  sealer: RowSealer,
  limit: number,
  after: string | null,
): ResealBatch {
  const rows = db
    .prepare<[string, string, number], ResealRow>(
      `SELECT m.id, b.body, m.body_key, m.findings FROM messages m LEFT JOIN message_bodies b ON b.message_id = m.id
       WHERE m.id > ? AND (b.body IS NOT NULL OR m.findings <> '[]') AND (m.body_key IS NULL OR m.body_key <> ?)
       ORDER BY m.id LIMIT ?`,
    )
    .all(after ?? '', sealer.cipher.current, Math.max(1, limit));
  const update = db.prepare<[string, string, string, string | null]>(
    'UPDATE messages SET body_key = ?, findings = ? WHERE id = ? AND body_key IS ?',
  );
  const updateBody = db.prepare<[Buffer, string]>('UPDATE message_bodies SET body = ? WHERE message_id = ?');
  const index = db.prepare<[string, string]>('INSERT OR IGNORE INTO bsn_index (bsn_hash, message_id) VALUES (?, ?)');
  const batch: ResealBatch = { rows: 0, indexed: 0, missingKeys: {}, after: rows.at(-1)?.id ?? null };
  for (const r of rows) {
    try {
      const done = reseal(sealer, r);
      const changed = update.run(done.bodyKey, done.findings, r.id, r.body_key).changes === 1;
      if (changed && done.body !== null) updateBody.run(done.body, r.id);
      batch.rows++;
      if (done.bsnHashes) {
        for (const h of done.bsnHashes) index.run(h, r.id);
        batch.indexed++;
      }
    } catch (e) {
      missing(batch, e);
    }
  }
  return batch;
}

export function resealAnswers(
  db: Database.Database,
  sealer: RowSealer,
  limit: number,
  after: string | null,
): ResealBatch {
  const rows = db
    .prepare<[number, string, number], { id: number; message_id: string; answer_excerpt: string }>(
      `SELECT id, message_id, answer_excerpt FROM delivery_attempts
       WHERE id > ? AND answer_excerpt IS NOT NULL AND (answer_key IS NULL OR answer_key <> ?)
       ORDER BY id LIMIT ?`,
    )
    .all(after === null ? 0 : Number(after), sealer.cipher.current, Math.max(1, limit));
  const update = db.prepare<[string, string, number]>(
    'UPDATE delivery_attempts SET answer_excerpt = ?, answer_key = ? WHERE id = ?',
  );
  const batch: ResealBatch = { rows: 0, indexed: 0, missingKeys: {}, after: rows.at(-1)?.id.toString() ?? null };
  for (const r of rows) {
    try {
      update.run(resealAnswer(sealer, r.message_id, r.answer_excerpt), sealer.cipher.current, r.id);
      batch.rows++;
    } catch (e) {
      missing(batch, e);
    }
  }
  return batch;
}
