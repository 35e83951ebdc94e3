/**
 * Where the body keys come from (see body-cipher.ts and docs/encryption.md):
 * - `store.encryption` in the configuration: each key inline (`${ENV:NAME}`) or in a file;
 * - otherwise, for the embedded SQLite store, a key file generated once next to the database (mode 0600), so
 *   `npm start` works without any set-up; the gateway warns that production must configure keys.
 */
import { closeSync, constants, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { BodyCipher, newKeyText, parseKey } from './body-cipher.ts';

export interface BodyEncryptionConfig {
  current: string;
  keys: { id: string; key?: string | undefined; file?: string | undefined }[];
}

/** The configured keys; a key file that is missing, unreadable or not a 32-byte key is an error naming it. */
export function bodyCipherFromConfig(config: BodyEncryptionConfig): BodyCipher {
  const keys = config.keys.map((k) => {
    if (k.key !== undefined) return { id: k.id, key: parseKey(k.key, `store.encryption key ${k.id}`) };
    let text: string;
    try {
      text = readFileSync(k.file!, 'utf8');
    } catch (e) {
      throw new Error(`store.encryption key ${k.id}: cannot read ${k.file} (${(e as NodeJS.ErrnoException).code})`);
    }
    return { id: k.id, key: parseKey(text, `store.encryption key ${k.id} (${k.file})`) };
  });
  return new BodyCipher(keys, config.current);
}

/** The id of the generated key of a store without configured keys. */
export const LOCAL_KEY_ID = 'local';

/**
 * The key in `file`, created (random, mode 0600, exclusively) when missing. A file readable by others is
 * refused: it protects every stored body.
 */
export function localKeyFile(file: string): { cipher: BodyCipher; created: boolean } {
  let created = false;
  try {
    const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    try {
      writeSync(fd, `${newKeyText()}\n`);
    } finally {
      closeSync(fd);
    }
    created = true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  if (process.platform !== 'win32' && (statSync(file).mode & 0o077) !== 0) {
    throw new Error(`body key file ${file} is readable by others: chmod 600 it`);
  }
  const key = parseKey(readFileSync(file, 'utf8'), `body key file ${file}`);
  return { cipher: new BodyCipher([{ id: LOCAL_KEY_ID, key }], LOCAL_KEY_ID), created };
}
