import { ConfigError, loadConfig } from '../config/load.ts';
import { openPostgresStore } from '../store/postgres.ts';
import { openSqliteStoreFromConfig } from '../store/sqlite.ts';

/**
 * `schakel migrate [--config FILE]`: brings the configured store to this Schakel's schema version and exits.
 * For PostgreSQL the migrations run in one transaction under an advisory lock, so running it while instances
 * start is safe. Exit 0 migrated (or already current), 1 failed, 2 usage or configuration error.
 */
export async function runMigrate(
  argv: string[],
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
): Promise<number> {
  const i = argv.indexOf('--config');
  const path = i >= 0 ? argv[i + 1] : undefined;
  if ((i >= 0 && !path) || argv.some((a, k) => a !== '--config' && k !== i + 1)) {
    err.write('usage: schakel migrate [--config FILE]\n');
    return 2;
  }
  let config;
  try {
    config = loadConfig(path ? { path } : {});
  } catch (e) {
    if (e instanceof ConfigError) {
      err.write(`schakel: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  try {
    if (config.store.kind === 'postgres') {
      const store = openPostgresStore({ url: config.store.url, schema: config.store.schema ?? null, poolSize: 1 });
      try {
        const version = await store.ready;
        out.write(`PostgreSQL store${config.store.schema ? ` (schema ${config.store.schema})` : ''}: schema version ${version}\n`);
      } finally {
        await store.close();
      }
    } else {
      const store = openSqliteStoreFromConfig(config);
      out.write(`SQLite store ${store.db.name}: schema version ${store.schemaVersion}\n`);
      await store.close();
    }
    return 0;
  } catch (e) {
    err.write(`schakel migrate: ${(e as Error).message}\n`);
    return 1;
  }
}
