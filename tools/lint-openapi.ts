/**
 * `npm run lint:openapi`: writes the gateway's OpenAPI document (src/http/openapi.ts, as served at
 * /openapi.json) to a temporary file and lints it with Redocly CLI (recommended rules, redocly.yaml). Exit 0 with
 * zero errors and zero warnings, else Redocly's exit code (1).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openApiDocument } from '../src/http/openapi.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = mkdtempSync(join(tmpdir(), 'schakel-openapi-'));
try {
  const file = join(dir, 'openapi.json');
  writeFileSync(file, JSON.stringify(openApiDocument(), null, 2));
  const cli = createRequire(import.meta.url).resolve('@redocly/cli/bin/cli.js');
  const r = spawnSync(
    process.execPath,
    [cli, 'lint', file, '--config', join(root, 'redocly.yaml'), '--format', 'stylish', '--max-problems', '200'],
    {
      stdio: 'inherit',
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    },
  );
  process.exitCode = r.status ?? 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
