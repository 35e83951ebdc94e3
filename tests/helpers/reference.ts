/** Where the official reference data lives, and whether this machine has it. */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const referenceDir = path.resolve(projectRoot, '../shared/reference');
export const hasReference = fs.existsSync(referenceDir);
export const skipReason = `reference data not found at ${referenceDir}`;
