/**
 * Paced load for the reliability run: bericht i is released at start + i·(duration/count) and posted, with at
 * most `concurrency` in flight, to a live gateway instance. A post that gets no answer (the instance was
 * killed) or a 5xx (nothing stored) is posted again, as a client would, until it gets an answer or `giveUpMs`
 * passes. A 202 or a 200 (repeat: stored before, its answer lost) carries the message id.
 */
import { type PostResult, postBericht } from '../../tests/helpers/scale-out.ts';
import type { DeliveryTally } from './tally.ts';

export interface LoadOptions {
  count: number;
  durationMs: number;
  concurrency: number;
  /** The instances taking posts right now; bericht i prefers the (i mod n)-th. */
  urls: () => string[];
  body: (i: number) => string;
  /** How long one bericht is posted again before the load gives up on it. */
  giveUpMs: number;
}

export interface LoadStats {
  /** First answers that settled a bericht, by status (202, 200, or a refusal). */
  answers: Map<number, number>;
  /** Posts made again, by the status of the attempt that failed (0 = no answer). */
  retried: Map<number, number>;
  /** Berichten given up on after `giveUpMs` without an answer. */
  gaveUp: number;
  /** The longest time any post took to its answer (a stalled store shows here). */
  slowestMs: number;
  /** When the last bericht was settled (performance.now()). */
  endedAt: number;
}

const RETRYABLE = new Set([0, 500, 502, 503, 504]);

export async function runLoad(o: LoadOptions, tally: DeliveryTally): Promise<LoadStats> {
  const stats: LoadStats = { answers: new Map(), retried: new Map(), gaveUp: 0, slowestMs: 0, endedAt: 0 };
  const count = (m: Map<number, number>, k: number) => m.set(k, (m.get(k) ?? 0) + 1);
  const started = performance.now();
  const interval = o.durationMs / Math.max(1, o.count);
  let next = 0;

  const one = async (i: number): Promise<void> => {
    const body = o.body(i);
    tally.recordSent();
    const firstTry = performance.now();
    for (let attempt = 0; ; attempt++) {
      const urls = o.urls();
      let result: PostResult = { status: 0, ms: 0, error: 'no live instance' };
      if (urls.length) result = await postBericht(urls[(i + attempt) % urls.length]!, body, undefined, 15_000);
      if (result.status !== 0) stats.slowestMs = Math.max(stats.slowestMs, result.ms);
      if ((result.status === 202 || result.status === 200) && result.id) {
        tally.recordAccepted(result.id);
        count(stats.answers, result.status);
        return;
      }
      if (!RETRYABLE.has(result.status)) {
        count(stats.answers, result.status);
        return;
      }
      count(stats.retried, result.status);
      if (performance.now() - firstTry > o.giveUpMs) {
        stats.gaveUp++;
        return;
      }
      await sleep(Math.min(2000, 100 * 2 ** Math.min(attempt, 5)));
    }
  };

  const worker = async () => {
    for (let i = next++; i < o.count; i = next++) {
      const due = started + i * interval;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      await one(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.concurrency, o.count) }, worker));
  stats.endedAt = performance.now();
  return stats;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
