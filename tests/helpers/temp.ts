/** Temporary folders for tests: made under the OS temp folder, removed by the test that made them. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';

export interface TempDir {
  path: string;
  /** Removes the folder and everything in it (idempotent). */
  remove(): void;
}

/** A fresh folder `<tmp>/<prefix>XXXXXX`. */
export function tempDir(prefix = 'schakel-'): TempDir {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/**
 * Folders for one test file, all removed after each test (`after` chooses another hook, e.g. `afterAll`).
 * Returns the maker: `const temp = tempDirs(); … temp('schakel-store-')`.
 */
export function tempDirs(after: (fn: () => void) => void = afterEach): (prefix?: string) => string {
  const made: TempDir[] = [];
  after(() => {
    for (const d of made.splice(0)) d.remove();
  });
  return (prefix) => {
    const d = tempDir(prefix);
    made.push(d);
    return d.path;
  };
}
