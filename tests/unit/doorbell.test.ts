import { describe, expect, it } from 'vitest';
import { Doorbell } from '../../src/transport/doorbell.ts';

describe('doorbell', () => {
  it('ends a sleep early when it rings, and keeps a ring that came before the sleep until cleared', async () => {
    const bell = new Doorbell();
    const started = Date.now();
    const sleeping = bell.sleep(60_000, () => false);
    bell.ring();
    await sleeping;
    expect(Date.now() - started).toBeLessThan(60_000);
    // Rung before the next sleep: that sleep does not wait at all.
    expect(bell.ringing).toBe(true);
    await bell.sleep(60_000, () => false);
    bell.clear();
    expect(bell.ringing).toBe(false);
    // Not rung, not stopped: a short sleep runs its time; stopped: no wait.
    await bell.sleep(5, () => false);
    await bell.sleep(60_000, () => true);
  });
});
