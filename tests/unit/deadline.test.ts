import { describe, expect, it } from 'vitest';
import { deadline, SharedDeadlines } from '../../src/transport/deadline.ts';

describe('deadline', () => {
  it('aborts after its time and says so', async () => {
    const d = deadline(new AbortController().signal, 10);
    await new Promise((r) => d.signal.addEventListener('abort', r));
    expect(d.timedOut).toBe(true);
    expect((d.signal.reason as Error).name).toBe('TimeoutError');
    d.dispose();
  });

  it('aborts with its parent, which is not a timeout', () => {
    const parent = new AbortController();
    const d = deadline(parent.signal, 60_000);
    parent.abort(new Error('stopping'));
    expect(d.signal.aborted).toBe(true);
    expect(d.timedOut).toBe(false);
    expect((d.signal.reason as Error).message).toBe('stopping');
    d.dispose();
    expect(deadline(parent.signal, 60_000).signal.aborted).toBe(true); // an aborted parent aborts it at once
  });

  it('lets go of its parent when disposed: a later parent abort no longer reaches it', () => {
    const parent = new AbortController();
    const d = deadline(parent.signal, 60_000);
    d.dispose();
    parent.abort();
    expect(d.signal.aborted).toBe(false);
  });
});

describe('shared deadlines', () => {
  it('gives the attempts that end at the same moment one signal, and lets go of it after the last', () => {
    const parent = new AbortController();
    const deadlines = new SharedDeadlines(parent.signal, () => 1_000);
    const a = deadlines.acquire(61_000);
    expect(deadlines.acquire(61_000)).toBe(a);
    const b = deadlines.acquire(62_000);
    expect(b).not.toBe(a);
    deadlines.release(61_000);
    expect(deadlines.size).toBe(2);
    deadlines.release(61_000);
    deadlines.release(62_000);
    expect(deadlines.size).toBe(0);
    // Released: a stop no longer reaches them.
    parent.abort();
    expect(a.aborted).toBe(false);
    expect(b.aborted).toBe(false);
  });

  it('aborts every attempt sharing it when its moment comes, or on a stop', async () => {
    const parent = new AbortController();
    const deadlines = new SharedDeadlines(parent.signal, Date.now);
    const soon = deadlines.acquire(Date.now() + 5);
    await new Promise((r) => soon.addEventListener('abort', r));
    expect((soon.reason as Error).name).toBe('TimeoutError');
    const later = deadlines.acquire(Date.now() + 60_000);
    parent.abort(new Error('stopping'));
    expect(later.aborted).toBe(true);
  });
});
