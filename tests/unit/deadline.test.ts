import { describe, expect, it } from 'vitest';
import { deadline } from '../../src/transport/deadline.ts';

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
