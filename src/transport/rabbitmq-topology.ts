import type { Channel } from 'amqplib';
import type { RetryConfig } from '../config/schema.ts';

/**
 * The RabbitMQ objects of one Schakel installation (all names start with the configured prefix `p`):
 *
 * - `p.deliver` (direct exchange, alternate exchange `p.unrouted`): routing key = destination id.
 * - `p.q.<destination>` (quorum queue): the work queue of one destination, bound to `p.deliver`; consumers on
 *   every instance take from it. `x-delivery-limit` dead-letters a message redelivered that often (a consumer
 *   kept dying on it) to `p.dead`, at least once (`x-dead-letter-strategy`, which needs `x-overflow:
 *   reject-publish`).
 * - `p.unrouted` (fanout exchange + quorum queue): deliveries for a destination without a queue (not configured);
 *   consumers record them as failed ("unknown destination"), as the embedded transport does.
 * - `p.delay` (headers exchange) and `p.delay.<ms>` (quorum queues with `x-message-ttl` = ms): a retry waits in
 *   the smallest level at least as long as its delay, with the exact delay as per-message expiration, and is then
 *   dead-lettered (at least once) to `p.deliver` under its original routing key, the destination: back in its
 *   work queue. Levels follow the backoff (base·2^k, capped); a queue's name carries its TTL, so a change of the
 *   retry settings adds queues instead of conflicting with existing ones.
 * - `p.dead` (fanout exchange + quorum queue): dead-lettered deliveries; consumers record the message as dead.
 */
export interface Topology {
  prefix: string;
  deliverExchange: string;
  delayExchange: string;
  deadExchange: string;
  unroutedExchange: string;
  unroutedQueue: string;
  deadQueue: string;
  workQueue(destination: string): string;
  delayQueue(ms: number): string;
  /** Delay queue TTLs, ascending. */
  levels: readonly number[];
  deliveryLimit: number;
}

/** The header that selects a delay level on `p.delay`. */
export const DELAY_HEADER = 'schakel-delay';

export function topology(
  prefix: string,
  retry: Pick<RetryConfig, 'baseDelayMs' | 'maxDelayMs'>,
  deliveryLimit: number,
): Topology {
  return {
    prefix,
    deliverExchange: `${prefix}.deliver`,
    delayExchange: `${prefix}.delay`,
    deadExchange: `${prefix}.dead`,
    unroutedExchange: `${prefix}.unrouted`,
    unroutedQueue: `${prefix}.unrouted`,
    deadQueue: `${prefix}.dead`,
    workQueue: (destination) => `${prefix}.q.${destination}`,
    delayQueue: (ms) => `${prefix}.delay.${ms}`,
    levels: delayLevels(retry),
    deliveryLimit,
  };
}

/** base, 2·base, 4·base … below maxDelayMs, then maxDelayMs: every backoff delay fits the level above it. */
export function delayLevels(retry: Pick<RetryConfig, 'baseDelayMs' | 'maxDelayMs'>): number[] {
  const levels: number[] = [];
  for (let ms = retry.baseDelayMs; ms < retry.maxDelayMs; ms *= 2) levels.push(ms);
  levels.push(retry.maxDelayMs);
  return levels;
}

/** The delay queue for a wait of `delayMs`: the smallest level at least that long (the largest when none is). */
export function levelFor(levels: readonly number[], delayMs: number): number {
  return levels.find((l) => l >= delayMs) ?? levels.at(-1)!;
}

const QUORUM = { 'x-queue-type': 'quorum' } as const;
const AT_LEAST_ONCE = { 'x-dead-letter-strategy': 'at-least-once', 'x-overflow': 'reject-publish' } as const;

/** Declares everything (idempotent; run on every connect). */
export async function assertTopology(ch: Channel, t: Topology, destinations: readonly string[]): Promise<void> {
  await ch.assertExchange(t.unroutedExchange, 'fanout', { durable: true });
  await ch.assertExchange(t.deliverExchange, 'direct', { durable: true, alternateExchange: t.unroutedExchange });
  await ch.assertExchange(t.delayExchange, 'headers', { durable: true });
  await ch.assertExchange(t.deadExchange, 'fanout', { durable: true });

  await ch.assertQueue(t.deadQueue, { durable: true, arguments: { ...QUORUM } });
  await ch.bindQueue(t.deadQueue, t.deadExchange, '');
  await ch.assertQueue(t.unroutedQueue, { durable: true, arguments: workQueueArguments(t) });
  await ch.bindQueue(t.unroutedQueue, t.unroutedExchange, '');
  for (const d of destinations) {
    await ch.assertQueue(t.workQueue(d), { durable: true, arguments: workQueueArguments(t) });
    await ch.bindQueue(t.workQueue(d), t.deliverExchange, d);
  }
  for (const ms of t.levels) {
    await ch.assertQueue(t.delayQueue(ms), {
      durable: true,
      arguments: { ...QUORUM, ...AT_LEAST_ONCE, 'x-message-ttl': ms, 'x-dead-letter-exchange': t.deliverExchange },
    });
    await ch.bindQueue(t.delayQueue(ms), t.delayExchange, '', { 'x-match': 'all', [DELAY_HEADER]: String(ms) });
  }
}

function workQueueArguments(t: Topology): Record<string, unknown> {
  return { ...QUORUM, ...AT_LEAST_ONCE, 'x-delivery-limit': t.deliveryLimit, 'x-dead-letter-exchange': t.deadExchange };
}

/** Removes everything `assertTopology` declared (tests; a decommissioned installation). */
export async function deleteTopology(ch: Channel, t: Topology, destinations: readonly string[]): Promise<void> {
  for (const q of [t.deadQueue, t.unroutedQueue, ...destinations.map(t.workQueue), ...t.levels.map(t.delayQueue)]) {
    await ch.deleteQueue(q);
  }
  for (const x of [t.deliverExchange, t.delayExchange, t.deadExchange, t.unroutedExchange]) await ch.deleteExchange(x);
}
