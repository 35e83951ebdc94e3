/** The scale-out deployment's store: PostgreSQL (the engine's parts are in ./postgres/). */
import { PostgresStore, type PostgresStoreOptions } from './postgres/store.ts';

export { PostgresStore, type PostgresStoreOptions } from './postgres/store.ts';

/** Opens the PostgreSQL store; it migrates in the background and every call waits for that (see `ready`). */
export function openPostgresStore(options: PostgresStoreOptions): PostgresStore {
  return new PostgresStore(options);
}
