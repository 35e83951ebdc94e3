/**
 * Where the official reference data lives, and whether this machine has it. Locally a suite without it skips
 * the cases that need it, visibly (the reason is in the test names and printed); in CI (`CI=true`) importing
 * this module fails, so every suite that needs the data fails, like a suite whose service is unreachable.
 * `SCHAKEL_TEST_REFERENCE_DIR` points elsewhere (the default: ../shared/reference next to the project).
 */
import fs from 'node:fs';
import path from 'node:path';
import { IN_CI, projectRoot } from './env.ts';

export { projectRoot };
export const referenceDir = path.resolve(projectRoot, process.env.SCHAKEL_TEST_REFERENCE_DIR ?? '../shared/reference');
export const hasReference = fs.existsSync(referenceDir);
export const skipReason = `reference data not found at ${referenceDir}`;

if (!hasReference) {
  if (IN_CI) throw new Error(`${skipReason}: in CI a suite that needs it fails instead of skipping`);
  console.warn(`SKIPPING what needs the reference data: ${skipReason} (set CI=true to make this a failure)`);
}

/** An official iStandaarden 3.2 example by message name (`WMO301`, `JW315` …), as text. */
export function istandaardExample(name: string): string {
  const dir = name.startsWith('JW') ? 'jw' : 'wmo';
  return fs.readFileSync(path.join(referenceDir, 'istandaarden-3.2', dir, `${name}.xml`), 'utf8');
}
