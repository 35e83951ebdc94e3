/** The reliability run's counting and its table (bench/chaos/tally.ts); the run itself is `npm run chaos`. */
import { describe, expect, it } from 'vitest';
import { DeliveryTally, exitCodeOf, formatTable } from '../../bench/chaos/tally.ts';

describe('chaos tally', () => {
  it('counts accepted ids delivered, lost and delivered more than once', () => {
    const t = new DeliveryTally();
    for (let i = 0; i < 4; i++) t.recordSent();
    for (const id of ['a', 'b', 'c', 'b']) t.recordAccepted(id); // b: a 200 repeat after a lost answer
    for (const id of ['a', 'b', 'a', 'a', 'x']) t.recordDelivery(id);
    expect(t.allDelivered()).toBe(false);
    expect(t.missing()).toEqual(['c']);
    expect(t.unreceipted()).toEqual(['x']);
    expect(t.row('embedded', 1, null)).toEqual({
      scenario: 'embedded',
      sent: 4,
      accepted: 3,
      delivered: 2,
      lost: 1,
      duplicates: 2,
      dead: 1,
      drainMs: null,
    });
    t.recordDelivery('c');
    expect(t.allDelivered()).toBe(true);
    expect(t.row('embedded', 0, 1234).lost).toBe(0);
  });

  it('prints one aligned table and fails the run on any loss', () => {
    const ok = {
      scenario: 'embedded',
      sent: 3000,
      accepted: 3000,
      delivered: 3000,
      lost: 0,
      duplicates: 7,
      dead: 0,
      drainMs: 700,
    };
    const bad = { ...ok, scenario: 'scale-out', delivered: 2999, lost: 1, drainMs: null };
    const lines = formatTable([ok, bad]).split('\n');
    expect(lines[0]!.split(/\s{2,}/)).toEqual([
      'scenario',
      'sent',
      'accepted',
      'delivered',
      'lost',
      'duplicates',
      'dead',
      'time to drain',
    ]);
    expect(lines[2]!.split(/\s{2,}/)).toEqual(['embedded', '3000', '3000', '3000', '0', '7', '0', '0.7 s']);
    expect(lines[3]!.split(/\s+/)).toEqual(['scale-out', '3000', '3000', '2999', '1', '7', '0', 'not', 'drained']);
    expect(new Set(lines.map((l) => l.length)).size).toBeLessThanOrEqual(2); // columns line up (the rule may be longer)
    expect(exitCodeOf([ok])).toBe(0);
    expect(exitCodeOf([ok, bad])).toBe(1);
  });
});
