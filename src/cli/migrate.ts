import type { Writable } from 'node:stream';
import { loadConfig } from '../config/load.ts';
import { openPostgresStore } from '../store/postgres.ts';
import { openSqliteStoreFromConfig } from '../store/sqlite.ts';
import { CONFIG_OPTION, type CommandSpec, configFileOf, runCommand } from './command.ts';

/**
 * `schakel migrate [--config FILE]`: brings the configured store to this Schakel's schema version and exits.
 * For PostgreSQL the migrations run in one transaction under an advisory lock, so running it while instances
 * start is safe. Exit 0 migrated (or already current), 1 failed, 2 usage or configuration error.
 */
export const command: CommandSpec = {
  usage: '[FILE] [--config FILE]',
  options: CONFIG_OPTION,
  positionals: { max: 1 },
  details: 'Exit status: 0 migrated (or already current), 1 failed, 2 usage or configuration error.',
  async run(args, { out, err }) {
    const file = configFileOf(args);
    const config = loadConfig(file ? { path: file } : {});
    try {
      if (config.store.kind === 'postgres') {
        const store = openPostgresStore({ url: config.store.url, schema: config.store.schema ?? null, poolSize: 1 });
        try {
          const version = await store.ready;
          out.write(
            `PostgreSQL store${config.store.schema ? ` (schema ${config.store.schema})` : ''}: schema version ${version}\n`,
          );
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
  },
};

/** `schakel migrate` with its arguments, for tests and scripts. */
export function runMigrate(
  argv: string[],
  out: Writable = process.stdout,
  err: Writable = process.stderr,
): Promise<number> {
  return runCommand('migrate', "bring the store's schema to this version and exit", command, argv, { out, err });
}
