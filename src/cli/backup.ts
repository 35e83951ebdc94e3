import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { loadConfig } from '../config/load.ts';
import { CONFIG_OPTION, type CommandSpec, configFileOf, OperatorError, stringOption, UsageError } from './command.ts';

/**
 * `schakel backup --to FILE [CONFIG]`: a consistent copy of the embedded SQLite store, taken with SQLite's
 * online backup (better-sqlite3 `.backup()`) while the gateway keeps running. A PostgreSQL store is backed up
 * with pg_dump, which this command says instead of copying anything.
 */
export const command: CommandSpec = {
  usage: '--to FILE [CONFIG] [--config CONFIG]',
  options: {
    to: { type: 'string', short: 'o', value: 'FILE', help: 'where the copy goes (must not exist yet)' },
    ...CONFIG_OPTION,
  },
  positionals: { max: 1 },
  details: `The copy is a complete SQLite database (open it with sqlite3, or put it back as
<dataDir>/schakel.sqlite while the gateway is stopped). It holds bericht bodies: keep it as carefully as the store.
Exit status: 0 written, 1 failed (or a PostgreSQL store: use pg_dump), 2 usage or configuration error.`,
  async run(args, io) {
    const to = stringOption(args, 'to');
    if (!to) throw new UsageError('--to FILE is required');
    const file = configFileOf(args);
    const config = loadConfig(file ? { path: file } : {});
    if (config.store.kind === 'postgres') {
      throw new OperatorError(
        'this configuration uses a PostgreSQL store: back it up with pg_dump (pg_dump --format=custom --file=schakel.dump "$SCHAKEL_POSTGRES_URL"' +
          `${config.store.schema ? ` --schema=${config.store.schema}` : ''}), not with schakel backup`,
      );
    }
    const source = join(config.dataDir, 'schakel.sqlite');
    if (!existsSync(source))
      throw new OperatorError(`there is no store at ${source} (has the gateway run with this configuration?)`);
    const target = resolve(to);
    if (existsSync(target)) throw new OperatorError(`${target} exists already: give a new file`);
    mkdirSync(dirname(target), { recursive: true });
    // Written under a temporary name and renamed when complete, so a half-written copy never looks like a backup.
    const partial = `${target}.partial-${process.pid}`;
    const db = new Database(source, { readonly: true, fileMustExist: true });
    try {
      db.pragma('busy_timeout = 5000');
      await db.backup(partial);
      renameSync(partial, target);
    } catch (e) {
      rmSync(partial, { force: true });
      throw new OperatorError(`backup of ${source} failed: ${(e as Error).message}`);
    } finally {
      db.close();
    }
    io.out.write(`backed up ${source} to ${target}\n`);
    return 0;
  },
};
