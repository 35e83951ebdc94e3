/** The batched completion of the PostgreSQL store: which completions share a statement, and its parameters. */
import { describe, expect, it } from 'vitest';
import { type CompleteItem, completeManyParams, completeRounds } from '../../src/store/postgres/completions.ts';
import { completeParams } from '../../src/store/postgres/writes.ts';
import { planAttempt } from '../../src/store/rules.ts';

const at = new Date(1_700_000_000_000);
const item = (outboxId: number, messageId: string): CompleteItem => {
  const lease = { outboxId, token: `t${outboxId}`, messageId, destination: 'dest-a' };
  const plan = planAttempt(
    lease,
    { startedAt: at, finishedAt: at, outcome: 'delivered' },
    { kind: 'delivered' },
    1,
    80,
  );
  return { lease, plan, now: at.getTime() + outboxId, answer: { excerpt: null, key: null } };
};

describe('PostgreSQL batched completions', () => {
  it('puts completions of distinct rows in one round, a second one of a row after the first', () => {
    const items = [item(1, 'a'), item(2, 'b'), item(1, 'a'), item(3, 'c'), item(4, 'b'), item(1, 'a')];
    expect(completeRounds(items)).toEqual([[0, 1, 3], [2, 4], [5]]);
  });

  it('passes each parameter of the single statement as one array per column, in the items order', () => {
    const items = [item(1, 'a'), item(2, 'b')];
    const single = items.map((i) => completeParams(i.lease, i.plan, i.now, i.answer));
    const params = completeManyParams(items);
    expect(params).toHaveLength(17);
    params.forEach((column, c) => {
      expect(column).toEqual(single.map((s) => s[c]));
    });
  });
});
