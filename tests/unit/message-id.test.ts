/** Message ids: UUID version 7, ordered by the millisecond of creation, random after it. */
import { describe, expect, it } from 'vitest';
import { newMessageId } from '../../src/store/message-id.ts';

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

  it('differs in its random part between ids of the same millisecond (no repeats in 100,000)', () => {
    const ids = new Set(Array.from({ length: 100_000 }, () => newMessageId(1_796_000_000_000)));
    expect(ids.size).toBe(100_000);
    for (const id of [...ids].slice(0, 1000)) expect(id).toMatch(UUID_V7);
  });
});
