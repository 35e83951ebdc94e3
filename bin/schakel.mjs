#!/usr/bin/env node
// Entry point of the `schakel` command.
// - Compiled (`npm run build` made dist/, as in the container image): runs dist/src/cli/main.js with plain node.
// - In development (src/ and tsx present): runs the TypeScript source through tsx, so a stale dist/ is never used
//   by accident. SCHAKEL_RUNTIME=dist or =source chooses explicitly.
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/src/cli/main.js', import.meta.url);
const source = new URL('../src/cli/main.ts', import.meta.url);

async function tsxAvailable() {
  try {
    await import('tsx/esm/api');
    return true;
  } catch {
    return false;
  }
}

const choice = process.env.SCHAKEL_RUNTIME;
const useSource =
  choice === 'source' || (choice !== 'dist' && existsSync(source) && (!existsSync(compiled) || (await tsxAvailable())));
let main;
if (useSource) {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import(source.href));
} else {
  if (!existsSync(compiled)) {
    process.stderr.write('schakel: dist/ is missing: run `npm run build` first\n');
    process.exit(1);
  }
  ({ main } = await import(compiled.href));
}
process.exitCode = await main(process.argv.slice(2));
