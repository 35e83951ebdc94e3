/** The scale-out settings: store and transport kinds, their defaults, and the URL overrides from the environment. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig } from '../../src/config/load.ts';
import { projectRoot } from '../helpers/env.ts';

const example = join(projectRoot, 'config', 'scale-out.example.yaml');

function issues(text: string, env: Record<string, string> = {}): string[] {
  try {
    parseConfig(text, '/etc/schakel.yaml', { env });
  } catch (e) {
    if (e instanceof ConfigError) return e.issues.map((i) => `${i.path}: ${i.message}`);
    throw e;
  }
  return [];
}

describe('scale-out configuration', () => {
  it('keeps the embedded deployment the default', () => {
    const c = parseConfig('{}', '/etc/schakel.yaml');
    expect(c.store).toEqual({ kind: 'sqlite' });
    expect(c.transport).toEqual({ kind: 'embedded', concurrency: 16, pollIntervalMs: 1000, leaseMs: 300_000 });
    // An existing file without `kind` keeps its meaning.
    expect(parseConfig('transport: { concurrency: 2 }', '/etc/schakel.yaml').transport).toMatchObject({
      kind: 'embedded',
      concurrency: 2,
    });
  });

  it('reads PostgreSQL and RabbitMQ settings with their defaults', () => {
    const c = parseConfig(
      'store: { kind: postgres, url: "postgres://u:p@db:5432/schakel" }\ntransport: { kind: rabbitmq, url: "amqp://u:p@mq:5672/v" }',
      '/etc/schakel.yaml',
    );
    expect(c.store).toEqual({
      kind: 'postgres',
      url: 'postgres://u:p@db:5432/schakel',
      poolSize: 10,
      migrateOnStart: true,
    });
    expect(c.transport).toMatchObject({
      kind: 'rabbitmq',
      queuePrefix: 'schakel',
      concurrency: 64,
      publishWindow: 256,
      deliveryLimit: 20,
      leaseMs: 300_000,
    });
    expect(c.transport.kind === 'rabbitmq' && c.transport.prefetch).toBeUndefined();
  });

  it('refuses settings of another kind, bad URLs and unknown kinds, naming the field', () => {
    expect(issues('transport: { kind: embedded, url: "amqp://mq" }')).toEqual(['transport: unknown field(s) "url"']);
    expect(issues('transport: { kind: rabbitmq, url: "http://mq" }')).toEqual([
      'transport.url: must be an amqp(s) URL',
    ]);
    expect(issues('store: { kind: postgres, url: "mysql://db" }')).toEqual(['store.url: must be a postgres:// URL']);
    expect(issues('store: { kind: postgres, url: "postgres://db", schema: "Bad-Name" }')).toEqual([
      'store.schema: must be lower-case letters, digits and "_"',
    ]);
    expect(issues('store: { kind: mongodb }')[0]).toMatch(/^store\.kind: /);
  });

  it('takes the service URLs (with their passwords) from the environment', () => {
    const c = loadConfig({
      path: example,
      env: { SCHAKEL_POSTGRES_URL: 'postgres://s:secret@db/x', SCHAKEL_RABBITMQ_URL: 'amqp://s:secret@mq/v' },
    });
    expect(c.store).toMatchObject({ kind: 'postgres', url: 'postgres://s:secret@db/x' });
    expect(c.transport).toMatchObject({ kind: 'rabbitmq', url: 'amqp://s:secret@mq/v' });
    expect(issues('{}', { SCHAKEL_POSTGRES_URL: 'postgres://db' })).toEqual([
      'env SCHAKEL_POSTGRES_URL: is set, but store.kind is not "postgres" in the file',
    ]);
  });

  it('ships a valid scale-out example', () => {
    const c = loadConfig({ path: example, env: {} });
    expect(c.store.kind).toBe('postgres');
    expect(c.transport.kind).toBe('rabbitmq');
    expect(c.routes.length).toBeGreaterThan(0);
  });
});
