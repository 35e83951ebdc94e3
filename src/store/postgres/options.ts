import type { BodyCipher } from '../../security/body-cipher.ts';

/** How a PostgreSQL store is opened. */
export interface PostgresStoreOptions {
  /** postgres://user:password@host:port/database */
  url: string;
  /** Connections in the pool. */
  poolSize?: number;
  /** Schema of the tables, created when missing; else the connection's search_path (normally `public`). */
  schema?: string | null;
  /** Apply pending migrations when the store opens (default true); `schakel migrate` does it separately. */
  migrate?: boolean;
  /** Epoch milliseconds; tests pin it. */
  clock?: () => number;
  listPageMax?: number;
  answerExcerptChars?: number;
  /**
   * Batched statements (inserts of concurrent requests, claims of broker deliveries) of one kind running at once;
   * the calls arriving meanwhile go together in the next (default 1: the largest batches, the fewest commits).
   */
  batchesInFlight?: number;
  /** Shown in pg_stat_activity. */
  applicationName?: string;
  /**
   * The keys bodies, findings and kept answers are sealed with. Default: a key generated once in the store's
   * store_secrets (development only: see reseal.ts).
   */
  cipher?: BodyCipher;
  /** The secret the BSN index key is derived from; default the store's own secret (`historySecret`). */
  bsnIndexSecret?: Buffer;
}
