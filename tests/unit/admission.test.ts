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
});
