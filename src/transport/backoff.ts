export interface BackoffPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
  /** 0..1: the share of the delay that may be taken off at random, so retries of many messages spread out. */
  jitter: number;
}

/**
 * The wait after the `failedAttempts`-th failed try (1, 2, …): baseDelayMs·2^(failedAttempts−1), capped at
 * maxDelayMs, less a random part of at most `jitter` of it. Never above maxDelayMs, never negative.
 */
export function backoffDelay(
  failedAttempts: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const exponential = policy.baseDelayMs * 2 ** Math.max(0, failedAttempts - 1);
  const capped = Math.min(exponential, policy.maxDelayMs);
  const r = Math.min(1, Math.max(0, random()));
  return Math.max(0, Math.round(capped * (1 - policy.jitter * r)));
}
