/** The configuration's JSON Schema (shipped, generated from zod, described field by field) and ${ENV:NAME} secrets. */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_JSON_SCHEMA_PATH, configJsonSchema, configJsonSchemaText } from '../../src/config/json-schema.ts';
import { ConfigError, parseConfig } from '../../src/config/load.ts';
import { projectRoot } from '../helpers/reference.ts';

type Node = Record<string, any>;

/** Every property of every object in the schema, with its dotted path. */
function properties(node: Node, path = ''): { path: string; schema: Node }[] {
  const out: { path: string; schema: Node }[] = [];
  if (!node || typeof node !== 'object') return out;
  for (const [k, v] of Object.entries<Node>(node.properties ?? {}))
    out.push({ path: `${path}.${k}`, schema: v }, ...properties(v, `${path}.${k}`));
  for (const key of ['items', 'additionalProperties'])
    if (node[key] && typeof node[key] === 'object') out.push(...properties(node[key], `${path}[]`));
  for (const key of ['anyOf', 'oneOf', 'allOf']) for (const n of node[key] ?? []) out.push(...properties(n, path));
  return out;
}

describe('config JSON Schema', () => {
  it('the shipped file is what the zod schema generates (npm run config-schema)', () => {
    expect(readFileSync(join(projectRoot, CONFIG_JSON_SCHEMA_PATH), 'utf8')).toBe(configJsonSchemaText());
  });

  it('describes every field', () => {
    const all = properties(configJsonSchema());
    expect(all.length).toBeGreaterThan(150);
    expect(all.filter((p) => !p.schema.description).map((p) => p.path)).toEqual([]);
    const routes = properties(configJsonSchema()).find((p) => p.path === '.routes[].destination')!;
    expect(routes.schema.description).toMatch(/destinations\[\]\.id/);
  });

  it('keeps defaults and closed objects, so an editor completes and flags unknown fields', () => {
    const schema = configJsonSchema() as Node;
    expect(schema.properties.server.properties.port).toMatchObject({ default: 8080, type: 'integer' });
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.server.additionalProperties).toBe(false);
  });

  it('is referenced from the example configurations', () => {
    for (const file of [
      'config/default.yaml',
      'config/scale-out.example.yaml',
      'deploy/k8s/embedded/schakel.yaml',
      'deploy/k8s/scale-out/schakel.yaml',
    ]) {
      const first = readFileSync(join(projectRoot, file), 'utf8').split('\n')[0]!;
      const ref = /^# yaml-language-server: \$schema=(\S+)$/.exec(first)?.[1];
      expect(ref, file).toBeDefined();
      expect(resolve(dirname(join(projectRoot, file)), ref!)).toBe(join(projectRoot, CONFIG_JSON_SCHEMA_PATH));
    }
  });
});

describe('${ENV:NAME} in the configuration', () => {
  const yaml = [
    'destinations:',
    '  - id: ontvanger',
    '    adapter: webhook',
    '    url: "https://ontvanger.example/berichten"',
    '    headers: { Authorization: "Bearer ${ENV:ONTVANGER_TOKEN}" }',
    '  - { id: broker, adapter: amqp, url: "${ENV:BROKER_URL}", queue: berichten }',
    '',
  ].join('\n');

  it('takes secrets from the environment', () => {
    const config = parseConfig(yaml, 'x.yaml', {
      env: { ONTVANGER_TOKEN: 's3cret', BROKER_URL: 'amqps://u:p@mq.example/vh' },
    });
    expect(config.destinations[0]).toMatchObject({ headers: { Authorization: 'Bearer s3cret' } });
    expect(config.destinations[1]).toMatchObject({ url: 'amqps://u:p@mq.example/vh' });
  });

  it('names the field, its line and the variable when the variable is not set', () => {
    try {
      parseConfig(yaml, 'x.yaml', { env: { BROKER_URL: 'amqp://mq/vh' } });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).issues).toEqual([
        {
          path: 'destinations[0].headers.Authorization',
          line: 5,
          message: 'environment variable ONTVANGER_TOKEN (named by ${ENV:ONTVANGER_TOKEN}) is not set',
        },
      ]);
    }
  });
});
