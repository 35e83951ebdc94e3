import { randomFillSync } from 'node:crypto';
import { drawUnredacted } from '../security/redact.ts';

/**
 * A new message id: a UUID version 7 (RFC 9562), the millisecond of its creation followed by 74 random bits. Ids
 * of messages received one after another sort next to each other, so every index keyed on a message id (the
 * messages' primary key, bodies, outbox, history, attempts) grows at its right edge: an insert dirties the same
 * few pages as the one before it instead of a random page per index, which is what a commit writes to the WAL.
 * The random part keeps an id as unguessable as a version 4 UUID for everyone who does not already know it.
 * Where a UUID v4 must name the message (the GGK envelope's referentienummer), src/stuf/ggk-referentienummer.ts
 * maps the id to one and back.
 */
export function newMessageId(now: number = Date.now()): string {
  // Logs and views mask a nine-digit run as a BSN; an id that held one would not be the id they show.
  return drawUnredacted(() => drawMessageId(now));
}

function drawMessageId(now: number): string {
  if (offset + 10 > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const r = pool.subarray(offset, offset + 10);
  offset += 10;
  const ms = now.toString(16).padStart(12, '0');
  const hex = (from: number, to: number) => {
    let s = '';
    for (let i = from; i < to; i++) s += HEX[r[i]!];
    return s;
  };
  // version 7 in the high nibble of rand_a, variant 10 in the two high bits of rand_b
  const randA = `7${HEX[r[0]!]!.slice(1)}${HEX[r[1]!]}`;
  const randB = `${HEX[(r[2]! & 0x3f) | 0x80]}${hex(3, 4)}`;
  return `${ms.slice(0, 8)}-${ms.slice(8, 12)}-${randA}-${randB}-${hex(4, 10)}`;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const pool = Buffer.alloc(4096);
let offset = pool.length;
