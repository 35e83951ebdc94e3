import type { Writable } from 'node:stream';
import { openStore, storeReady } from '../composition.ts';
import { loadConfig } from '../config/load.ts';
import type { MessageStore, ResealBatch } from '../store/types.ts';
import { CONFIG_OPTION, type CommandSpec, configFileOf, runCommand, UsageError } from './command.ts';

/** The audit actor of a re-encryption run. */
export const REENCRYPT_ACTOR = 'cli:reencrypt';

export interface ReencryptTotals {
  messages: number;
  answers: number;
  indexed: number;
  missingKeys: Record<string, number>;
}

/**
 * Seals every stored body, finding and kept answer that is not under the current key (or still in plain from
 * before encryption) under the current key, `batch` rows per transaction, and gives rows stored before
 * encryption their BSN index entries. A run that stopped simply starts again: done rows no longer match.
 * Audited at start and end (counts only); `progress` gets one line per batch (counts only, never content).
 */
export async function reencrypt(
  store: MessageStore,
  batch: number,
  progress: (line: string) => void = () => undefined,
): Promise<ReencryptTotals> {
  const current = await store.currentBodyKey();
  await store.audit({ actor: REENCRYPT_ACTOR, action: 'store.reencrypt-started', details: { current, batch } });
  const totals: ReencryptTotals = { messages: 0, answers: 0, indexed: 0, missingKeys: {} };
  const add = (b: ResealBatch) => {
    totals.indexed += b.indexed;
    for (const [k, n] of Object.entries(b.missingKeys)) totals.missingKeys[k] = (totals.missingKeys[k] ?? 0) + n;
  };
  for (let after: string | null = null; ; ) {
    const b: ResealBatch = await store.resealMessages(batch, after);
    if (b.after === null) break;
    add(b);
    totals.messages += b.rows;
    after = b.after;
    progress(`messages: ${totals.messages} sealed under ${current} (${totals.indexed} indexed)`);
  }
  for (let after: string | null = null; ; ) {
    const b: ResealBatch = await store.resealAnswers(batch, after);
    if (b.after === null) break;
    add(b);
    totals.answers += b.rows;
    after = b.after;
    progress(`answers: ${totals.answers} sealed under ${current}`);
  }
  await store.audit({
    actor: REENCRYPT_ACTOR,
    action: 'store.reencrypt-finished',
    details: { current, ...totals },
  });
  return totals;
}

/**
 * `schakel reencrypt [--batch N] [--config FILE]`: after a new body key was made current (or on a store from
 * before encryption), seals everything under it. Exit 0 done, 1 rows left under a key that is not configured
 * (or a failure), 2 usage or configuration error.
 */
export const command: CommandSpec = {
  usage: '[--batch N] [--config FILE]',
  options: {
    ...CONFIG_OPTION,
    batch: { type: 'string', value: 'N', help: 'rows per transaction (default 500)' },
  },
  details:
    'Seals every stored body, finding and kept answer under store.encryption.current (docs/encryption.md).\n' +
    'Resumable: run it again after an interruption. Exit status: 0 done, 1 rows left whose key is not\n' +
    'configured (or a failure), 2 usage or configuration error.',
  async run(args, { out, err }) {
    const batchText = args.values.batch;
    const batch = typeof batchText === 'string' ? Number(batchText) : 500;
    if (!Number.isInteger(batch) || batch < 1 || batch > 100_000) {
      throw new UsageError('--batch must be a whole number from 1 to 100000');
    }
    const file = configFileOf(args);
    const config = loadConfig(file ? { path: file } : {});
    const store = openStore(config);
    try {
      await storeReady(store);
      const totals = await reencrypt(store, batch, (line) => out.write(`${line}\n`));
      out.write(
        `done: ${totals.messages} messages and ${totals.answers} answers sealed under ${await store.currentBodyKey()}, ` +
          `${totals.indexed} older messages indexed\n`,
      );
      const missing = Object.entries(totals.missingKeys);
      if (missing.length === 0) return 0;
      for (const [key, n] of missing) err.write(`schakel reencrypt: ${n} rows left: body key ${key} not configured\n`);
      return 1;
    } catch (e) {
      err.write(`schakel reencrypt: ${(e as Error).message}\n`);
      return 1;
    } finally {
      await store.close();
    }
  },
};

/** `schakel reencrypt` with its arguments, for tests and scripts. */
export function runReencrypt(
  argv: string[],
  out: Writable = process.stdout,
  err: Writable = process.stderr,
): Promise<number> {
  return runCommand('reencrypt', SUMMARY, command, argv, { out, err });
}

export const SUMMARY = 'seal every stored body under the current body key (after a key rotation), in batches';
