/** The embedded deployment's store: SQLite (the engine's parts are in ./sqlite/). */
import { join } from 'node:path';
import type { Config } from '../config/schema.ts';
import { SqliteStore, type SqliteStoreOptions } from './sqlite/store.ts';

export { SqliteStore, type SqliteStoreOptions } from './sqlite/store.ts';

/** Opens (and migrates) the SQLite store. WAL, and a resolved write is on disk (see `GroupCommit`). */
export function openSqliteStore(options: SqliteStoreOptions): SqliteStore {
  return new SqliteStore(options);
}

/** The store of the embedded deployment: `<dataDir>/schakel.sqlite`. */
export function openSqliteStoreFromConfig(
  config: Pick<Config, 'dataDir' | 'limits'>,
  sealing: Pick<SqliteStoreOptions, 'cipher' | 'bsnIndexSecret'> = {},
): SqliteStore {
  return new SqliteStore({
    ...sealing,
    file: join(config.dataDir, 'schakel.sqlite'),
    listPageMax: config.limits.listPageMax,
    answerExcerptChars: config.limits.answerExcerptChars,
    checkpointIntervalMs: 1000,
  });
}
