// Second step of `npm run build` (after `tsc -p tsconfig.build.json`): copies into dist/ what tsc does not
// emit, so `node dist/src/cli/run.js` (or bin/schakel.mjs) runs without the source tree or tsx:
// - the plain-JavaScript worker entries (src/**/*.mjs) and the beheer page's static files;
// - config/, schemas/ and data/, which the code finds relative to itself (../../config from dist/src/config).
import { cpSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// The output folder: dist/, or the one given (tests build into a temporary folder).
const dist = process.argv[2] ? resolve(process.argv[2]) : join(root, 'dist');
if (!existsSync(join(dist, 'src', 'cli', 'main.js'))) {
  console.error(`build-dist: ${join(dist, 'src/cli/main.js')} is missing; run tsc -p tsconfig.build.json first`);
  process.exit(1);
}

function* files(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* files(p);
    else yield p;
  }
}

let copied = 0;
for (const file of files(join(root, 'src'))) {
  if (file.endsWith('.mjs')) {
    cpSync(file, join(dist, relative(root, file)));
    copied++;
  }
}
for (const dir of ['src/beheer/static', 'config', 'schemas', 'data']) {
  rmSync(join(dist, dir), { recursive: true, force: true });
  cpSync(join(root, dir), join(dist, dir), { recursive: true });
  copied++;
}
console.log(`build-dist: copied ${copied} worker entries and folders into dist/`);
