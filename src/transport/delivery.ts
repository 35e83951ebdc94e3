import type { DestinationConfig, RetryConfig } from '../config/schema.ts';
import type { Logger } from '../log.ts';
import type { AttemptReport, CompleteResult, DeliveryOutbox, Lease, NextStep } from '../store/types.ts';
import type { AdapterLookup, ClientTls, DeliveryOutcome } from './adapter.ts';
import { deadline, type SharedDeadlines } from './deadline.ts';
import { decideNextStep } from './retry-policy.ts';

/** What one delivery needs; the embedded and the RabbitMQ transport both deliver a lease through `deliverLease`. */
export interface DeliveryContext {
  store: DeliveryOutbox;
  adapters: AdapterLookup;
  destinations: ReadonlyMap<string, DestinationConfig>;
  retry: RetryConfig;
  /** The lease length: an attempt is aborted a margin before its lease runs out. */
  leaseMs: number;
  clock: () => number;
  random: () => number;
  /** Aborts attempts in flight (forced stop); an aborted attempt is handed back uncounted. */
  shutdown: AbortSignal;
  log: Logger;
  /** Wraps the store call that records the outcome (the broker transport retries it while the store is away). */
  record?: <T>(op: () => Promise<T>) => Promise<T>;
  /** Each destination's certificate profile; without it adapters connect with Node's defaults. */
  tls?: DeliveryTls;
  /**
   * Lease deadlines shared by the attempts whose leases end together (over `shutdown`); without it each attempt
   * makes its own.
   */
  deadlines?: SharedDeadlines;
}

/** The TLS side of deliveries: what a destination connects with, and what its connections showed. */
export interface DeliveryTls {
  /** The destination's client certificate (none without a profile), or why its profile cannot be used now. */
  resolve(destination: DestinationConfig): { kind: 'ok'; tls?: ClientTls } | { kind: 'unusable'; reason: string };
  /** Every attempt's outcome: a refused handshake marks the destination unhealthy, a delivery clears it. */
  observe(destination: string, outcome: DeliveryOutcome): void;
}

export type DeliveryResult =
  /** Interrupted by a forced stop: the lease was handed back, no attempt counted. */
  { kind: 'released' } | { kind: 'recorded' | 'lease-lost'; next: NextStep };

/** One attempt of a leased delivery, not yet recorded. */
export interface Attempted {
  outcome: DeliveryOutcome;
  startedAt: Date;
  finishedAt: Date;
}

/**
 * One delivery of a leased message: the destination's adapter, then the attempt and the next step (retry with
 * backoff, delivered, failed, dead) recorded in one store transaction. Throws only when recording fails; the
 * lease then runs out and the delivery is made again (at least once).
 */
export async function deliverLease(ctx: DeliveryContext, lease: Lease): Promise<DeliveryResult> {
  return recordAttempt(ctx, lease, await attemptLease(ctx, lease));
}

/** The adapter's attempt at a leased delivery (never throws); `recordAttempt` records it. */
export async function attemptLease(ctx: DeliveryContext, lease: Lease): Promise<Attempted> {
  const startedAt = new Date(ctx.clock());
  const outcome = await attempt(ctx, lease);
  return { outcome, startedAt, finishedAt: new Date(ctx.clock()) };
}

/**
 * Records an attempt and the next step it leads to in one store transaction, or, when a forced stop interrupted
 * it, hands the lease back uncounted. Throws only when recording fails.
 */
export async function recordAttempt(ctx: DeliveryContext, lease: Lease, attempted: Attempted): Promise<DeliveryResult> {
  const { outcome, startedAt, finishedAt } = attempted;
  const { record, store } = ctx;

  if (outcome.kind === 'retry' && ctx.shutdown.aborted) {
    await (record ? record(() => store.releaseLease(lease)) : store.releaseLease(lease));
    deliveryLog(ctx, lease).info('delivery interrupted by shutdown; handed back uncounted');
    return { kind: 'released' };
  }

  ctx.tls?.observe(lease.destination, outcome);
  const next = decideNextStep(lease.attempt, outcome, ctx.retry, finishedAt.getTime(), ctx.random);
  const report: AttemptReport = {
    startedAt,
    finishedAt,
    outcome: outcome.kind,
    httpStatus: outcome.status ?? null,
    reason: outcome.kind === 'delivered' ? null : outcome.reason,
    answer: outcome.answer ?? null,
  };
  const result: CompleteResult = await (record
    ? record(() => store.completeDelivery(lease, report, next))
    : store.completeDelivery(lease, report, next));
  if (result.kind === 'recorded' && next.kind === 'delivered' && !ctx.log.isLevelEnabled('info')) {
    return { kind: result.kind, next };
  }
  const fields = {
    outcome: outcome.kind,
    httpStatus: outcome.status,
    reason: outcome.kind === 'delivered' ? undefined : outcome.reason,
    ...(outcome.kind === 'delivered' && outcome.peerOin !== undefined ? { receiverOin: outcome.peerOin } : {}),
    ...(outcome.kind === 'retry' && outcome.tlsRefused ? { tlsRefused: true } : {}),
    next: next.kind,
    ...(next.kind === 'retry' ? { nextAttemptAt: next.at.toISOString() } : {}),
  };
  // The delivery's log fields are only put together when a line is written (a delivered message at info level).
  const log = deliveryLog(ctx, lease);
  if (result.kind === 'lease-lost') log.warn(fields, 'delivery finished after its lease was lost');
  else if (next.kind === 'delivered') log.info(fields, 'delivered');
  else if (next.kind === 'retry') log.warn(fields, 'delivery failed; will retry');
  else log.error(fields, next.kind === 'dead' ? 'delivery gave up: message is dead' : 'delivery failed permanently');
  return { kind: result.kind, next };
}

function deliveryLog(ctx: DeliveryContext, lease: Lease): Logger {
  return ctx.log.child({
    messageId: lease.messageId,
    message: lease.message.messageName,
    destination: lease.destination,
    attempt: lease.attempt,
  });
}

async function attempt(ctx: DeliveryContext, lease: Lease): Promise<DeliveryOutcome> {
  const destination = ctx.destinations.get(lease.destination);
  if (!destination) return { kind: 'failed', reason: `unknown destination "${lease.destination}"` };
  const adapter = ctx.adapters.get(destination.adapter);
  if (!adapter) return { kind: 'failed', reason: `no "${destination.adapter}" adapter available` };
  const body = lease.message.body;
  if (!body) return { kind: 'failed', reason: 'the message body is no longer stored' };
  const tls = ctx.tls?.resolve(destination) ?? { kind: 'ok' as const };
  // A profile that cannot be used (files broken, certificate expired) stops only this destination; no connection is tried.
  if (tls.kind === 'unusable')
    return { kind: 'retry', reason: `TLS profile unusable: ${tls.reason}`, tlsRefused: true };

  // Aborted a margin before the lease runs out (and on a forced stop).
  const margin = Math.min(1000, Math.floor(ctx.leaseMs / 10));
  const at = lease.leaseUntil.getTime() - margin;
  const shared = ctx.deadlines;
  const own = shared ? undefined : deadline(ctx.shutdown, Math.max(1, at - ctx.clock()));
  const signal = shared ? shared.acquire(at) : own!.signal;
  try {
    // `attempt` before the spread: a field added after a spread makes V8 build a dictionary object (issue #17).
    return await adapter.deliver({ attempt: lease.attempt, ...lease.message, body }, destination, signal, tls.tls);
  } catch (err) {
    return { kind: 'retry', reason: `adapter error: ${err instanceof Error ? err.message : String(err)}` };
  } finally {
    if (shared) shared.release(at);
    else own!.dispose();
  }
}
