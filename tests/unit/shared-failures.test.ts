/**
 * The failed-authentication budget shared through the store (issue 15 part 3), with two budgets on one SQLite
 * file as two instances: a failure counted by one is refused by the other after a sync; one request counts once.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FailureCharge, TokenBuckets } from '../../src/http/rate-limit.ts';
import { SharedFailureBudget } from '../../src/http/shared-failures.ts';
import { createLogger } from '../../src/log.ts';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite.ts';
import { type TempDir, tempDir } from '../helpers/temp.ts';

const silent = createLogger({ level: 'silent' });
/** 4 at once, one more per minute. */
const rate = () => ({ perMs: 1 / 60_000, capacity: 4 });

let dir: TempDir;
let stores: SqliteStore[];
let budgets: SharedFailureBudget[];
let now: number;

beforeEach(() => {
  dir = tempDir('schakel-failures-');
  const file = join(dir.path, 'db.sqlite');
  stores = [openSqliteStore({ file }), openSqliteStore({ file })];
  now = Date.UTC(2026, 0, 15, 9, 0, 0);
  budgets = stores.map((s) => new SharedFailureBudget(s.beheerState, rate, silent, 0, () => now));
});

afterEach(async () => {
  for (const b of budgets) await b.close();
  for (const s of stores) await s.close();
  dir.remove();
});

describe('the shared failed-authentication budget', () => {
  it('failures counted on two instances add up; the other instance refuses after a sync, until the bucket refills', async () => {
    const [a, b] = budgets as [SharedFailureBudget, SharedFailureBudget];
    await a.failed('198.51.100.1');
    await b.failed('198.51.100.1');
    await a.failed('198.51.100.1');
    expect(a.waitMs('198.51.100.1')).toBe(0);
    expect(b.waitMs('198.51.100.1')).toBe(0);
    await a.failed('198.51.100.1');
    // a learnt it from the store's answer; b learns it from the next sync.
    expect(a.waitMs('198.51.100.1')).toBe(60_000);
    expect(b.waitMs('198.51.100.1')).toBe(0);
    await b.sync();
    expect(b.waitMs('198.51.100.1')).toBe(60_000);
    expect(b.waitMs('198.51.100.2')).toBe(0);
    now += 60_000;
    expect(a.waitMs('198.51.100.1')).toBe(0);
    await b.sync();
    expect(b.waitMs('198.51.100.1')).toBe(0);
  });

  it('a request that fails is counted once, however often it is settled; a request that succeeds is not counted', async () => {
    const [a, b] = budgets as [SharedFailureBudget, SharedFailureBudget];
    const local = new TokenBuckets(() => now);
    const reports: Promise<void>[] = [];
    const counting = { failed: (ip: string) => reports[reports.push(a.failed(ip)) - 1]! };
    for (let i = 0; i < 3; i++) {
      const charge = new FailureCharge(local, '198.51.100.3', rate, counting);
      charge.fail();
      charge.settle(401);
    }
    const fine = new FailureCharge(local, '198.51.100.3', rate, counting);
    expect(fine.reserve()).toBe(0);
    fine.settle(200);
    await Promise.all(reports);
    expect(reports).toHaveLength(3);
    await b.sync();
    expect(b.waitMs('198.51.100.3')).toBe(0);
    await b.failed('198.51.100.3');
    expect(b.waitMs('198.51.100.3')).toBe(60_000);
  });
});
