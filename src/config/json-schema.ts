import { z } from 'zod';
import { configSchema } from './schema.ts';

/** Where the JSON Schema of the configuration is shipped (`npm run config-schema` writes it). */
export const CONFIG_JSON_SCHEMA_PATH = 'config/schakel.schema.json';

/**
 * The JSON Schema of a configuration file, generated from the zod schema (what a file may hold, with defaults
 * and every field's description), for editor completion and checks: reference it from a YAML file with
 * `# yaml-language-server: $schema=<path or URL>/schakel.schema.json`. Cross-references (a route's destination
 * must exist …) are not expressible in JSON Schema: `schakel check-config` checks those.
 */
export function configJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(configSchema, {
    io: 'input',
    unrepresentable: 'any',
    target: 'draft-2020-12',
  }) as Record<string, unknown>;
  const { $schema, ...rest } = generated;
  return {
    $schema,
    $id: 'https://schakel.invalid/schakel.schema.json',
    title: 'Schakel configuration',
    description:
      'Configuration file of the Schakel gateway (schakel serve FILE). Check one with schakel check-config FILE.',
    ...rest,
  };
}

/** The file's text: stable key order as generated, two-space indent, final newline. */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
