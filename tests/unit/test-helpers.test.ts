/** The test helpers' own rules: a suite that needs the reference data fails in CI when it is missing. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const referenceModule = fileURLToPath(new URL('../helpers/reference.ts', import.meta.url));

/** Imports tests/helpers/reference.ts in a fresh process with this environment. */
function importReference(env: Record<string, string>) {
  const { CI: _ci, ...rest } = process.env;
  return spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      `const r = await import(${JSON.stringify(referenceModule)}); console.log('HAS=' + r.hasReference);`,
    ],
    { env: { ...rest, ...env }, encoding: 'utf8' },
  );
}

describe('reference data missing', () => {
  const missing = { SCHAKEL_TEST_REFERENCE_DIR: '/nonexistent/schakel-reference' };

  it('fails in CI (CI=true), naming the folder', () => {
    const r = importReference({ ...missing, CI: 'true' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('reference data not found at /nonexistent/schakel-reference');
  });

  it('skips visibly locally', () => {
    const r = importReference(missing);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('HAS=false');
    expect(r.stderr).toContain('SKIPPING what needs the reference data');
  });
});
