/** The store role that keeps beheer's state shared by every gateway instance on the store (issue #15 part 3). */

/**
 * Beheer's state shared by every instance on this store (issue #15 part 3): sessions (keyed by the SHA-256 of the
 * cookie, never the cookie), login attempts per user name, failed-authentication token buckets per client
 * address, and bulk jobs with their per-message results. Times are epoch milliseconds of beheer's clock.
 */
export interface BeheerState {
  createSession(s: StoredSession): Promise<void>;
  /** The session with this id hash that has not expired at `now`. */
  findSession(idHash: string, now: number): Promise<StoredSession | null>;
  deleteSession(idHash: string): Promise<void>;
  /** Deletes sessions expired at `now`; returns how many. */
  sweepSessions(now: number): Promise<number>;
  /**
   * Reserves a login attempt for `user` before its password is checked, atomically: false (locked) when `max`
   * attempts failed or are running within the window that started `windowMs` before; a window that has passed
   * starts afresh.
   */
  reserveLogin(user: string, now: number, max: number, windowMs: number): Promise<boolean>;
  /** Ends a reserved attempt: a failure counts; a success clears the user's failures. */
  settleLogin(user: string, ok: boolean): Promise<void>;
  /**
   * Token bucket `key`: takes one token when there is one (or, with `force`, even when that leaves it empty) and
   * returns the tokens left after refill (< 1 after a refused take: nothing was taken).
   */
  takeToken(key: string, rate: BucketRate, now: number, force: boolean): Promise<{ taken: boolean; tokens: number }>;
  /** Gives a token back, never above the capacity. */
  refundToken(key: string, rate: BucketRate, now: number): Promise<void>;
  /** Buckets with less than one token at `now` (the addresses currently refused), and forgets full ones. */
  emptyBuckets(prefix: string, rate: BucketRate, now: number): Promise<{ key: string; tokens: number }[]>;
  createJob(job: StoredJob): Promise<void>;
  /**
   * Appends results and counts them, and extends the lease, while `owner` holds the job; false when it does not
   * (any more): another instance took it over.
   */
  recordJobProgress(
    id: string,
    owner: string,
    results: readonly StoredJobResult[],
    leaseUntil: number,
  ): Promise<boolean>;
  /** Marks the job done (state, finishedAt) while `owner` holds it. */
  finishJob(id: string, owner: string, finishedAt: number): Promise<boolean>;
  /** Lets go of a job (lease ends now), so that another instance may continue it. */
  releaseJob(id: string, owner: string): Promise<void>;
  /** Takes over the oldest running job whose lease ended before `now`, with the ids not yet handled. */
  claimStaleJob(owner: string, now: number, leaseUntil: number): Promise<{ job: StoredJob; handled: string[] } | null>;
  getJob(id: string): Promise<{ job: StoredJob; results: StoredJobResult[] } | null>;
  /** Deletes jobs (with their results) that finished before `before`; returns how many. */
  purgeJobs(before: number): Promise<number>;
  /** Newest first. */
  listJobs(limit: number): Promise<StoredJob[]>;
}

export interface BucketRate {
  /** Tokens added per millisecond. */
  perMs: number;
  capacity: number;
}

export interface StoredSession {
  /** SHA-256 (hex) of the cookie value. */
  idHash: string;
  user: string;
  csrfToken: string;
  createdAt: number;
  expiresAt: number;
  /** How the user logged in (JSON; a single sign-on user's grants with it); null: a local user. */
  auth: unknown;
}

export interface StoredJob {
  id: string;
  action: string;
  actor: string;
  selection: unknown;
  reason: string | null;
  /** The messages, deduplicated, in order. */
  ids: string[];
  state: 'running' | 'done';
  owner: string;
  leaseUntil: number;
  createdAt: number;
  finishedAt: number | null;
  total: number;
  done: number;
  ok: number;
  failed: number;
}

export interface StoredJobResult {
  messageId: string;
  ok: boolean;
  status: string | null;
  reason: string | null;
}
