/**
 * The Dockerfile and .dockerignore, checked statically (no Docker engine runs here): a current Node LTS in every
 * stage, a build stage that compiles and a runtime stage without development tools, non-root, a volume for the
 * data folder, a TLS-aware health check, a mounted configuration instead of the demo; and a build context that
 * leaves out node_modules, stores and keys.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../helpers/reference.ts';

interface Instruction {
  op: string;
  args: string;
  line: number;
}

/** Dockerfile instructions with continuation lines joined and comments dropped. */
function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending: Instruction | null = null;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trimEnd();
    if (pending === null && (line.trim() === '' || line.trim().startsWith('#'))) return;
    if (pending) {
      if (line.trim().startsWith('#')) return;
      pending.args += ` ${line.trim().replace(/\\$/, '').trim()}`;
    } else {
      const m = /^(\w+)\s+(.*)$/.exec(line.trim());
      if (!m) throw new Error(`Dockerfile line ${i + 1}: not an instruction: ${line}`);
      pending = { op: m[1]!.toUpperCase(), args: m[2]!.replace(/\\$/, '').trim(), line: i + 1 };
    }
    if (!line.endsWith('\\')) {
      out.push(pending);
      pending = null;
    }
  });
  if (pending) throw new Error('Dockerfile ends in a continuation');
  return out;
}

/** .dockerignore semantics enough for these checks: `**` any folders, `*` within one name, a folder excludes what is in it. */
function ignored(patterns: string[], path: string): boolean {
  let out = false;
  for (const p of patterns) {
    const negate = p.startsWith('!');
    const glob = (negate ? p.slice(1) : p).replace(/^\/+/, '').replace(/\/+$/, '');
    const re = new RegExp(
      '^' +
        glob
          .split('/')
          .map((part) =>
            part === '**'
              ? '(?:.*/)?'
              : `${part
                  .replace(/[.+^${}()|[\]\\]/g, '\\$&')
                  .replace(/\*/g, '[^/]*')
                  .replace(/\?/g, '[^/]')}/`,
          )
          .join('')
          .replace(/\/$/, '') +
        '(?:/.*)?$',
    );
    if (re.test(path)) out = !negate;
  }
  return out;
}

const dockerfile = parseDockerfile(readFileSync(join(projectRoot, 'Dockerfile'), 'utf8'));
const ignore = readFileSync(join(projectRoot, '.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));
const args = new Map(dockerfile.filter((i) => i.op === 'ARG').map((i) => i.args.split('=') as [string, string]));
const stages: Instruction[][] = [];
for (const i of dockerfile) {
  if (i.op === 'FROM') stages.push([]);
  stages.at(-1)?.push(i);
}
const runtime = stages.at(-1)!;
const of = (stage: Instruction[], op: string) => stage.filter((i) => i.op === op);

describe('Dockerfile', () => {
  it('builds in one stage and runs in another, on a current Node LTS (22 or 24)', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) {
      const image = stage[0]!.args
        .split(/\s+/)[0]!
        .replace(/^\$\{(\w+)\}$/, (_m, name: string) => args.get(name) ?? '');
      expect(image).toMatch(/^node:(22|24)(-|$)/);
    }
    const build = stages[0]!;
    expect(
      of(build, 'RUN')
        .map((i) => i.args)
        .join('\n'),
    ).toMatch(/npm ci[\s\S]*npm run build && npm prune --omit=dev/);
  });

  it('runs compiled JavaScript with plain node: no source, no tsx in the runtime stage', () => {
    const copies = of(runtime, 'COPY').map((i) => i.args);
    expect(copies).toContain('--from=build /app/dist ./dist');
    expect(copies.some((c) => /\bsrc\b/.test(c))).toBe(false);
    expect(runtime.map((i) => i.args).join('\n')).not.toMatch(/tsx/);
    expect(
      of(runtime, 'ENV')
        .map((i) => i.args)
        .join(' '),
    ).toMatch(/SCHAKEL_RUNTIME=dist/);
  });

  it('runs as a non-root user with the data folder as a volume', () => {
    const user = of(runtime, 'USER').at(-1)!.args;
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    const env = of(runtime, 'ENV')
      .map((i) => i.args)
      .join(' ');
    const dataDir = /SCHAKEL_DATA_DIR=(\S+)/.exec(env)![1]!;
    expect(JSON.parse(of(runtime, 'VOLUME')[0]!.args)).toContain(dataDir);
    expect(
      of(runtime, 'RUN')
        .map((i) => i.args)
        .join('\n'),
    ).toContain(`chown 10001 ${dataDir}`);
  });

  it('needs a mounted configuration: the demo configuration is never what the image serves on 0.0.0.0', () => {
    const env = of(runtime, 'ENV')
      .map((i) => i.args)
      .join(' ');
    expect(env).toMatch(/SCHAKEL_CONFIG=\/etc\/schakel\/schakel\.yaml/);
    expect(runtime.map((i) => i.args).join('\n')).not.toMatch(/default\.yaml/);
  });

  it('checks health with the schakel healthcheck command (https with server.tls) and has the tools as commands', () => {
    expect(of(runtime, 'HEALTHCHECK')[0]!.args).toMatch(/CMD \["schakel", "healthcheck"\]$/);
    expect(JSON.parse(of(runtime, 'ENTRYPOINT')[0]!.args)).toEqual(['schakel']);
    expect(JSON.parse(of(runtime, 'CMD')[0]!.args)).toEqual(['serve']);
  });

  it('copies only files that exist and that the build context keeps', () => {
    for (const copy of of(stages[0]!, 'COPY').concat(of(runtime, 'COPY').filter((c) => !c.args.startsWith('--from')))) {
      const sources = copy.args.split(/\s+/).slice(0, -1);
      for (const s of sources) {
        expect(existsSync(join(projectRoot, s)), `Dockerfile line ${copy.line}: ${s}`).toBe(true);
        expect(ignored(ignore, s), `Dockerfile line ${copy.line}: ${s} is in .dockerignore`).toBe(false);
      }
    }
  });
});

describe('.dockerignore', () => {
  it('leaves out dependencies, builds, stores with bodies, keys and git', () => {
    for (const path of [
      'node_modules',
      'node_modules/pino/package.json',
      'dist/src/cli/main.js',
      '.schakel/schakel.sqlite',
      '.schakel/schakel.sqlite-wal',
      'data-local/x.json',
      'some/where/store.sqlite',
      'backup.db',
      'config/server.key',
      'config/server.pem',
      '.git/HEAD',
      '.env',
      'tests/unit/cli.test.ts',
    ]) {
      expect(ignored(ignore, path), path).toBe(true);
    }
  });

  it('keeps what the image is built from', () => {
    for (const path of [
      'package.json',
      'package-lock.json',
      'src/cli/main.ts',
      'schemas',
      'config/default.yaml',
      'data/cbs-gemeenten-2026.json',
      'bin/schakel.mjs',
    ]) {
      expect(ignored(ignore, path), path).toBe(false);
    }
  });

  it('the matcher itself tells included from excluded', () => {
    expect(ignored(['**/*.db', '!keep.db'], 'keep.db')).toBe(false);
    expect(ignored(['**/*.db'], 'a/b/c.db')).toBe(true);
    expect(ignored(['dist'], 'distance.txt')).toBe(false);
  });
});
