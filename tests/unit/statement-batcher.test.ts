/** The group-commit batcher of the PostgreSQL store: who goes together, how many at once, and its fallback. */
import { describe, expect, it } from 'vitest';
import { StatementBatcher } from '../../src/store/postgres/batcher.ts';

interface Call {
  items: number[];
  release: () => void;
}

/** A `many` whose statements finish only when the test releases them. */
function controlled(fail?: (items: number[]) => boolean) {
  const calls: Call[] = [];
  const many = (items: number[]) =>
    new Promise<number[]>((resolve, reject) => {
      calls.push({
        items,
        release: () => (fail?.(items) ? reject(new Error('batch refused')) : resolve(items.map((i) => i * 10))),
      });
    });
  return { calls, many };
}

const turn = () => new Promise((r) => setImmediate(r));

describe('StatementBatcher', () => {
  it('sends the calls of one turn as one statement, and those arriving meanwhile as the next', async () => {
    const { calls, many } = controlled();
    const b = new StatementBatcher({ many, one: async (i: number) => -i, maxBatch: 100, maxInFlight: 1 });
    const first = [1, 2, 3].map((i) => b.submit(i));
    await turn();
    expect(calls.map((c) => c.items)).toEqual([[1, 2, 3]]);
    const second = [4, 5].map((i) => b.submit(i));
    await turn();
    expect(calls).toHaveLength(1); // waits for the statement in flight
    calls[0]!.release();
    expect(await Promise.all(first)).toEqual([10, 20, 30]);
    await turn();
    expect(calls.map((c) => c.items)).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
    calls[1]!.release();
    expect(await Promise.all(second)).toEqual([40, 50]);
    expect(b.stats).toMatchObject({ statements: 2, items: 5, fallbacks: 0 });
  });

  it('splits at maxBatch and runs up to maxInFlight statements at once; a lone call takes the single statement', async () => {
    const { calls, many } = controlled();
    const b = new StatementBatcher({ many, one: async (i: number) => -i, maxBatch: 2, maxInFlight: 2 });
    const all = [1, 2, 3, 4, 5].map((i) => b.submit(i));
    await turn();
    expect(calls.map((c) => c.items)).toEqual([
      [1, 2],
      [3, 4],
    ]);
    calls[0]!.release();
    calls[1]!.release();
    expect(await Promise.all(all)).toEqual([10, 20, 30, 40, -5]);
  });

  it('runs each item of a refused batch alone, so only the bad one fails', async () => {
    const { calls, many } = controlled(() => true);
    const one = async (i: number) => {
      if (i === 2) throw new Error('item 2 refused');
      return -i;
    };
    const b = new StatementBatcher({ many, one, maxBatch: 10, maxInFlight: 1 });
    const all = [1, 2, 3].map((i) => b.submit(i));
    await turn();
    calls[0]!.release();
    const settled = await Promise.allSettled(all);
    expect(settled.map((s) => (s.status === 'fulfilled' ? s.value : String(s.reason)))).toEqual([
      -1,
      'Error: item 2 refused',
      -3,
    ]);
    expect(b.stats.fallbacks).toBe(1);
  });
});
