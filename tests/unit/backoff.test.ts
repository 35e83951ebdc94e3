import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../src/transport/backoff.ts';
import { decideNextStep } from '../../src/transport/retry-policy.ts';

const policy = { baseDelayMs: 1000, maxDelayMs: 60_000, jitter: 0 };
const retry = { ...policy, maxAttempts: 4 };

describe('backoffDelay', () => {
  it('doubles from the base delay', () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, policy))).toEqual([1000, 2000, 4000, 8000, 16_000]);
  });

  it('is capped at maxDelayMs, also for absurd attempt numbers', () => {
    expect(backoffDelay(7, policy)).toBe(60_000);
    expect(backoffDelay(5000, policy)).toBe(60_000);
  });

  it('takes at most `jitter` of the delay off at random', () => {
    const jittered = { ...policy, jitter: 0.25 };
    expect(backoffDelay(3, jittered, () => 0)).toBe(4000);
    expect(backoffDelay(3, jittered, () => 1)).toBe(3000);
    expect(backoffDelay(3, jittered, () => 0.5)).toBe(3500);
    expect(backoffDelay(10, jittered, () => 0)).toBe(60_000);
  });

  it('keeps growing with jitter below one half', () => {
    const jittered = { ...policy, maxDelayMs: 1e9, jitter: 0.45 };
    for (let n = 1; n < 20; n++) {
      expect(backoffDelay(n + 1, jittered, () => 1)).toBeGreaterThan(backoffDelay(n, jittered, () => 0));
    }
  });
});

describe('decideNextStep', () => {
  const now = 1_000_000;

  it('ends on delivered and failed', () => {
    expect(decideNextStep(1, { kind: 'delivered' }, retry, now)).toEqual({ kind: 'delivered' });
    expect(decideNextStep(1, { kind: 'failed', reason: 'HTTP 400' }, retry, now)).toEqual({ kind: 'failed' });
  });

  it('retries with backoff until maxAttempts, then dead', () => {
    const r = { kind: 'retry', reason: 'HTTP 503' } as const;
    expect(decideNextStep(1, r, retry, now)).toEqual({ kind: 'retry', at: new Date(now + 1000) });
    expect(decideNextStep(3, r, retry, now)).toEqual({ kind: 'retry', at: new Date(now + 4000) });
    expect(decideNextStep(4, r, retry, now)).toEqual({ kind: 'dead' });
  });

  it('waits as long as Retry-After asks, but no longer than maxDelayMs', () => {
    const r = (retryAfterMs: number) => ({ kind: 'retry', reason: 'HTTP 429', retryAfterMs }) as const;
    expect(decideNextStep(1, r(30_000), retry, now)).toEqual({ kind: 'retry', at: new Date(now + 30_000) });
    expect(decideNextStep(1, r(10), retry, now)).toEqual({ kind: 'retry', at: new Date(now + 1000) });
    expect(decideNextStep(1, r(86_400_000), retry, now)).toEqual({ kind: 'retry', at: new Date(now + 60_000) });
  });
});
