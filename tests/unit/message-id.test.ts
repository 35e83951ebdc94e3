/** Message ids: UUID v7, ordered by the millisecond of creation; the GGK referentienummer made from one and back. */
import { describe, expect, it } from 'vitest';
import { redactBsn } from '../../src/security/redact.ts';
import { newMessageId } from '../../src/store/message-id.ts';
import { ggkReferentienummer, messageIdsOf } from '../../src/stuf/ggk-referentienummer.ts';
import { isUuidV4 } from '../../src/stuf/stuurgegevens.ts';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('newMessageId', () => {
  it('is a UUID version 7 (RFC 9562) carrying the millisecond it was made', () => {
    const at = Date.UTC(2026, 11, 3, 4, 30, 0, 123);
    const id = newMessageId(at);
    expect(id).toMatch(UUID_V7);
    expect(Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(at);
  });

  it('sorts ids of later milliseconds after earlier ones, as text', () => {
    const ids = [0, 1, 2, 1000, 86_400_000].map((d) => newMessageId(1_796_000_000_000 + d));
    expect([...ids].sort()).toEqual(ids);
  });

  it('never holds a nine-digit run, which logs and views would mask as a BSN (10,000 ids)', () => {
    // Without the redraw about 1.5 % of ids did (their last group is twelve random hex digits).
    for (let i = 0; i < 10_000; i++) {
      const id = newMessageId(1_796_000_000_000);
      expect(redactBsn(id), id).toBe(id);
    }
  });

  it('differs in its random part between ids of the same millisecond (no repeats in 100,000)', () => {
    const ids = new Set(Array.from({ length: 100_000 }, () => newMessageId(1_796_000_000_000)));
    expect(ids.size).toBe(100_000);
    for (const id of [...ids].slice(0, 1000)) expect(id).toMatch(UUID_V7);
  });
});

describe('ggkReferentienummer of a message id', () => {
  it('is a UUID v4 (IB009) that leads back to the id, for ids of one millisecond and of many', () => {
    const ids = [
      ...Array.from({ length: 2000 }, () => newMessageId(1_796_000_000_000)),
      ...Array.from({ length: 2000 }, (_, i) => newMessageId(1_796_000_000_000 + i * 7919)),
      newMessageId(0),
      newMessageId(2 ** 48 - 1),
    ];
    const refs = new Set<string>();
    for (const id of ids) {
      const ref = ggkReferentienummer(id);
      expect(isUuidV4(ref), ref).toBe(true);
      expect(ggkReferentienummer(id)).toBe(ref);
      expect(messageIdsOf(ref)[0]).toBe(id);
      refs.add(ref);
    }
    expect(refs.size).toBe(ids.length);
  });

  it('does not keep the time order of the ids (consecutive ids give unrelated referentienummers)', () => {
    const a = ggkReferentienummer(newMessageId(1_796_000_000_000));
    const b = ggkReferentienummer(newMessageId(1_796_000_000_001));
    expect(a.slice(0, 8)).not.toBe(b.slice(0, 8));
  });

  it('keeps a UUID v4 id (stored before ids were v7) as it is, and offers it back as a candidate', () => {
    const old = '3f2b8c1e-9d4a-4b7e-8c21-5a6f0e9d1b2c';
    expect(ggkReferentienummer(old)).toBe(old);
    expect(messageIdsOf(old)).toContain(old);
  });

  it('stands for no message id when it is not a UUID v4', () => {
    expect(messageIdsOf('not-a-uuid')).toEqual([]);
    expect(messageIdsOf(newMessageId())).toEqual([]);
  });
});
