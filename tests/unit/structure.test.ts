/**
 * The layout's borders (issue #18): the import graph of src/ and adapters/ has no circles, and src/ reaches
 * adapters/ only through the composition root. Every import counts, type-only ones too: a circle of types is
 * still two modules that cannot be read, moved or tested one without the other.
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../helpers/env.ts';

const ROOTS = ['src', 'adapters'];
/** The files of src/ that may import from adapters/: the composition root builds the adapter registry. */
const MAX_SRC_FILES_IMPORTING_ADAPTERS = 2;

function* sourceFiles(dir: string): Generator<string> {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* sourceFiles(p);
    else if (/\.(ts|mjs)$/.test(e.name) && !e.name.endsWith('.d.ts')) yield p;
  }
}

/** Project-relative file → the project-relative files it imports (static, re-export and dynamic `import('…')`). */
function importGraph(root: string, dirs: readonly string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const dir of dirs) {
    for (const file of sourceFiles(path.join(root, dir))) {
      const info = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
      const targets = new Set<string>();
      for (const { fileName } of info.importedFiles) {
        if (!fileName.startsWith('.')) continue; // packages and node: built-ins are outside the graph
        let target = path.resolve(path.dirname(file), fileName);
        // Compiled-name imports (`./worker.js`) point at the source next to them.
        if (!fs.existsSync(target) && target.endsWith('.js')) target = target.replace(/\.js$/, '.ts');
        targets.add(path.relative(root, target));
      }
      graph.set(path.relative(root, file), [...targets].sort());
    }
  }
  return graph;
}

/** Every circle, one per strongly connected component (Tarjan), each as a path that returns to its start. */
function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let index = 0;
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  const visit = (v: string): void => {
    indexOf.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!indexOf.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, indexOf.get(w)!));
    }
    if (low.get(v) === indexOf.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) components.push(component);
    }
  };
  for (const v of [...graph.keys()].sort()) if (!indexOf.has(v)) visit(v);
  // A concrete circle inside each component: breadth-first from its first file back to itself.
  return components.map((component) => {
    const members = new Set(component);
    const start = [...component].sort()[0]!;
    const cameFrom = new Map<string, string>();
    const queue = [start];
    while (queue.length > 0) {
      const v = queue.shift()!;
      for (const w of graph.get(v) ?? []) {
        if (!members.has(w)) continue;
        if (w === start) {
          const cycle = [start];
          for (let at: string | undefined = v; at !== undefined && at !== start; at = cameFrom.get(at)) {
            cycle.splice(1, 0, at);
          }
          cycle.push(start);
          return cycle;
        }
        if (!cameFrom.has(w)) {
          cameFrom.set(w, v);
          queue.push(w);
        }
      }
    }
    return [start, start];
  });
}

describe('structure', () => {
  const graph = importGraph(projectRoot, ROOTS);

  it('reads the import graph (imports, re-exports, dynamic imports, .mjs files)', () => {
    expect(graph.size).toBeGreaterThan(100);
    // A dynamic import in a plain-JavaScript worker entry is an edge too.
    expect(graph.get('src/validation/worker-entry.mjs')).toContain('src/validation/worker.ts');
    // The composition root builds the adapter registry: an edge from src/ into adapters/ is seen.
    expect(graph.get('src/composition.ts')).toContain('adapters/registry.ts');
    // A type-only import is an edge too (metrics.ts implements the pipeline's PipelineMetrics).
    expect(graph.get('src/metrics.ts')).toContain('src/pipeline/accept.ts');
  });

  it('finds a circle when there is one, and prints it', () => {
    const cycles = findCycles(
      new Map([
        ['a.ts', ['b.ts']],
        ['b.ts', ['c.ts']],
        ['c.ts', ['a.ts', 'd.ts']],
        ['d.ts', []],
        ['e.ts', ['e.ts']],
      ]),
    );
    expect(cycles).toEqual([
      ['a.ts', 'b.ts', 'c.ts', 'a.ts'],
      ['e.ts', 'e.ts'],
    ]);
    expect(
      findCycles(
        new Map([
          ['a.ts', ['b.ts']],
          ['b.ts', []],
        ]),
      ),
    ).toEqual([]);
  });

  it('has no import circles in src/ and adapters/', () => {
    const cycles = findCycles(graph).map((c) => c.join(' → '));
    // One circle per group of files that reach each other: break it and run again to see the next one there.
    expect(cycles, `import circles:\n${cycles.join('\n')}`).toEqual([]);
  });

  it(`lets at most ${MAX_SRC_FILES_IMPORTING_ADAPTERS} files of src/ import adapters/ (the composition root)`, () => {
    const importers = [...graph]
      .filter(([file, targets]) => file.startsWith('src/') && targets.some((t) => t.startsWith('adapters/')))
      .map(([file]) => file);
    expect(importers.length, `src/ files importing adapters/: ${importers.join(', ')}`).toBeLessThanOrEqual(
      MAX_SRC_FILES_IMPORTING_ADAPTERS,
    );
  });
});
