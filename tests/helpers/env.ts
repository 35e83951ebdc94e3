/** Where the project is and whether the tests run in CI: the facts every helper may need, with no imports. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * `CI` set (as `.ci/run` does): what a suite needs (a service, the reference data) must be there, and a suite
 * that finds it missing fails instead of skipping, so a green CI run always means the suites ran.
 */
export const IN_CI = !!process.env.CI && !['0', 'false'].includes(process.env.CI.toLowerCase());
