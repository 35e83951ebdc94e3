/**
 * Rate limits of the HTTP surface: a token bucket per authenticated caller / inbound party (so one runaway
 * system cannot take the gateway from the others), and one per client IP that is drained by failed
 * authentications (so keys and beheer passwords cannot be guessed at speed). Both answer 429 RATE_LIMITED
 * with Retry-After. Health probes are never limited.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { sendError } from './errors.ts';
import type { SharedFailureBudget } from './shared-failures.ts';

/** `server.rateLimit` in the configuration. */
export interface RateLimitConfig {
  /** Requests per second one caller or inbound party may make, sustained. */
  perSecond: number;
  /** Requests it may make at once above that (the bucket's size). */
  burst: number;
  /** Failed authentications (401) per minute one client IP may cause, sustained. */
  failuresPerMinute: number;
  /** Failed authentications it may cause at once; then its requests get 429 until the bucket refills. */
  failureBurst: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export interface Rate {
  /** Tokens added per millisecond. */
  perMs: number;
  /** Most tokens a bucket holds (and holds at first). */
  capacity: number;
}

/**
 * Token buckets by key, refilled continuously. Memory is bounded: buckets that are full again hold no
 * information and are dropped on a sweep, and beyond `maxKeys` the least recently used go first.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  private lastSweep: number;

  constructor(
    private readonly now: () => number = () => performance.now(),
    private readonly maxKeys = 100_000,
    private readonly sweepEveryMs = 60_000,
  ) {
    this.lastSweep = now();
  }

  /** Takes a token: 0 when one was taken, else the milliseconds until one will be there (nothing is taken). */
  take(key: string, rate: Rate): number {
    const b = this.refill(key, rate);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return msUntilToken(b.tokens, rate);
  }

  /** Milliseconds until a token is there (0: there is one now); takes nothing. */
  waitMs(key: string, rate: Rate): number {
    const b = this.buckets.get(key);
    if (!b) return 0;
    const tokens = Math.min(rate.capacity, b.tokens + (this.now() - b.at) * rate.perMs);
    return tokens >= 1 ? 0 : msUntilToken(tokens, rate);
  }

  /** Takes a token even when that leaves the bucket empty (counting an event that already happened). */
  drain(key: string, rate: Rate): void {
    const b = this.refill(key, rate);
    b.tokens = Math.max(0, b.tokens - 1);
  }

  /** Gives a token back (a reservation that turned out not to be needed); never above the capacity. */
  refund(key: string, rate: Rate): void {
    const b = this.refill(key, rate);
    b.tokens = Math.min(rate.capacity, b.tokens + 1);
  }

  get size(): number {
    return this.buckets.size;
  }

  private refill(key: string, rate: Rate): Bucket {
    const now = this.now();
    if (now - this.lastSweep >= this.sweepEveryMs || this.buckets.size >= this.maxKeys) this.sweep(rate, now);
    let b = this.buckets.get(key);
    if (b) {
      b.tokens = Math.min(rate.capacity, b.tokens + (now - b.at) * rate.perMs);
      b.at = now;
      this.buckets.delete(key); // re-inserted below: the map's order is least recently used first
    } else {
      b = { tokens: rate.capacity, at: now };
    }
    this.buckets.set(key, b);
    return b;
  }

  private sweep(rate: Rate, now: number): void {
    this.lastSweep = now;
    for (const [k, b] of this.buckets) {
      if (b.tokens + (now - b.at) * rate.perMs >= rate.capacity) this.buckets.delete(k);
    }
    for (const k of this.buckets.keys()) {
      if (this.buckets.size < this.maxKeys) break;
      this.buckets.delete(k);
    }
  }
}

/** Milliseconds until a bucket holding `tokens` has a whole one (rounding noise of the refill ignored). */
function msUntilToken(tokens: number, rate: Rate): number {
  return Math.max(1, Math.ceil((1 - tokens) / rate.perMs - 1e-6));
}

/** The failed-authentication rate of a configuration (also the shared budget's, shared-failures.ts). */
export function failureRateOf(c: RateLimitConfig): Rate {
  return { perMs: c.failuresPerMinute / 60_000, capacity: c.failureBurst };
}

/** Paths that are never limited: load balancers and orchestrators probe them without credentials. */
const UNLIMITED = new Set(['/healthz', '/readyz']);

export class RateLimiter {
  private readonly holders: TokenBuckets;
  private readonly failures: TokenBuckets;

  constructor(
    private readonly config: () => RateLimitConfig,
    now: () => number = () => performance.now(),
    /** The failure budget shared with the other instances on the store (shared-failures.ts), if any. */
    private readonly shared?: Pick<SharedFailureBudget, 'waitMs' | 'failed'>,
  ) {
    this.holders = new TokenBuckets(now);
    this.failures = new TokenBuckets(now);
  }

  /** The rates of the configuration as it was last read; made again only when one of its numbers changed. */
  private rates: { of: RateLimitConfig; failure: Rate; holder: Rate } | undefined;

  private ratesNow(): { failure: Rate; holder: Rate } {
    const c = this.config();
    const r = this.rates;
    if (
      r &&
      r.of.perSecond === c.perSecond &&
      r.of.burst === c.burst &&
      r.of.failuresPerMinute === c.failuresPerMinute &&
      r.of.failureBurst === c.failureBurst
    )
      return r;
    const of = {
      perSecond: c.perSecond,
      burst: c.burst,
      failuresPerMinute: c.failuresPerMinute,
      failureBurst: c.failureBurst,
    };
    this.rates = { of, failure: failureRateOf(of), holder: { perMs: of.perSecond / 1000, capacity: of.burst } };
    return this.rates;
  }

  private readonly failureRate = (): Rate => this.ratesNow().failure;

  private holderRate(): Rate {
    return this.ratesNow().holder;
  }

  /**
   * Middleware for every request: a client IP that used up its failed-authentication budget gets 429 before
   * any key or password is looked at; every 401 answered to an IP takes from its budget. The request gets a
   * FailureCharge in res.locals.failureCharge: a password check reserves its token with it before it starts,
   * so concurrent attempts can never exceed the burst.
   */
  readonly guardFailures = (req: Request, res: Response, next: NextFunction): void => {
    if (UNLIMITED.has(req.path)) return next();
    const ip = clientIp(req);
    const wait = Math.max(this.failures.waitMs(ip, this.failureRate()), this.shared?.waitMs(ip) ?? 0);
    if (wait > 0) return this.refuseAddress(res, ip, wait);
    const charge = new FailureCharge(this.failures, ip, this.failureRate, this.shared);
    res.locals.failureCharge = charge;
    res.on('finish', () => charge.settle(res.statusCode)); // a response finishes once
    next();
  };

  /** 429 for a client address over its failed-authentication budget, with a warning naming the address. */
  refuseAddress(res: Response, ip: string, waitMs: number): void {
    (res.locals.log as Logger | undefined)?.warn(
      { clientAddress: ip, retryAfterMs: Math.ceil(waitMs) },
      'client address over its failed-authentication budget',
    );
    tooMany(res, waitMs, 'too many failed authentications from this address');
  }

  /**
   * Wraps an authentication middleware that stores the key holder in res.locals[slot]: once it lets the
   * request in, the holder takes a token from its own bucket, or the request gets 429.
   */
  perHolder(authenticate: RequestHandler, slot: string): RequestHandler {
    return (req, res, next) => {
      void authenticate(req, res, (err?: unknown) => {
        if (err) return next(err);
        const holder = res.locals[slot] as { id?: string; party?: string } | undefined;
        const id = holder?.id ?? holder?.party;
        if (id === undefined) return next();
        const wait = this.holders.take(`${slot}:${id}`, this.holderRate());
        if (wait > 0)
          return tooMany(
            res,
            wait,
            `${slot} "${id}" is over its rate limit of ${this.config().perSecond} requests per second`,
          );
        next();
      });
      // A key check answers 401 synchronously: count it now, not when the answer has been written, so a burst of
      // guesses on parallel connections cannot all pass the budget check before the first one is counted.
      if (res.headersSent && res.statusCode === 401) (res.locals.failureCharge as FailureCharge | undefined)?.fail();
    };
  }
}

/**
 * One request's share of its client address's failed-authentication budget. Either reserved up front
 * (`reserve`, for checks that take time, like a password) or counted when a 401 is answered; a reservation
 * is given back when the request did not fail.
 */
export class FailureCharge {
  private state: 'none' | 'reserved' | 'failed' = 'none';
  private reported = false;

  constructor(
    private readonly buckets: TokenBuckets,
    readonly clientAddress: string,
    private readonly rate: () => Rate,
    /** Told of the failure once (the budget shared by the instances); the request does not wait for it. */
    private readonly shared?: Pick<SharedFailureBudget, 'failed'>,
  ) {}

  /** Takes a token now: 0 when taken, else the milliseconds until one is there (nothing is taken). */
  reserve(): number {
    if (this.state !== 'none') return 0;
    const wait = this.buckets.take(this.clientAddress, this.rate());
    if (wait === 0) this.state = 'reserved';
    return wait;
  }

  /** The attempt failed: the token stays taken (or is taken now). */
  fail(): void {
    if (this.state === 'none') this.buckets.drain(this.clientAddress, this.rate());
    this.state = 'failed';
    if (this.shared && !this.reported) {
      this.reported = true;
      void this.shared.failed(this.clientAddress);
    }
  }

  /** When the answer is sent: a 401 counts as a failure; a reservation for a request that did not fail returns. */
  settle(status: number): void {
    if (status === 401) return this.fail();
    if (this.state === 'reserved') this.buckets.refund(this.clientAddress, this.rate());
    this.state = 'failed';
  }
}

function clientIp(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}

export function tooMany(res: Response, waitMs: number, why: string): void {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  res.set('Retry-After', String(seconds));
  sendError(res, 429, 'RATE_LIMITED', `${why}; retry after ${seconds} s`, { retryAfterSeconds: seconds });
}
