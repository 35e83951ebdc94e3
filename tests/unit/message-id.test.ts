/** Message ids: random UUID v4, usable as the GGK envelope's referentienummer as they are. */
import { describe, expect, it } from 'vitest';
import { ggkReferentienummer } from '../../adapters/ggk/referentienummer.ts';
import { newMessageId } from '../../src/store/message-id.ts';
import { isUuidV4 } from '../../src/stuf/stuurgegevens.ts';

describe('newMessageId', () => {
  it('is a UUID v4 in lower case, so the GGK referentienummer is the id itself (IB009)', () => {
    for (let i = 0; i < 1000; i++) {
      const id = newMessageId();
      expect(isUuidV4(id)).toBe(true);
      expect(ggkReferentienummer(id)).toBe(id);
    }
  });

  it('does not repeat (100,000 ids)', () => {
    const ids = new Set(Array.from({ length: 100_000 }, () => newMessageId()));
    expect(ids.size).toBe(100_000);
  });
});
