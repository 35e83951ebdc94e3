import { describe, expect, it } from 'vitest';
import { BodyAdmission } from '../../src/http/admission.ts';

const MiB = 1024 * 1024;

describe('body admission', () => {
  it('lets requests in while their bytes fit, and the next waiting one in when bytes are released, in order', async () => {
    const gate = new BodyAdmission(() => 20 * MiB);
    const a = (await gate.acquire(10 * MiB, 1000))!;
    const b = (await gate.acquire(10 * MiB, 1000))!;
    expect(gate.reserved).toBe(20 * MiB);
    const order: string[] = [];
    const c = gate.acquire(10 * MiB, 5000).then((r) => (order.push('c'), r));
    const d = gate.acquire(1, 5000).then((r) => (order.push('d'), r));
    await new Promise((r) => setTimeout(r, 20));
    // d would fit by size alone, but waits behind c: first come, first served.
    expect(order).toEqual([]);
    expect(gate.waiting).toBe(2);
    a();
    a(); // releasing twice changes nothing
    const rc = await c;
    expect(order).toEqual(['c']);
    expect(gate.reserved).toBe(20 * MiB);
    b();
    const rd = await d;
    expect(order).toEqual(['c', 'd']);
    expect(gate.reserved).toBe(10 * MiB + 1);
    rc!();
    rd!();
    expect(gate.reserved).toBe(0);
  });

  it('lets a body larger than the whole budget in alone', async () => {
    const gate = new BodyAdmission(() => 5 * MiB);
    const big = await gate.acquire(25 * MiB, 100);
    expect(big).not.toBeNull();
    expect(await gate.acquire(1, 50)).toBeNull();
    big!();
    expect(await gate.acquire(1, 50)).not.toBeNull();
  });

  it('gives up after the wait, or when the client goes away, and lets the next one in', async () => {
    const gate = new BodyAdmission(() => 10);
    const held = (await gate.acquire(10, 100))!;
    expect(await gate.acquire(5, 30)).toBeNull();
    const gone = new AbortController();
    const waiting = gate.acquire(5, 5000, gone.signal);
    gone.abort();
    expect(await waiting).toBeNull();
    expect(gate.waiting).toBe(0);
    held();
    expect(gate.reserved).toBe(0);
  });

  it('grants at once exactly when acquire would not wait: nobody waiting, the bytes fit, the owner within its share', async () => {
    const gate = new BodyAdmission(
      () => 20,
      () => 10,
    );
    const a = gate.grantNow(8, 'x');
    expect(a).not.toBeNull();
    expect(gate.reserved).toBe(8);
    // Over x's share (8 + 8 > 10): acquire would queue it, so no grant now.
    expect(gate.grantNow(8, 'x')).toBeNull();
    const b = gate.grantNow(8, 'y')!;
    // Does not fit the budget (16 + 8 > 20).
    expect(gate.grantNow(8, 'z')).toBeNull();
    // Someone waits (z): a request that would fit still waits its turn behind it.
    const waiting = gate.acquire(8, 5000, undefined, 'z');
    expect(gate.waiting).toBe(1);
    expect(gate.grantNow(1, 'w')).toBeNull();
    b();
    const c = await waiting;
    expect(c).not.toBeNull();
    a!();
    c!();
    expect(gate.reserved).toBe(0);
    // Alone, a body larger than the whole budget goes in, as with acquire.
    const big = gate.grantNow(50, 'x');
    expect(big).not.toBeNull();
    big!();
    expect(gate.reserved).toBe(0);
  });
});
