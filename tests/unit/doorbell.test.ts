import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Doorbell } from '../../src/transport/doorbell.ts';

/** Whether `p` has settled, without letting any (fake) time pass. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true));
  for (let i = 0; i < 5; i++) await Promise.resolve();
  return done;
}

describe('doorbell', () => {
  // Fake timers: a sleep ends only by a ring or by time the test moves on, never by the machine's speed.
  beforeEach(() => void vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] }));
  afterEach(() => void vi.useRealTimers());

  it('ends a sleep early when it rings, and keeps a ring that came before the sleep until cleared', async () => {
    const bell = new Doorbell();
    const sleeping = bell.sleep(60_000, () => false);
    expect(await settled(sleeping)).toBe(false);
    bell.ring();
    expect(await settled(sleeping)).toBe(true);
    // Rung before the next sleep: that sleep does not wait at all.
    expect(bell.ringing).toBe(true);
    expect(await settled(bell.sleep(60_000, () => false))).toBe(true);
    bell.clear();
    expect(bell.ringing).toBe(false);
    // Not rung, not stopped: a sleep runs its time, and no longer.
    const short = bell.sleep(5, () => false);
    vi.advanceTimersByTime(4);
    expect(await settled(short)).toBe(false);
    vi.advanceTimersByTime(1);
    expect(await settled(short)).toBe(true);
    // Stopped: no wait.
    expect(await settled(bell.sleep(60_000, () => true))).toBe(true);
  });
});
