/**
 * `npm run config-schema`: writes config/schakel.schema.json from the zod schema (src/config/json-schema.ts).
 * `--check` only compares and exits 1 when the shipped file is out of date.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIG_JSON_SCHEMA_PATH, configJsonSchemaText } from '../src/config/json-schema.ts';

const file = join(fileURLToPath(new URL('..', import.meta.url)), CONFIG_JSON_SCHEMA_PATH);
const text = configJsonSchemaText();
if (process.argv.includes('--check')) {
  let shipped = '';
  try {
    shipped = readFileSync(file, 'utf8');
  } catch {
    // absent: out of date
  }
  if (shipped !== text) {
    process.stderr.write(`${CONFIG_JSON_SCHEMA_PATH} is out of date: run npm run config-schema\n`);
    process.exit(1);
  }
  process.stdout.write(`${CONFIG_JSON_SCHEMA_PATH} is up to date\n`);
} else {
  writeFileSync(file, text);
  process.stdout.write(`wrote ${CONFIG_JSON_SCHEMA_PATH}\n`);
}
