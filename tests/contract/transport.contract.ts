import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DestinationConfig, RetryConfig } from '../../src/config/schema.ts';
import type { MessageStatus, MessageStore } from '../../src/store/types.ts';
import type { Transport } from '../../src/transport/types.ts';
import { type Receiver, type Reply, startReceiver } from '../helpers/http-receiver.ts';
import { wmo301 } from '../helpers/messages.ts';

export interface TransportStartOptions {
  destinations: DestinationConfig[];
  retry: RetryConfig;
  concurrency?: number;
}

/** A transport implementation over fresh storage (and, for a broker, fresh queues). */
export interface TransportHarness {
  store: MessageStore;
  /** Builds and starts a transport; it is running (consuming, for a broker) when this resolves. */
  start(options: TransportStartOptions): Promise<Transport>;
  /** Stops what `start` started and removes the storage and queues. */
  dispose(): Promise<void>;
}

const RETRY: RetryConfig = { maxAttempts: 5, baseDelayMs: 20, maxDelayMs: 1000, jitter: 0 };
const WAIT = { timeout: 20_000, interval: 10 };

/** The behaviour every Transport implementation must show, with a real HTTP receiver as the destination. */
export function transportContract(name: string, makeHarness: () => Promise<TransportHarness>): void {
  describe(`Transport contract: ${name}`, () => {
    let h: TransportHarness;
    let receiver: Receiver | undefined;

    beforeEach(async () => {
      h = await makeHarness();
    });
    afterEach(async () => {
      await h.dispose();
      await receiver?.close();
      receiver = undefined;
    });

    async function receiving(answer: (index: number) => Reply): Promise<DestinationConfig> {
      receiver = await startReceiver((_req, i) => answer(i));
      return { id: 'receiver', adapter: 'webhook', url: `${receiver.url}/berichten`, timeoutMs: 5000, headers: {} };
    }

    async function enqueue(n = 1, destination = 'receiver'): Promise<string[]> {
      const ids: string[] = [];
      for (let i = 0; i < n; i++) {
        ids.push(
          (await h.store.insertMessage(wmo301({ berichtIdentificatie: `T-${i}`, destination }), 'caller:test')).id,
        );
      }
      return ids;
    }

    async function until(id: string, status: MessageStatus): Promise<void> {
      await vi.waitFor(async () => expect((await h.store.getMessage(id))!.status).toBe(status), WAIT);
    }

    it('delivers a queued message and records one attempt', async () => {
      const transport = await h.start({
        destinations: [await receiving(() => ({ status: 200, body: 'ok' }))],
        retry: RETRY,
      });
      const [id] = await enqueue();
      transport.kick();
      await until(id!, 'delivered');
      expect(receiver!.requests).toHaveLength(1);
      expect(receiver!.requests[0]!.body.toString()).toBe(wmo301({ berichtIdentificatie: 'T-0' }).body);
      expect(receiver!.requests[0]!.headers['x-schakel-id']).toBe(id);
      expect(await h.store.deliveryAttempts(id!)).toMatchObject([
        { attemptNo: 1, outcome: 'delivered', httpStatus: 200, answerExcerpt: 'ok' },
      ]);
      expect((await h.store.statusHistory(id!)).map((s) => s.to)).toEqual(['queued', 'delivered']);
    });

    it('retries with exponential backoff, visible in the attempts, then delivers', async () => {
      const destination = await receiving((i) => (i < 3 ? { status: 503, body: 'onderhoud' } : { status: 200 }));
      const transport = await h.start({ destinations: [destination], retry: RETRY });
      const [id] = await enqueue();
      transport.kick();
      await until(id!, 'delivered');
      const attempts = await h.store.deliveryAttempts(id!);
      expect(attempts.map((a) => [a.attemptNo, a.outcome, a.httpStatus, a.resultStatus])).toEqual([
        [1, 'retry', 503, 'queued'],
        [2, 'retry', 503, 'queued'],
        [3, 'retry', 503, 'queued'],
        [4, 'delivered', 200, 'delivered'],
      ]);
      expect(attempts.slice(0, 3).map((a) => a.nextAttemptAt!.getTime() - a.finishedAt.getTime())).toEqual([
        20, 40, 80,
      ]);
      for (let i = 1; i < attempts.length; i++) {
        // Never before its time.
        expect(attempts[i]!.startedAt.getTime()).toBeGreaterThanOrEqual(attempts[i - 1]!.nextAttemptAt!.getTime());
      }
      expect(receiver!.requests.map((r) => r.headers['x-schakel-attempt'])).toEqual(['1', '2', '3', '4']);
      // The retries leave the stored status queued (their attempts say why); delivering is never written.
      expect((await h.store.statusHistory(id!)).map((s) => [s.from, s.to])).toEqual([
        [null, 'queued'],
        ['queued', 'delivered'],
      ]);
    });

    it('gives up after maxAttempts: the message is dead', async () => {
      const transport = await h.start({
        destinations: [await receiving(() => ({ status: 503 }))],
        retry: { ...RETRY, maxAttempts: 3 },
      });
      const [id] = await enqueue();
      transport.kick();
      await until(id!, 'dead');
      expect(receiver!.requests).toHaveLength(3);
      const attempts = await h.store.deliveryAttempts(id!);
      expect(attempts.map((a) => a.resultStatus)).toEqual(['queued', 'queued', 'dead']);
      expect(attempts[2]!.nextAttemptAt).toBeNull();
      expect((await h.store.getMessage(id!))!.statusReason).toMatch(/^HTTP 503/);
    });

    it('does not retry a permanent refusal: the message failed', async () => {
      const transport = await h.start({
        destinations: [await receiving(() => ({ status: 400, body: 'nee' }))],
        retry: RETRY,
      });
      const [id] = await enqueue();
      transport.kick();
      await until(id!, 'failed');
      expect(receiver!.requests).toHaveLength(1);
      expect(await h.store.deliveryAttempts(id!)).toMatchObject([
        { outcome: 'failed', httpStatus: 400, resultStatus: 'failed' },
      ]);
    });

    it('fails a message whose destination is not configured', async () => {
      const transport = await h.start({ destinations: [await receiving(() => ({ status: 200 }))], retry: RETRY });
      const [id] = await enqueue(1, 'not-configured');
      transport.kick();
      await until(id!, 'failed');
      expect((await h.store.getMessage(id!))!.statusReason).toBe('unknown destination "not-configured"');
      expect(receiver!.requests).toHaveLength(0);
    });

    it('delivers many messages, each recorded once, at most `concurrency` at a time', async () => {
      const transport = await h.start({
        destinations: [await receiving(() => ({ status: 200, delayMs: 20 }))],
        retry: RETRY,
        concurrency: 3,
      });
      const ids = await enqueue(40);
      transport.kick();
      for (const id of ids) await until(id, 'delivered');
      expect(new Set(receiver!.requests.map((r) => r.headers['x-schakel-id']))).toEqual(new Set(ids));
      expect(receiver!.maxConcurrent).toBeLessThanOrEqual(3);
      for (const id of ids) expect(await h.store.deliveryAttempts(id)).toHaveLength(1);
    });

    it('stop() waits for the delivery in flight to finish and be recorded', async () => {
      const transport = await h.start({
        destinations: [await receiving(() => ({ status: 200, delayMs: 300 }))],
        retry: RETRY,
      });
      const [id] = await enqueue();
      transport.kick();
      await vi.waitFor(() => expect(receiver!.requests).toHaveLength(1), WAIT);
      await transport.stop();
      expect((await h.store.getMessage(id!))!.status).toBe('delivered');
      expect(await h.store.deliveryAttempts(id!)).toHaveLength(1);
    });

    it('on a forced stop hands the delivery back uncounted; the next run delivers it', async () => {
      const destination = await receiving((i) => (i === 0 ? { status: 200, delayMs: 10_000 } : { status: 200 }));
      const first = await h.start({ destinations: [destination], retry: RETRY });
      const [id] = await enqueue();
      first.kick();
      await vi.waitFor(() => expect(receiver!.requests).toHaveLength(1), WAIT);
      await first.stop({ abortAfterMs: 10 });
      expect((await h.store.getMessage(id!))!.status).toBe('queued');
      expect(await h.store.deliveryAttempts(id!)).toEqual([]);
      const second = await h.start({ destinations: [destination], retry: RETRY });
      second.kick();
      await until(id!, 'delivered');
      expect((await h.store.deliveryAttempts(id!)).map((a) => a.attemptNo)).toEqual([1]);
    });
  });
}
