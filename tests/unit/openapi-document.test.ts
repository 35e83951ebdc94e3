/**
 * The OpenAPI document: linted by Redocly CLI (recommended-strict, zero problems), an operationId on every
 * operation, every security scheme the gateway accepts, the headers of every answer, and an error-code enum
 * that holds every code the source can answer with.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../../src/http/openapi.ts';
import { ERROR_CODES } from '../../src/http/openapi-errors.ts';
import { projectRoot } from '../helpers/reference.ts';
import { runProcess } from '../helpers/run-process.ts';

type Obj = Record<string, any>;
const doc = openApiDocument() as Obj;
const operations = Object.entries(doc.paths as Obj).flatMap(([path, item]) =>
  Object.entries(item as Obj).map(([method, op]) => ({ path, method, op: op as Obj })),
);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

describe('OpenAPI document', () => {
  it('passes Redocly CLI lint (recommended-strict) with zero problems', { timeout: 300_000 }, async () => {
    const result = await runProcess(process.execPath, ['--import', 'tsx', 'tools/lint-openapi.ts'], {
      ...process.env,
      REDOCLY_TELEMETRY: 'off',
    });
    const r = { code: result.code, output: result.stdout + result.stderr };
    expect(r.output).toMatch(/Your API description is valid/);
    expect(r.output).not.toMatch(/\b(error|warning)\b\s+[a-z0-9-]+\s/);
    expect(r.code).toBe(0);
  });

  it('names every operation with a unique operationId and says where it is served', () => {
    const ids = operations.map((o) => o.op.operationId);
    expect(ids.every((id) => typeof id === 'string' && /^[a-z][A-Za-z]+$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(doc.servers).toEqual([expect.objectContaining({ url: '/' })]);
  });

  it('describes every way in: bearer key, X-API-Key, mutual TLS, the beheer session cookie, the metrics token', () => {
    const schemes = doc.components.securitySchemes as Obj;
    expect(schemes.bearerApiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(schemes.apiKeyHeader).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-API-Key' });
    expect(schemes.clientCertificate).toMatchObject({ type: 'mutualTLS' });
    expect(schemes.beheerSession).toMatchObject({ type: 'apiKey', in: 'cookie', name: 'schakel_beheer' });
    expect(schemes.metricsToken).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.security).toEqual([{ bearerApiKey: [] }, { apiKeyHeader: [] }, { clientCertificate: [] }]);
  });

  it('gives every answer its headers: X-Request-Id always, Retry-After on 429/503, Location on a receipt', () => {
    for (const { path, method, op } of operations) {
      for (const [status, response] of Object.entries(op.responses as Obj)) {
        const where = `${method.toUpperCase()} ${path} ${status}`;
        expect(response.headers?.['X-Request-Id'], where).toEqual({ $ref: '#/components/headers/XRequestId' });
        if (status === '429' || status === '503') expect(response.headers['Retry-After'], where).toBeDefined();
      }
    }
    expect(doc.paths['/berichten'].post.responses['202'].headers.Location).toBeDefined();
    expect(doc.paths['/berichten'].post.responses['401'].headers['WWW-Authenticate']).toBeDefined();
    for (const status of ['400', '401', '403', '409', '413', '415', '422', '429', '500', '503'])
      expect(doc.paths['/berichten'].post.responses[status], status).toBeDefined();
  });

  it('lists every error code the source answers with in the ErrorCode enum', () => {
    const schema = doc.components.schemas.ErrorCode as Obj;
    expect(schema.enum).toEqual(Object.keys(ERROR_CODES));
    expect(doc.components.schemas.Error.properties.error.properties.code).toEqual({
      $ref: '#/components/schemas/ErrorCode',
    });
    const found = new Set<string>();
    const files = [
      ...sources(join(projectRoot, 'src/http')),
      ...sources(join(projectRoot, 'src/beheer')),
      join(projectRoot, 'src/pipeline/accept.ts'),
      join(projectRoot, 'src/catalogue/recognise.ts'),
    ];
    for (const file of files) {
      if (file.includes('openapi')) continue;
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?:sendError|refuse)\([^;]*?,\s*\d{3},\s*'([A-Za-z][A-Za-z0-9_]+)'/g))
        found.add(m[1]!);
      for (const m of text.matchAll(/\bcode: (?:stuf \? )?'([A-Z][A-Za-z0-9_]+)'(?: : '([A-Z][A-Za-z0-9_]+)')?/g)) {
        found.add(m[1]!);
        if (m[2]) found.add(m[2]);
      }
    }
    expect(found.size).toBeGreaterThan(25);
    expect([...found].filter((c) => !(c in ERROR_CODES)).sort()).toEqual([]);
  });
});
