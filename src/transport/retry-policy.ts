import type { RetryConfig } from '../config/schema.ts';
import type { NextStep } from '../store/types.ts';
import type { DeliveryOutcome } from './adapter.ts';
import { backoffDelay } from './backoff.ts';

/**
 * What follows an attempt: delivered and failed are final; a retry is scheduled with backoff (or later, when
 * the receiver's Retry-After asks for it, up to maxDelayMs) until `attempt` reaches maxAttempts, then dead.
 */
export function decideNextStep(
  attempt: number,
  outcome: DeliveryOutcome,
  retry: RetryConfig,
  now: number,
  random: () => number = Math.random,
): NextStep {
  if (outcome.kind === 'delivered') return { kind: 'delivered' };
  if (outcome.kind === 'failed') return { kind: 'failed' };
  if (attempt >= retry.maxAttempts) return { kind: 'dead' };
  const asked = Math.min(outcome.retryAfterMs ?? 0, retry.maxDelayMs);
  return { kind: 'retry', at: new Date(now + Math.max(backoffDelay(attempt, retry, random), asked)) };
}
