/**
 * Whether an error means the message store cannot be used right now (standards.md §5 "Answers per channel": the
 * gateway cannot take responsibility, "store down"), as opposed to a fault in the gateway itself. The HTTP layer
 * answers these 503 STORE_UNAVAILABLE with Retry-After, and over SOAP a fault with Fo03 StUF058 (plek server).
 *
 * - SQLite (better-sqlite3 `code`): the database is locked past busy_timeout, cannot be opened or written, or the
 *   disk failed or is full: SQLITE_BUSY, SQLITE_LOCKED, SQLITE_IOERR*, SQLITE_CANTOPEN, SQLITE_READONLY*, SQLITE_FULL.
 * - PostgreSQL (node-postgres): the connection cannot be made or was lost (ECONNREFUSED, ECONNRESET, ETIMEDOUT …,
 *   "Connection terminated", a pool that could not connect in time), or the server says so: SQLSTATE class 08
 *   (connection exception), 53 (insufficient resources), 57P01–57P03 (shutting down, cannot connect now).
 * The error's `cause` chain is followed, so a wrapped error counts too.
 */
const SQLITE_CODES = /^SQLITE_(BUSY|LOCKED|IOERR|CANTOPEN|READONLY|FULL)/;
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);
const PG_SQLSTATE = /^(08[0-9A-Z]{3}|53[0-9A-Z]{3}|57P0[1-3])$/;
const PG_CONNECTION_TEXTS =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed and is not queryable)/;

export function isStoreUnavailable(err: unknown): boolean {
  for (
    let e = err, depth = 0;
    typeof e === 'object' && e !== null && depth < 5;
    e = (e as { cause?: unknown }).cause, depth++
  ) {
    const code = String((e as { code?: unknown }).code ?? '');
    if (SQLITE_CODES.test(code) || NETWORK_CODES.has(code) || PG_SQLSTATE.test(code)) return true;
    if (e instanceof Error && PG_CONNECTION_TEXTS.test(e.message)) return true;
  }
  return false;
}
