import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type {
  Lease,
  MessageFilter,
  MessageStatus,
  MessageStore,
  NewMessage,
  NextStep,
  RecordedAttempt,
} from '../../src/store/types.ts';
import { BSN, stufDi01, wmo301 } from '../helpers/messages.ts';

/** A WMO302 that the pipeline already linked to its heenbericht (the serialised insert path). */
const answerTo = (heenId: string) =>
  wmo301({
    messageName: 'WMO302',
    direction: 'retour',
    dedup: { scope: 'istd', sender: '42420001', identificatie: 'R-1' },
    correlatedTo: heenId,
    answerSummary: '0001',
    body: '<r/>',
  });

/** An XSD finding whose text quotes a BSN (stored, it must be masked). */
const BSN_FINDING = {
  level: 'xsd' as const,
  code: 'XSD',
  retourcode: null,
  line: 3,
  column: 9,
  path: '/Bericht/Client/Bsn',
  text: `'${BSN}' is not valid`,
};

/**
 * Builds a store on fresh storage that reads time from `clock`; `dispose` closes it and removes the storage.
 * `writeStatus` sets a message's stored status directly, as an older version of the store wrote it.
 */
export type MakeStore = (clock: () => number) => Promise<{
  store: MessageStore;
  dispose(): Promise<void>;
  writeStatus(id: string, status: MessageStatus): Promise<void>;
}>;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const attemptAt = (
  t: number,
  outcome: 'delivered' | 'retry' | 'failed',
  extra: { httpStatus?: number; reason?: string; answer?: string } = {},
) => ({
  startedAt: new Date(t),
  finishedAt: new Date(t + 5),
  outcome,
  ...extra,
});

/** The behaviour every MessageStore implementation must show. */
export function storeContract(name: string, makeStore: MakeStore): void {
  describe(`MessageStore contract: ${name}`, () => {
    let now: number;
    let store: MessageStore;
    let dispose: () => Promise<void>;
    let writeStatus: (id: string, status: MessageStatus) => Promise<void>;
    const advance = (ms: number) => {
      now += ms;
    };

    beforeEach(async () => {
      now = Date.UTC(2026, 0, 15, 9, 0, 0);
      ({ store, dispose, writeStatus } = await makeStore(() => now));
    });
    afterEach(async () => {
      await dispose();
    });

    async function leaseOne(owner = 'w1', leaseMs = 60_000): Promise<Lease> {
      const leases = await store.leaseDue(owner, 10, leaseMs);
      expect(leases).toHaveLength(1);
      return leases[0]!;
    }

    async function complete(lease: Lease, outcome: 'delivered' | 'retry' | 'failed', next: NextStep, extra = {}) {
      return store.completeDelivery(lease, attemptAt(now, outcome, extra), next);
    }

    describe('insert and duplicates', () => {
      it('stores a message with its metadata, body, history and first outbox row', async () => {
        const r = await store.insertMessage(wmo301(), 'caller:demo-wijkteam');
        expect(r.kind).toBe('inserted');
        const m = await store.getMessage(r.id);
        // The insert hands back the stored message itself, exactly as a later read shows it.
        expect(r.kind === 'inserted' && r.message).toEqual(m);
        expect(m).toMatchObject({
          id: r.id,
          standard: 'iwmo',
          messageName: 'WMO301',
          afzender: '0363',
          ontvanger: '42420001',
          berichtIdentificatie: 'ID-0001',
          dagtekening: '2026-01-15',
          status: 'queued',
          destination: 'dest-a',
          attempts: 0,
          hasBody: true,
          source: { kind: 'caller', id: 'demo-wijkteam' },
          dedup: { scope: 'istd', sender: '0363', identificatie: 'ID-0001' },
        });
        expect(m!.receivedAt.getTime()).toBe(now);
        expect(m!.contentHash).toMatch(/^[0-9a-f]{64}$/);
        expect((await store.getBody(r.id))!.toString('utf8')).toBe(wmo301().body);
        expect(await store.statusHistory(r.id)).toEqual([
          { at: new Date(now), from: null, to: 'queued', actor: 'caller:demo-wijkteam', reason: null },
        ]);
        const lease = await leaseOne();
        expect(lease.messageId).toBe(r.id);
        expect(lease.destination).toBe('dest-a');
        expect(lease.message.body!.toString('utf8')).toBe(wmo301().body);
      });

      it('keeps the bytes of a binary body exactly', async () => {
        const bytes = Buffer.from([0x3c, 0x61, 0x3e, 0xe9, 0x00, 0xff, 0x3c, 0x2f, 0x61, 0x3e]);
        const r = await store.insertMessage(wmo301({ body: bytes }), 'a');
        expect((await store.getBody(r.id))!.equals(bytes)).toBe(true);
        expect((await store.getMessage(r.id))!.bodySize).toBe(bytes.length);
      });

      it('answers a repeat with the same content with the first receipt, and queues nothing new', async () => {
        const first = await store.insertMessage(wmo301(), 'a');
        advance(1000);
        const again = await store.insertMessage(wmo301(), 'a');
        expect(again).toEqual({ kind: 'duplicate-same', id: first.id });
        expect((await store.listMessages()).total).toBe(1);
        expect(await store.leaseDue('w', 10, 60_000)).toHaveLength(1);
      });

      it('compares a repeat on its given content hash when there is one (the bericht inside an envelope)', async () => {
        const bericht = 'a'.repeat(64);
        const first = await store.insertMessage(wmo301({ body: '<Envelop ref="1"/>', contentHash: bericht }), 'a');
        const resent = await store.insertMessage(wmo301({ body: '<Envelop ref="2"/>', contentHash: bericht }), 'a');
        expect(resent).toEqual({ kind: 'duplicate-same', id: first.id });
        const other = await store.insertMessage(
          wmo301({ body: '<Envelop ref="3"/>', contentHash: 'b'.repeat(64) }),
          'a',
        );
        expect(other).toEqual({ kind: 'duplicate-different', id: first.id });
      });

      it('refuses a repeat of the identity with other content (TR056) and audits it', async () => {
        const first = await store.insertMessage(wmo301(), 'a');
        const other = await store.insertMessage(wmo301({ body: '<Bericht>anders</Bericht>' }), 'caller:x');
        expect(other).toEqual({ kind: 'duplicate-different', id: first.id });
        expect((await store.listMessages()).total).toBe(1);
        const audit = await store.listAudit({ targetId: first.id });
        expect(audit.map((e) => [e.action, e.actor])).toContainEqual(['message.duplicate-different', 'caller:x']);
      });

      it('scopes iStandaarden identity by sender and message name', async () => {
        await store.insertMessage(wmo301(), 'a');
        const otherSender = await store.insertMessage(wmo301({ afzender: '0384' }), 'a');
        const otherMessage = await store.insertMessage(
          wmo301({ messageName: 'WMO319', berichtcode: '482', body: '<x/>' }),
          'a',
        );
        expect(otherSender.kind).toBe('inserted');
        expect(otherMessage.kind).toBe('inserted');
      });

      it('scopes StUF identity by zender and referentienummer, whatever the message (StUF016)', async () => {
        const first = await store.insertMessage(stufDi01(), 'a');
        const otherMessage = await store.insertMessage(stufDi01({ messageName: 'gmDi01', body: '<gm/>' }), 'a');
        expect(otherMessage).toEqual({ kind: 'duplicate-different', id: first.id });
        const otherZender = await store.insertMessage(stufDi01({ afzender: '0384' }), 'a');
        expect(otherZender.kind).toBe('inserted');
      });

      it('lets rejected messages take no part in uniqueness', async () => {
        const rejected = await store.insertMessage(
          wmo301({ status: 'rejected', destination: null, statusReason: 'XSD' }),
          'a',
        );
        expect(rejected.kind).toBe('inserted');
        expect((await store.getMessage(rejected.id))!.settledAt).not.toBeNull();
        const accepted = await store.insertMessage(wmo301(), 'a');
        expect(accepted.kind).toBe('inserted');
        expect(accepted.id).not.toBe(rejected.id);
        expect(await store.leaseDue('w', 10, 60_000)).toHaveLength(1);
      });

      it('creates no outbox row for messages that are not queued', async () => {
        await store.insertMessage(wmo301({ status: 'on_hold', statusReason: 'review' }), 'a');
        await store.insertMessage(wmo301({ berichtIdentificatie: 'ID-2', status: 'received', destination: null }), 'a');
        expect(await store.leaseDue('w', 10, 60_000)).toEqual([]);
        expect(await store.nextDueAt()).toBeNull();
      });

      it('hands back each inserted message as a read shows it: concurrent inserts, findings, an answer', async () => {
        const heen = await store.insertMessage(wmo301(), 'a');
        const results = await Promise.all([
          // Inserted together (PostgreSQL: one statement for all of them).
          ...['B-1', 'B-2', 'B-3'].map((id) =>
            store.insertMessage(wmo301({ dedup: { scope: 'istd', sender: '0363', identificatie: id } }), 'caller:x'),
          ),
          store.insertMessage(
            wmo301({
              dedup: { scope: 'istd', sender: '0363', identificatie: 'B-4' },
              status: 'rejected',
              destination: null,
              statusReason: `bad value ${BSN}`,
              findings: [BSN_FINDING],
            }),
            'caller:x',
          ),
          // An answer that knows its heen (the serialised path).
          store.insertMessage(answerTo(heen.id), 'a'),
        ]);
        for (const r of results) {
          expect(r.kind).toBe('inserted');
          expect(r.kind === 'inserted' && r.message).toEqual(await store.getMessage(r.id));
        }
        expect(results[3]!.kind === 'inserted' && results[3]!.message.findings[0]!.text).toBe(
          "'*********' is not valid",
        );
      });

      it('rejects a queued message without destination', async () => {
        await expect(store.insertMessage(wmo301({ destination: null }), 'a')).rejects.toThrow(/destination/);
      });

      it('masks BSN-shaped numbers in stored findings and reasons', async () => {
        const r = await store.insertMessage(
          wmo301({
            status: 'rejected',
            destination: null,
            statusReason: `bad value ${BSN}`,
            findings: [BSN_FINDING],
          }),
          'a',
        );
        const m = await store.getMessage(r.id);
        expect(JSON.stringify(m)).not.toContain(BSN);
        expect(m!.findings[0]!.text).toBe("'*********' is not valid");
        expect(m!.statusReason).toBe('bad value *********');
      });
    });

    describe('outbox and delivery', () => {
      it('leases a delivery to one worker and gives it to another only after the lease expired', async () => {
        const { id } = await store.insertMessage(wmo301(), 'a');
        const first = await leaseOne('w1', 30_000);
        expect(first.attempt).toBe(1);
        expect((await store.getMessage(id))!.status).toBe('delivering');
        expect(await store.leaseDue('w2', 10, 30_000)).toEqual([]);
        expect((await store.nextDueAt())!.getTime()).toBe(now + 30_000);
        // An unleased row due now comes first; once it is leased too, the earliest lease expiry is next.
        advance(1_000);
        await store.insertMessage(wmo301({ berichtIdentificatie: 'ID-0002' }), 'a');
        expect((await store.nextDueAt())!.getTime()).toBe(now);
        await leaseOne('w3', 60_000);
        expect((await store.nextDueAt())!.getTime()).toBe(now + 29_000);
        advance(-1_000);

        advance(30_000);
        const second = await leaseOne('w2', 30_000);
        expect(second.messageId).toBe(id);
        expect(second.token).not.toBe(first.token);
        expect(second.attempt).toBe(1);

        // The first worker comes back late: its attempt is kept, but the state belongs to the new lease.
        expect(await complete(first, 'delivered', { kind: 'delivered' })).toEqual({ kind: 'lease-lost' });
        expect((await store.getMessage(id))!.status).toBe('delivering');
        expect(await complete(second, 'delivered', { kind: 'delivered' })).toEqual({
          kind: 'recorded',
          status: 'delivered',
        });
        const attempts = await store.deliveryAttempts(id);
        expect(attempts.map((a) => [a.attemptNo, a.outcome, a.resultStatus])).toEqual([
          [1, 'delivered', 'delivering'],
          [2, 'delivered', 'delivered'],
        ]);
      });

      it('leases at most `limit` rows, oldest due first', async () => {
        const ids: string[] = [];
        for (let i = 0; i < 5; i++) {
          ids.push((await store.insertMessage(wmo301({ berichtIdentificatie: `ID-${i}` }), 'a')).id);
          advance(10);
        }
        const a = await store.leaseDue('w1', 2, 60_000);
        const b = await store.leaseDue('w2', 10, 60_000);
        expect(a.map((l) => l.messageId)).toEqual(ids.slice(0, 2));
        expect(b.map((l) => l.messageId)).toEqual(ids.slice(2));
      });

      it('marks a delivered message settled and removes its outbox row', async () => {
        const { id } = await store.insertMessage(wmo301(), 'a');
        const lease = await leaseOne();
        advance(100);
        const r = await complete(lease, 'delivered', { kind: 'delivered' }, { httpStatus: 202, answer: 'ok' });
        expect(r).toEqual({ kind: 'recorded', status: 'delivered' });
        const m = (await store.getMessage(id))!;
        expect(m).toMatchObject({ status: 'delivered', attempts: 1, nextAttemptAt: null });
        expect(m.settledAt!.getTime()).toBe(now);
        expect(await store.nextDueAt()).toBeNull();
        // Delivering is read from the lease, never written: the completion moves the stored queued on.
        expect((await store.statusHistory(id)).map((h) => [h.from, h.to])).toEqual([
          [null, 'queued'],
          ['queued', 'delivered'],
        ]);
        const [attempt] = await store.deliveryAttempts(id);
        expect(attempt).toMatchObject({
          attemptNo: 1,
          outcome: 'delivered',
          httpStatus: 202,
          answerExcerpt: 'ok',
          durationMs: 5,
        });
      });

      it('schedules retries: not due before their time, attempt numbers counting up', async () => {
        const { id } = await store.insertMessage(wmo301(), 'a');
        let lease = await leaseOne();
        for (const delay of [1000, 2000, 4000]) {
          const r = await complete(
            lease,
            'retry',
            { kind: 'retry', at: new Date(now + delay) },
            { httpStatus: 503, reason: 'HTTP 503' },
          );
          expect(r).toEqual({ kind: 'recorded', status: 'queued' });
          const m = (await store.getMessage(id))!;
          expect(m.status).toBe('queued');
          expect(m.nextAttemptAt!.getTime()).toBe(now + delay);
          expect((await store.nextDueAt())!.getTime()).toBe(now + delay);
          advance(delay - 1);
          expect(await store.leaseDue('w', 10, 60_000)).toEqual([]);
          advance(1);
          const nextLease = await leaseOne();
          expect(nextLease.attempt).toBe(lease.attempt + 1);
          lease = nextLease;
        }
        const attempts = await store.deliveryAttempts(id);
        expect(attempts.map((a) => a.attemptNo)).toEqual([1, 2, 3]);
        expect(attempts.map((a) => a.nextAttemptAt!.getTime() - a.finishedAt.getTime())).toEqual([995, 1995, 3995]);
        expect(attempts.every((a) => a.reason === 'HTTP 503' && a.resultStatus === 'queued')).toBe(true);
      });

      it('gives up as dead or failed and records why', async () => {
        const dead = await store.insertMessage(wmo301(), 'a');
        const failed = await store.insertMessage(wmo301({ berichtIdentificatie: 'ID-2' }), 'a');
        const [l1, l2] = await store.leaseDue('w', 10, 60_000);
        await complete(l1!, 'retry', { kind: 'dead' }, { reason: `HTTP 503 for ${BSN}` });
        await complete(
          l2!,
          'failed',
          { kind: 'failed' },
          { httpStatus: 400, reason: 'HTTP 400 Bad Request', answer: `no such client ${BSN}` },
        );
        expect(await store.getMessage(dead.id)).toMatchObject({
          status: 'dead',
          statusReason: 'HTTP 503 for *********',
        });
        expect(await store.getMessage(failed.id)).toMatchObject({
          status: 'failed',
          statusReason: 'HTTP 400 Bad Request',
        });
        const [attempt] = await store.deliveryAttempts(failed.id);
        expect(attempt!.answerExcerpt).toBe('no such client *********');
        expect(await store.nextDueAt()).toBeNull();
      });

      it('reports each recorded attempt to its listeners (no message content); a throwing listener breaks nothing', async () => {
        const seen: RecordedAttempt[] = [];
        const stop = store.onAttemptRecorded((e) => seen.push(e));
        const stopBroken = store.onAttemptRecorded(() => {
          throw new Error('listener broke');
        });
        await store.insertMessage(wmo301(), 'a');
        const first = await complete(await leaseOne(), 'retry', { kind: 'retry', at: new Date(now + 1000) });
        expect(first).toEqual({ kind: 'recorded', status: 'queued' });
        stop();
        advance(1000);
        expect(await complete(await leaseOne(), 'delivered', { kind: 'delivered' })).toEqual({
          kind: 'recorded',
          status: 'delivered',
        });
        stopBroken();
        expect(seen).toEqual([{ destination: 'dest-a', outcome: 'retry', next: 'retry', seconds: 0.005 }]);
      });

      it('hands a released lease back uncounted and due at once', async () => {
        const { id } = await store.insertMessage(wmo301(), 'a');
        const lease = await leaseOne('w1', 60_000);
        expect(await store.releaseLease(lease)).toBe(true);
        expect(await store.getMessage(id)).toMatchObject({ status: 'queued' });
        const again = await leaseOne('w2');
        expect(again.attempt).toBe(1);
        expect(await store.deliveryAttempts(id)).toEqual([]);
        expect(await store.releaseLease(lease)).toBe(false);
      });

      it('reads delivering from the delivery lease alone: message, lists, filters and counts; queued again once released', async () => {
        const { id } = await store.insertMessage(wmo301(), 'a');
        advance(10);
        const other = (await store.insertMessage(wmo301({ berichtIdentificatie: 'ID-2' }), 'a')).id;
        // A first attempt fails, so the stored message carries a reason and a next attempt.
        const [first] = await store.leaseDue('w0', 1, 60_000);
        await complete(first!, 'retry', { kind: 'retry', at: new Date(now) }, { reason: 'HTTP 503' });
        const waiting = (await store.getMessage(id))!;
        expect(waiting).toMatchObject({ status: 'queued', statusReason: 'HTTP 503' });
        expect(waiting.nextAttemptAt).not.toBeNull();

        const [lease] = await store.leaseDue('w1', 1, 60_000);
        expect(lease!.messageId).toBe(id);
        const read = (await store.getMessage(id))!;
        expect(read).toMatchObject({ status: 'delivering', statusReason: null, nextAttemptAt: null });
        const statusesOf = async (status: MessageFilter['status']) => {
          const page = await store.listMessages({ status });
          return { ids: page.items.map((m) => [m.id, m.status]), total: page.total };
        };
        expect(await statusesOf('delivering')).toEqual({ ids: [[id, 'delivering']], total: 1 });
        expect(await statusesOf('queued')).toEqual({ ids: [[other, 'queued']], total: 1 });
        expect(await statusesOf(['queued', 'delivering'])).toEqual({
          ids: [
            [other, 'queued'],
            [id, 'delivering'],
          ],
          total: 2,
        });
        expect(await statusesOf(['delivering', 'delivered'])).toEqual({ ids: [[id, 'delivering']], total: 1 });
        expect((await store.listMessages()).items.find((m) => m.id === id)).toMatchObject({
          status: 'delivering',
          statusReason: null,
          nextAttemptAt: null,
        });
        expect(await store.statusCounts()).toMatchObject({ queued: 1, delivering: 1 });
        expect(await store.statusCounts({ destination: 'dest-a' })).toMatchObject({ queued: 1, delivering: 1 });
        expect((await store.gemeenteCounts()).filter((c) => c.n > 0).map((c) => [c.status, c.n])).toEqual([
          ['delivering', 1],
          ['queued', 1],
        ]);
        const unanswered = await store.listUnanswered({ receivedBefore: new Date(now + 1), limit: 10 });
        expect(unanswered.map((u) => [u.id, u.status])).toEqual([
          [id, 'delivering'],
          [other, 'queued'],
        ]);
        // Nothing was written for it: the history holds the insert only.
        expect((await store.statusHistory(id)).map((h) => h.to)).toEqual(['queued']);

        // A lease that ran out but was not taken again still reads delivering, as the written status did.
        advance(60_000);
        expect((await store.getMessage(id))!.status).toBe('delivering');
        expect((await store.statusCounts()).delivering).toBe(1);

        expect(await store.releaseLease(lease!)).toBe(true);
        // Released: queued, as it read before the lease was taken.
        expect(await store.getMessage(id)).toMatchObject({
          status: 'queued',
          statusReason: waiting.statusReason,
          nextAttemptAt: waiting.nextAttemptAt,
        });
        expect(await statusesOf('delivering')).toEqual({ ids: [], total: 0 });
        expect((await statusesOf('queued')).total).toBe(2);
        expect(await store.statusCounts()).toMatchObject({ queued: 2, delivering: 0 });
        expect((await store.statusHistory(id)).map((h) => h.to)).toEqual(['queued']);
      });
      it('reads a delivering status an older version wrote by its lease, and completes it from there', async () => {
        const { id } = await store.insertMessage(wmo301(), 'a');
        const lease = await leaseOne('old-version', 60_000);
        await writeStatus(id, 'delivering');
        expect((await store.getMessage(id))!.status).toBe('delivering');
        expect((await store.listMessages({ status: 'delivering' })).total).toBe(1);
        expect(await store.statusCounts()).toMatchObject({ queued: 0, delivering: 1 });
        // Handed back it reads queued, as the older version's release wrote it.
        expect(await store.releaseLease(lease)).toBe(true);
        expect((await store.getMessage(id))!.status).toBe('queued');
        expect((await store.listMessages({ status: 'queued' })).total).toBe(1);
        expect(await store.statusCounts()).toMatchObject({ queued: 1, delivering: 0 });
        // Its completion moves on from what is stored.
        await complete(await leaseOne(), 'delivered', { kind: 'delivered' });
        expect((await store.statusHistory(id)).map((h) => [h.from, h.to])).toEqual([
          [null, 'queued'],
          ['delivering', 'delivered'],
        ]);
      });
    });

    describe('broker outbox (scale-out relay and consumers)', () => {
      const ref = (l: { outboxId: number; token: string }) => ({ outboxId: l.outboxId, token: l.token });

      it('reads a message queued under a relay lease or in the broker, delivering once claimed', async () => {
        const { id } = await store.insertMessage(wmo301(), 'a');
        const readAs = async () => ({
          status: (await store.getMessage(id))!.status,
          delivering: (await store.listMessages({ status: 'delivering' })).total,
          queued: (await store.listMessages({ status: 'queued' })).total,
          counts: await store.statusCounts().then((c) => [c.queued, c.delivering]),
        });
        const queued = { status: 'queued', delivering: 0, queued: 1, counts: [1, 0] };
        const delivering = { status: 'delivering', delivering: 1, queued: 0, counts: [0, 1] };
        const [p] = await store.leaseForPublish('relay', 10, 30_000);
        expect(await readAs()).toEqual(queued);
        await store.markPublished([ref(p!)]);
        expect(await readAs()).toEqual(queued);
        expect((await store.claimPublished(ref(p!), 'consumer', 20_000)).kind).toBe('claimed');
        expect(await readAs()).toEqual(delivering);
        // The claim ran out: still delivering until the relay takes the row again, then queued.
        advance(20_000);
        expect(await readAs()).toEqual(delivering);
        expect(await store.leaseForPublish('relay', 10, 30_000)).toHaveLength(1);
        expect(await readAs()).toEqual(queued);
        expect((await store.statusHistory(id)).map((h) => h.to)).toEqual(['queued']);
      });

      it('leases due rows for publishing to one relay at a time, without touching the message status', async () => {
        const ids: string[] = [];
        for (let i = 0; i < 3; i++) {
          ids.push((await store.insertMessage(wmo301({ berichtIdentificatie: `ID-${i}` }), 'a')).id);
          advance(10);
        }
        const a = await store.leaseForPublish('relay-a', 2, 30_000);
        const b = await store.leaseForPublish('relay-b', 10, 30_000);
        expect(a.map((l) => l.messageId)).toEqual(ids.slice(0, 2));
        expect(b.map((l) => l.messageId)).toEqual(ids.slice(2));
        expect(a[0]).toMatchObject({ destination: 'dest-a', attempt: 1 });
        expect(a[0]!.dueAt.getTime()).toBe(now - 30);
        expect(new Set([...a, ...b].map((l) => l.token)).size).toBe(3);
        expect(await store.leaseForPublish('relay-c', 10, 30_000)).toEqual([]);
        expect((await store.getMessage(ids[0]!))!.status).toBe('queued');
        expect((await store.statusHistory(ids[0]!)).map((h) => h.to)).toEqual(['queued']);
        // Rows handed to a broker are not the embedded transport's.
        expect(await store.leaseDue('w', 10, 30_000)).toEqual([]);
      });

      it('keeps a published row out of the relay, and lets a consumer claim it as a delivery lease', async () => {
        const { id } = await store.insertMessage(wmo301(), 'a');
        const [p] = await store.leaseForPublish('relay', 10, 30_000);
        expect(await store.markPublished([ref(p!)])).toBe(1);
        expect(await store.markPublished([ref(p!)])).toBe(0);
        advance(60_000);
        expect(await store.leaseForPublish('relay', 10, 30_000)).toEqual([]);

        const claim = await store.claimPublished(ref(p!), 'consumer-1', 20_000);
        expect(claim.kind).toBe('claimed');
        const lease = (claim as Extract<typeof claim, { kind: 'claimed' }>).lease;
        expect(lease).toMatchObject({
          outboxId: p!.outboxId,
          token: p!.token,
          owner: 'consumer-1',
          messageId: id,
          attempt: 1,
        });
        expect(lease.leaseUntil.getTime()).toBe(now + 20_000);
        expect(lease.message.body!.toString('utf8')).toBe(wmo301().body);
        expect((await store.getMessage(id))!.status).toBe('delivering');
        // A second copy of the same publication (a broker redelivery) finds the claim live.
        expect(await store.claimPublished(ref(p!), 'consumer-2', 20_000)).toEqual({
          kind: 'busy',
          leaseUntil: new Date(now + 20_000),
        });
        expect(await store.hold(id, 'beheer')).toEqual({ ok: false, reason: 'in-flight', status: 'delivering' });

        expect(await complete(lease, 'delivered', { kind: 'delivered' })).toEqual({
          kind: 'recorded',
          status: 'delivered',
        });
        expect(await store.claimPublished(ref(p!), 'consumer-2', 20_000)).toEqual({ kind: 'stale' });
        expect((await store.statusHistory(id)).map((h) => h.to)).toEqual(['queued', 'delivered']);
        expect((await store.deliveryAttempts(id)).map((a) => [a.attemptNo, a.outcome])).toEqual([[1, 'delivered']]);
      });

      it('lets a consumer claim a publication before the relay saw the confirm', async () => {
        await store.insertMessage(wmo301(), 'a');
        const [p] = await store.leaseForPublish('relay', 10, 30_000);
        expect((await store.claimPublished(ref(p!), 'consumer', 60_000)).kind).toBe('claimed');
        expect(await store.markPublished([ref(p!)])).toBe(0);
        expect(await store.abandonPublish([ref(p!)])).toBe(0);
        // The relay's lease has run out, the consumer's has not.
        advance(30_000);
        expect(await store.leaseForPublish('relay', 10, 30_000)).toEqual([]);
      });

      it('publishes again under a new token when a publishing or claimed lease ran out; the old copy is stale', async () => {
        const { id } = await store.insertMessage(wmo301(), 'a');
        const [first] = await store.leaseForPublish('crashed-relay', 10, 30_000);
        advance(29_999);
        expect(await store.leaseForPublish('relay', 10, 30_000)).toEqual([]);
        advance(1);
        const [second] = await store.leaseForPublish('relay', 10, 30_000);
        expect(second!.token).not.toBe(first!.token);
        expect(await store.markPublished([ref(first!)])).toBe(0);
        expect(await store.claimPublished(ref(first!), 'consumer', 20_000)).toEqual({ kind: 'stale' });
        await store.markPublished([ref(second!)]);

        // A consumer claims it and dies: once its claim ran out the relay publishes it again.
        expect((await store.claimPublished(ref(second!), 'dying-consumer', 20_000)).kind).toBe('claimed');
        advance(20_000);
        const [third] = await store.leaseForPublish('relay', 10, 30_000);
        expect(third).toMatchObject({ messageId: id, attempt: 1 });
        expect(await store.claimPublished(ref(second!), 'consumer', 20_000)).toEqual({ kind: 'stale' });
        const claimed = await store.claimPublished(ref(third!), 'consumer', 20_000);
        expect(claimed.kind).toBe('claimed');
        expect((await store.getMessage(id))!.status).toBe('delivering');
        expect((await store.statusHistory(id)).map((h) => h.to)).toEqual(['queued']);
      });

      it('makes an abandoned publication due again at once', async () => {
        await store.insertMessage(wmo301(), 'a');
        const [p] = await store.leaseForPublish('relay', 10, 30_000);
        expect(await store.abandonPublish([ref(p!)])).toBe(1);
        const [again] = await store.leaseForPublish('relay', 10, 30_000);
        expect(again!.outboxId).toBe(p!.outboxId);
        expect(again!.token).not.toBe(p!.token);
        expect(await store.claimPublished(ref(p!), 'consumer', 20_000)).toEqual({ kind: 'stale' });
      });

      it('takes a scheduled retry within the horizon, so it can wait in a delay queue', async () => {
        const { id } = await store.insertMessage(wmo301(), 'a');
        const [p] = await store.leaseForPublish('relay', 10, 30_000);
        await store.markPublished([ref(p!)]);
        const claim = await store.claimPublished(ref(p!), 'consumer', 20_000);
        const lease = (claim as Extract<typeof claim, { kind: 'claimed' }>).lease;
        await complete(
          lease,
          'retry',
          { kind: 'retry', at: new Date(now + 5000) },
          { httpStatus: 503, reason: 'HTTP 503' },
        );
        expect((await store.getMessage(id))!.status).toBe('queued');
        expect(await store.leaseForPublish('relay', 10, 30_000)).toEqual([]);
        expect(await store.leaseForPublish('relay', 10, 30_000, { horizonMs: 4999 })).toEqual([]);
        const [retry] = await store.leaseForPublish('relay', 10, 30_000, { horizonMs: 5000 });
        expect(retry).toMatchObject({ messageId: id, attempt: 2 });
        expect(retry!.dueAt.getTime()).toBe(now + 5000);
        await store.markPublished([ref(retry!)]);
        advance(5000);
        const again = await store.claimPublished(ref(retry!), 'consumer', 20_000);
        expect(again.kind === 'claimed' && again.lease.attempt).toBe(2);
        // A retry leaves the stored status queued: no history row; the attempt records it.
        expect((await store.statusHistory(id)).map((h) => h.to)).toEqual(['queued']);
        expect((await store.deliveryAttempts(id)).map((a) => [a.attemptNo, a.resultStatus])).toEqual([[1, 'queued']]);
      });

      it('republishes a published row the broker lost, only long after it fell due', async () => {
        await store.insertMessage(wmo301(), 'a');
        const [p] = await store.leaseForPublish('relay', 10, 30_000);
        await store.markPublished([ref(p!)]);
        advance(59_999);
        expect(await store.leaseForPublish('relay', 10, 30_000, { republishAfterMs: 60_000 })).toEqual([]);
        advance(1);
        const [again] = await store.leaseForPublish('relay', 10, 30_000, { republishAfterMs: 60_000 });
        expect(again!.token).not.toBe(p!.token);
        expect(await store.claimPublished(ref(p!), 'consumer', 20_000)).toEqual({ kind: 'stale' });
      });

      it('lets beheer hold or cancel a delivery being published or waiting in the broker: the copy becomes stale', async () => {
        const { id } = await store.insertMessage(wmo301(), 'a');
        const [p] = await store.leaseForPublish('relay', 10, 30_000);
        expect(await store.hold(id, 'beheer')).toEqual({ ok: true, status: 'on_hold' });
        expect(await store.markPublished([ref(p!)])).toBe(0);
        expect(await store.claimPublished(ref(p!), 'consumer', 20_000)).toEqual({ kind: 'stale' });
        expect(await store.release(id, 'beheer')).toEqual({ ok: true, status: 'queued' });
        const [again] = await store.leaseForPublish('relay', 10, 30_000);
        expect(again!.messageId).toBe(id);
        await store.markPublished([ref(again!)]);
        expect(await store.cancel(id, 'beheer')).toEqual({ ok: true, status: 'cancelled' });
        expect(await store.claimPublished(ref(again!), 'consumer', 20_000)).toEqual({ kind: 'stale' });
        expect(await store.leaseForPublish('relay', 10, 30_000)).toEqual([]);
      });

      it('hands a released claim back to the relay, uncounted', async () => {
        const { id } = await store.insertMessage(wmo301(), 'a');
        const [p] = await store.leaseForPublish('relay', 10, 30_000);
        const claim = await store.claimPublished(ref(p!), 'consumer', 20_000);
        const lease = (claim as Extract<typeof claim, { kind: 'claimed' }>).lease;
        expect(await store.releaseLease(lease)).toBe(true);
        expect((await store.getMessage(id))!.status).toBe('queued');
        const [again] = await store.leaseForPublish('relay', 10, 30_000);
        expect(again).toMatchObject({ messageId: id, attempt: 1 });
        expect(await store.deliveryAttempts(id)).toEqual([]);
      });
    });

    describe('beheer actions', () => {
      async function deadMessage(): Promise<string> {
        const { id } = await store.insertMessage(wmo301(), 'a');
        const lease = await leaseOne();
        await complete(lease, 'retry', { kind: 'dead' }, { reason: 'HTTP 503' });
        return id;
      }

      it('resends under the same id with a new delivery round', async () => {
        const id = await deadMessage();
        advance(1000);
        expect(await store.resend(id, 'beheer:anna')).toEqual({ ok: true, status: 'queued' });
        const m = (await store.getMessage(id))!;
        expect(m).toMatchObject({ id, status: 'queued', settledAt: null, attempts: 1 });
        const lease = await leaseOne();
        expect(lease.messageId).toBe(id);
        expect(lease.attempt).toBe(1);
        await complete(lease, 'delivered', { kind: 'delivered' });
        expect((await store.deliveryAttempts(id)).map((a) => a.attemptNo)).toEqual([1, 2]);
        expect((await store.listMessages()).total).toBe(1);
        const audit = await store.listAudit({ targetId: id, action: 'message.resend' });
        expect(audit).toHaveLength(1);
        expect(audit[0]).toMatchObject({ actor: 'beheer:anna', details: { from: 'dead', to: 'queued' } });
      });

      it('resends to another destination when asked', async () => {
        const id = await deadMessage();
        await store.resend(id, 'beheer', { destination: 'dest-b' });
        expect((await leaseOne()).destination).toBe('dest-b');
        expect((await store.getMessage(id))!.destination).toBe('dest-b');
      });

      it('does not resend a message that is still pending', async () => {
        const { id } = await store.insertMessage(wmo301(), 'a');
        expect(await store.resend(id, 'beheer')).toEqual({ ok: false, reason: 'invalid-state', status: 'queued' });
        expect(await store.resend('no-such-id', 'beheer')).toEqual({ ok: false, reason: 'not-found' });
      });

      it('holds, releases and cancels', async () => {
        const { id } = await store.insertMessage(wmo301(), 'a');
        expect(await store.hold(id, 'beheer', 'check with aanbieder')).toEqual({ ok: true, status: 'on_hold' });
        expect(await store.leaseDue('w', 10, 60_000)).toEqual([]);
        expect((await store.getMessage(id))!.statusReason).toBe('check with aanbieder');
        expect(await store.release(id, 'beheer')).toEqual({ ok: true, status: 'queued' });
        const lease = await leaseOne();
        expect(await store.hold(id, 'beheer')).toEqual({ ok: false, reason: 'in-flight', status: 'delivering' });
        expect(await store.cancel(id, 'beheer')).toEqual({ ok: false, reason: 'in-flight', status: 'delivering' });
        await complete(lease, 'retry', { kind: 'retry', at: new Date(now + 5000) });
        expect(await store.cancel(id, 'beheer', 'sent by mistake')).toEqual({ ok: true, status: 'cancelled' });
        expect(await store.nextDueAt()).toBeNull();
        expect(await store.release(id, 'beheer')).toEqual({ ok: false, reason: 'invalid-state', status: 'cancelled' });
        expect((await store.statusHistory(id)).map((h) => [h.from, h.to])).toEqual([
          [null, 'queued'],
          ['queued', 'on_hold'],
          ['on_hold', 'queued'],
          ['queued', 'cancelled'],
        ]);
        const actions = (await store.listAudit({ targetId: id })).map((e) => e.action).reverse();
        expect(actions).toEqual(['message.hold', 'message.release', 'message.cancel']);
      });

      it('takes a delivery over from a worker whose lease ran out', async () => {
        const { id } = await store.insertMessage(wmo301(), 'a');
        await leaseOne('crashed', 10_000);
        advance(10_000);
        // The expired lease still reads delivering: what a delivering message may not do, it may not do.
        expect(await store.release(id, 'beheer')).toEqual({ ok: false, reason: 'invalid-state', status: 'delivering' });
        expect(await store.resend(id, 'beheer')).toEqual({ ok: false, reason: 'invalid-state', status: 'delivering' });
        expect(await store.hold(id, 'beheer')).toEqual({ ok: true, status: 'on_hold' });
        // The history moves from the stored status; the audit names the status beheer saw.
        expect((await store.statusHistory(id)).map((h) => [h.from, h.to])).toEqual([
          [null, 'queued'],
          ['queued', 'on_hold'],
        ]);
        const [audit] = await store.listAudit({ targetId: id, action: 'message.hold' });
        expect(audit!.details).toEqual({ from: 'delivering', to: 'on_hold' });
      });

      it('refuses to hold or cancel a claimed broker delivery in flight, and resends nothing that is delivering', async () => {
        const { id } = await store.insertMessage(wmo301(), 'a');
        const [p] = await store.leaseForPublish('relay', 10, 30_000);
        await store.markPublished([{ outboxId: p!.outboxId, token: p!.token }]);
        const claim = await store.claimPublished({ outboxId: p!.outboxId, token: p!.token }, 'consumer', 20_000);
        expect(claim.kind).toBe('claimed');
        const inFlight = { ok: false, reason: 'in-flight', status: 'delivering' };
        expect(await store.hold(id, 'beheer')).toEqual(inFlight);
        expect(await store.cancel(id, 'beheer')).toEqual(inFlight);
        expect(await store.release(id, 'beheer')).toEqual({ ok: false, reason: 'invalid-state', status: 'delivering' });
        expect((await store.getMessage(id))!.status).toBe('delivering');
        expect(await store.listAudit({ targetId: id })).toEqual([]);
      });
    });

    describe('correlation', () => {
      it('finds the heenbericht a retour answers and links the first retour as its answer', async () => {
        const heen = await store.insertMessage(wmo301(), 'a');
        const key = {
          scope: 'istd',
          messageName: 'WMO301',
          afzender: '0363',
          identificatie: 'ID-0001',
          dagtekening: '2026-01-15',
        } as const;
        expect((await store.findCorrelationTarget(key))!.id).toBe(heen.id);
        expect(await store.findCorrelationTarget({ ...key, dagtekening: '2026-01-16' })).toBeNull();

        const retour = (sender: string) =>
          wmo301({
            messageName: 'WMO302',
            direction: 'retour',
            berichtcode: '415',
            dedup: { scope: 'istd', sender: '42420001', identificatie: sender },
            source: { kind: 'inbound', id: 'demo-zorg' },
            destination: 'inbox',
            body: `<retour>${sender}</retour>`,
          });
        const r1 = await store.insertMessage(retour('R-1'), 'inbound:demo-zorg');
        const r2 = await store.insertMessage(retour('R-2'), 'inbound:demo-zorg');
        expect(await store.linkRetour(r1.id, heen.id, 'pipeline', '0200')).toEqual({ ok: true, firstAnswer: true });
        expect(await store.linkRetour(r2.id, heen.id, 'pipeline', '0200')).toEqual({ ok: true, firstAnswer: false });
        expect(await store.getMessage(heen.id)).toMatchObject({ answeredBy: r1.id, answerSummary: '0200' });
        expect((await store.getMessage(r2.id))!.correlatedTo).toBe(heen.id);
        expect((await store.listMessages({ correlatedTo: heen.id })).total).toBe(2);
        expect(await store.linkRetour(r1.id, 'no-such-heen', 'pipeline')).toEqual({ ok: false, firstAnswer: false });
      });

      it('links at insert time when the pipeline already knows the heenbericht', async () => {
        const heen = await store.insertMessage(wmo301(), 'a');
        const retour = await store.insertMessage(answerTo(heen.id), 'a');
        expect(await store.getMessage(heen.id)).toMatchObject({ answeredBy: retour.id, answerSummary: '0001' });
      });

      it('finds the latest message that opened a case, from that zender; a follower linked to it is not its answer', async () => {
        const first = await store.insertMessage(stufDi01({ caseRef: 'zaak-hash-1' }), 'a');
        advance(1000);
        const second = await store.insertMessage(
          stufDi01({ referentienummer: 'c3d4e5f6-0000-4000-8000-000000000001', caseRef: 'zaak-hash-1' }),
          'a',
        );
        await store.insertMessage(
          stufDi01({ referentienummer: 'c3d4e5f6-0000-4000-8000-000000000002', caseRef: 'zaak-hash-2' }),
          'a',
        );
        const key = { scope: 'case', zender: '0363', messageName: 'vtoDi01', caseRef: 'zaak-hash-1' } as const;
        expect((await store.findCorrelationTarget(key))!.id).toBe(second.id);
        expect(await store.findCorrelationTarget({ ...key, zender: '0384' })).toBeNull();
        expect(await store.findCorrelationTarget({ ...key, messageName: 'zorgmeldingDi01' })).toBeNull();
        expect(await store.findCorrelationTarget({ ...key, caseRef: 'zaak-hash-3' })).toBeNull();

        const follower = (referentienummer: string, countsAsAnswer: boolean) =>
          stufDi01({
            messageName: 'notificatieDi01',
            afzender: 'RVDK',
            ontvanger: '0363',
            referentienummer,
            source: { kind: 'inbound', id: 'corv' },
            destination: 'inbox',
            correlatedTo: second.id,
            countsAsAnswer,
          });
        const notificatie = await store.insertMessage(
          follower('d4e5f6a7-0000-4000-8000-000000000001', false),
          'inbound:corv',
        );
        expect(await store.getMessage(second.id)).toMatchObject({ answeredBy: null });
        expect((await store.getMessage(notificatie.id))!.correlatedTo).toBe(second.id);
        const bv01 = await store.insertMessage(follower('d4e5f6a7-0000-4000-8000-000000000002', true), 'inbound:corv');
        expect(await store.getMessage(second.id)).toMatchObject({ answeredBy: bv01.id });
        expect((await store.listMessages({ correlatedTo: second.id })).total).toBe(2);
        expect((await store.getMessage(first.id))!.answeredBy).toBeNull();
      });

      it('finds a StUF message by zender and referentienummer', async () => {
        const di01 = await store.insertMessage(stufDi01(), 'a');
        const found = await store.findCorrelationTarget({
          scope: 'stuf',
          zender: '0363',
          referentienummer: stufDi01().referentienummer!,
        });
        expect(found!.id).toBe(di01.id);
        expect(
          await store.findCorrelationTarget({
            scope: 'stuf',
            zender: '0384',
            referentienummer: stufDi01().referentienummer!,
          }),
        ).toBeNull();
      });
    });

    describe('list, counts and audit', () => {
      it('lists newest first with filters and paging, never with bodies', async () => {
        for (let i = 0; i < 5; i++) {
          await store.insertMessage(
            wmo301({ berichtIdentificatie: `ID-${i}`, afzender: i < 3 ? '0363' : '0384' }),
            'a',
          );
          advance(1000);
        }
        await store.insertMessage(stufDi01(), 'a');
        const all = await store.listMessages();
        expect(all.total).toBe(6);
        expect(all.items[0]!.messageName).toBe('vtoDi01');
        const page = await store.listMessages({ messageName: 'WMO301', limit: 2, offset: 1 });
        expect(page.total).toBe(5);
        expect(page.items.map((m) => m.berichtIdentificatie)).toEqual(['ID-3', 'ID-2']);
        expect((await store.listMessages({ afzender: '0384', standard: 'iwmo' })).total).toBe(2);
        expect((await store.listMessages({ status: ['delivered', 'dead'] })).total).toBe(0);
        expect(
          (await store.listMessages({ receivedFrom: new Date(now - 2000), receivedTo: new Date(now) })).total,
        ).toBe(2);
        const text = JSON.stringify(all);
        expect(text).not.toContain(BSN);
        expect(text).not.toContain('<Bericht>');
        expect(all.items.every((m) => !('body' in m) && !('findings' in m))).toBe(true);
      });

      it('counts messages per status', async () => {
        await store.insertMessage(wmo301(), 'a');
        await store.insertMessage(wmo301({ berichtIdentificatie: 'ID-2' }), 'a');
        await store.insertMessage(wmo301({ berichtIdentificatie: 'ID-3', status: 'rejected', destination: null }), 'a');
        const lease = (await store.leaseDue('w', 1, 60_000))[0]!;
        await complete(lease, 'delivered', { kind: 'delivered' });
        const counts = await store.statusCounts();
        expect(counts).toMatchObject({ queued: 1, delivered: 1, rejected: 1, dead: 0, on_hold: 0 });
        expect((await store.statusCounts({ destination: 'nowhere' })).queued).toBe(0);
      });

      it('appends audit entries without BSN-shaped numbers', async () => {
        await store.audit({ actor: 'beheer:anna', action: 'config.reload', details: { note: `client ${BSN}`, n: 3 } });
        const [entry] = await store.listAudit({ actor: 'beheer:anna' });
        expect(entry).toMatchObject({
          action: 'config.reload',
          targetId: null,
          details: { note: 'client *********', n: 3 },
        });
        expect(entry!.at.getTime()).toBe(now);
      });
    });

    describe('retention', () => {
      async function settle(message: NewMessage): Promise<string> {
        const { id } = await store.insertMessage(message, 'a');
        const lease = (await store.leaseDue('w', 10, 60_000)).find((l) => l.messageId === id)!;
        await complete(lease, 'delivered', { kind: 'delivered' });
        return id;
      }
      const bodyAges = { default: 30 * DAY, perStandard: { 'stuf-jz': 24 * HOUR } };

      it('purges bodies per standard, counted from when the message settled, never of pending messages', async () => {
        const pending = (await store.insertMessage(wmo301({ berichtIdentificatie: 'PENDING', status: 'on_hold' }), 'a'))
          .id;
        const wmo = await settle(wmo301());
        const stuf = await settle(stufDi01());

        advance(24 * HOUR - 1);
        expect((await store.purgeBodies(bodyAges)).total).toBe(0);
        advance(1);
        expect(await store.purgeBodies(bodyAges)).toEqual({ total: 1, perStandard: { 'stuf-jz': 1 } });
        expect(await store.getBody(stuf)).toBeNull();
        expect(await store.getMessage(stuf)).toMatchObject({ hasBody: false, status: 'delivered' });
        expect((await store.getMessage(stuf))!.bodyPurgedAt!.getTime()).toBe(now);
        expect(await store.getBody(wmo)).not.toBeNull();

        advance(30 * DAY);
        expect(await store.purgeBodies(bodyAges)).toEqual({ total: 1, perStandard: { iwmo: 1 } });
        expect(await store.getBody(wmo)).toBeNull();
        expect(await store.getBody(pending)).not.toBeNull();
        expect(await store.resend(wmo, 'beheer')).toEqual({ ok: false, reason: 'body-purged', status: 'delivered' });

        const audit = await store.listAudit({ action: 'retention.purge-bodies' });
        expect(audit.map((e) => e.details)).toEqual([
          { total: 1, perStandard: { iwmo: 1 } },
          { total: 1, perStandard: { 'stuf-jz': 1 } },
        ]);
      });

      it("counts a body's age from the confirmed delivery, not from receipt (StUF-JZ: 24 hours after delivery)", async () => {
        const vto = (await store.insertMessage(stufDi01(), 'a')).id;
        const received = now;
        // Five hours of retries before the receiver confirms it.
        advance(HOUR);
        await complete(
          await leaseOne(),
          'retry',
          { kind: 'retry', at: new Date(now + 4 * HOUR) },
          { reason: 'HTTP 503' },
        );
        advance(4 * HOUR);
        await complete(await leaseOne(), 'delivered', { kind: 'delivered' });
        const delivered = now;

        now = received + 24 * HOUR;
        expect((await store.purgeBodies(bodyAges)).total).toBe(0);
        now = delivered + 24 * HOUR - 1;
        expect((await store.purgeBodies(bodyAges)).total).toBe(0);
        expect(await store.getBody(vto)).not.toBeNull();
        now = delivered + 24 * HOUR;
        expect(await store.purgeBodies(bodyAges)).toEqual({ total: 1, perStandard: { 'stuf-jz': 1 } });
        expect(await store.getMessage(vto)).toMatchObject({ status: 'delivered', hasBody: false, attempts: 2 });
        // The traffic data stays: type, status and the attempts with their errors.
        expect((await store.deliveryAttempts(vto)).map((a) => [a.outcome, a.reason])).toEqual([
          ['retry', 'HTTP 503'],
          ['delivered', null],
        ]);
      });

      it('keeps the body of a failed or dead message at least the default age, so beheer can still resend it', async () => {
        const dead = (await store.insertMessage(stufDi01(), 'a')).id;
        await complete(await leaseOne(), 'retry', { kind: 'dead' }, { reason: 'HTTP 503' });
        const failed = (
          await store.insertMessage(stufDi01({ referentienummer: 'b2c3d4e5-0000-4000-8000-000000000002' }), 'a')
        ).id;
        await complete(await leaseOne(), 'failed', { kind: 'failed' }, { reason: 'Fo03 StUF010' });
        const pending = (
          await store.insertMessage(stufDi01({ referentienummer: 'b2c3d4e5-0000-4000-8000-000000000003' }), 'a')
        ).id;
        await store.hold(pending, 'beheer');

        advance(29 * DAY);
        expect((await store.purgeBodies(bodyAges)).total).toBe(0);
        expect(await store.resend(dead, 'beheer')).toEqual({ ok: true, status: 'queued' });
        const cancelled = (
          await store.insertMessage(stufDi01({ referentienummer: 'b2c3d4e5-0000-4000-8000-000000000004' }), 'a')
        ).id;
        await store.cancel(cancelled, 'beheer');
        advance(DAY);
        // Failed 30 days ago: the default age reached. Cancelled: nothing left to deliver, the standard's 24 hours.
        expect(await store.purgeBodies(bodyAges)).toEqual({ total: 2, perStandard: { 'stuf-jz': 2 } });
        expect(await store.getBody(failed)).toBeNull();
        expect(await store.getBody(cancelled)).toBeNull();
        expect(await store.getBody(dead)).not.toBeNull();
        expect(await store.getBody(pending)).not.toBeNull();
      });

      it('purges metadata of settled messages with their history, keeping pending ones', async () => {
        const pending = (await store.insertMessage(wmo301({ berichtIdentificatie: 'PENDING' }), 'a')).id;
        await store.hold(pending, 'beheer');
        const old = await settle(wmo301({ berichtIdentificatie: 'OLD' }));
        advance(10 * DAY);
        const recent = await settle(wmo301({ berichtIdentificatie: 'RECENT' }));
        advance(725 * DAY);
        const result = await store.purgeMetadata({ default: 730 * DAY, perStandard: {} });
        expect(result).toEqual({ total: 1, perStandard: { iwmo: 1 } });
        expect(await store.getMessage(old)).toBeNull();
        expect(await store.statusHistory(old)).toEqual([]);
        expect(await store.deliveryAttempts(old)).toEqual([]);
        expect(await store.getMessage(recent)).not.toBeNull();
        expect(await store.getMessage(pending)).not.toBeNull();
        // Its identity is free again once the metadata is gone.
        expect((await store.insertMessage(wmo301({ berichtIdentificatie: 'OLD' }), 'a')).kind).toBe('inserted');
      });
    });

    describe('history (iEb periods, iPgb budgets; hashed BSNs)', () => {
      const H1 = 'a'.repeat(64);
      const H2 = 'b'.repeat(64);
      const period = { messageName: 'WMO405', afzender: '0363', bsnHash: H1, nummer: '1001' };
      const budget = { afzender: '0363', bsnHash: H1, budget: 'PGB-1' };
      const ieb = (id: string, status: string, extra: Partial<NewMessage> = {}): NewMessage =>
        wmo301({
          standard: 'ieb',
          release: '4.0',
          messageName: 'WMO405',
          ontvanger: 'CAK',
          berichtIdentificatie: id,
          history: { periods: [{ ...period, status }], budgets: [] },
          ...extra,
        });
      const tkbOf = (id: string, key = budget, extra: Partial<NewMessage> = {}): NewMessage =>
        wmo301({
          standard: 'ipgb',
          release: '2.1',
          messageName: 'WMO501',
          ontvanger: 'SVB',
          berichtIdentificatie: id,
          history: { periods: [], budgets: [key] },
          ...extra,
        });

      it('answers period deliveries oldest first, leaving out rejected and cancelled berichten', async () => {
        await store.insertMessage(ieb('E-1', '1'), 'a');
        advance(1000);
        await store.insertMessage(ieb('E-2', '2'), 'a');
        advance(1000);
        await store.insertMessage(ieb('E-3', '3', { status: 'rejected', dedup: null }), 'a');
        const cancelled = await store.insertMessage(ieb('E-4', '3'), 'a');
        await store.cancel(cancelled.id, 'beheer:test');
        const other = { ...period, nummer: '9999' };
        const snap = await store.readHistory({ periods: [period, other], budgets: [] });
        expect(snap.periods[0]!.deliveries.map((d) => [d.identificatie, d.dagtekening, d.status])).toEqual([
          ['E-1', '2026-01-15', '1'],
          ['E-2', '2026-01-15', '2'],
        ]);
        expect(snap.periods[1]).toEqual({ key: other, deliveries: [] });
      });

      it('answers whether a budget is held by another client and which TKB waits for its retour', async () => {
        const first = await store.insertMessage(tkbOf('T-1'), 'a');
        let snap = await store.readHistory({ periods: [], budgets: [budget, { ...budget, bsnHash: H2 }] });
        expect(snap.budgets[0]).toMatchObject({
          heldByAnotherClient: false,
          pending: { id: first.id, identificatie: 'T-1' },
        });
        expect(snap.budgets[1]).toMatchObject({ heldByAnotherClient: true, pending: null });
        // The retour, linked in its own insert, ends the wait.
        await store.insertMessage(
          wmo301({
            messageName: 'WMO502',
            direction: 'retour',
            berichtIdentificatie: 'T-1',
            dedup: null,
            correlatedTo: first.id,
            history: null,
          }),
          'a',
        );
        snap = await store.readHistory({ periods: [], budgets: [budget] });
        expect(snap.budgets[0]!.pending).toBeNull();
      });

      it('keeps the history with its message: a rejected one writes none', async () => {
        await store.insertMessage(tkbOf('T-9', budget, { status: 'rejected', dedup: null }), 'a');
        const snap = await store.readHistory({ periods: [], budgets: [{ ...budget, bsnHash: H2 }] });
        expect(snap.budgets[0]).toMatchObject({ heldByAnotherClient: false, pending: null });
      });

      it('lists heenberichten without an answer, oldest first, with their delivery time', async () => {
        const waiting = await store.insertMessage(wmo301({ berichtIdentificatie: 'W-1' }), 'a');
        const answered = await store.insertMessage(wmo301({ berichtIdentificatie: 'W-2' }), 'a');
        await store.insertMessage(wmo301({ berichtIdentificatie: 'W-3', status: 'rejected', dedup: null }), 'a');
        await store.insertMessage(
          wmo301({
            messageName: 'WMO302',
            direction: 'retour',
            berichtIdentificatie: 'W-2',
            dedup: null,
            correlatedTo: answered.id,
          }),
          'a',
        );
        const t0 = now;
        advance(HOUR);
        const lease = await store.leaseDue('w1', 10, 60_000);
        const mine = lease.find((l) => l.messageId === waiting.id)!;
        await store.completeDelivery(mine, attemptAt(now, 'delivered'), { kind: 'delivered' });
        advance(DAY);
        expect(await store.listUnanswered({ receivedBefore: new Date(t0), limit: 10 })).toEqual([]);
        const list = await store.listUnanswered({ receivedBefore: new Date(now), limit: 10 });
        expect(list.map((u) => [u.id, u.messageName, u.status])).toEqual([[waiting.id, 'WMO301', 'delivered']]);
        expect(list[0]!.receivedAt.getTime()).toBe(t0);
        expect(list[0]!.deliveredAt!.getTime()).toBe(t0 + HOUR);
      });

      it('TR507: holds the next TKB on a budget until the retour on the previous one, then releases it', async () => {
        const t1 = await store.insertMessage(tkbOf('S-1'), 'a');
        expect((await store.getMessage(t1.id))!.status).toBe('queued');
        const t2 = await store.insertMessage(tkbOf('S-2'), 'a');
        const t3 = await store.insertMessage(tkbOf('S-3'), 'a');
        const other = await store.insertMessage(tkbOf('S-4', { ...budget, budget: 'PGB-OTHER' }), 'a');
        expect(await store.getMessage(t2.id)).toMatchObject({
          status: 'on_hold',
          statusReason: `wacht op retour van ${t1.id}`,
        });
        expect((await store.getMessage(t3.id))!.status).toBe('on_hold');
        expect((await store.getMessage(other.id))!.status).toBe('queued');
        expect((await store.listHeldTkbs(10)).map((x) => [x.key, x.id, x.berichtIdentificatie, x.waitingFor])).toEqual([
          [budget, t2.id, 'S-2', t1.id],
          [budget, t3.id, 'S-3', t1.id],
        ]);
        expect((await store.leaseDue('w', 10, 60_000)).map((l) => l.messageId).sort()).toEqual(
          [t1.id, other.id].sort(),
        );
        // The retour on S-1, linked in its own insert, releases S-2 (only).
        advance(1000);
        await store.insertMessage(
          wmo301({
            messageName: 'WMO502',
            direction: 'retour',
            berichtIdentificatie: 'S-1',
            dedup: null,
            correlatedTo: t1.id,
            history: null,
          }),
          'a',
        );
        expect((await store.getMessage(t2.id))!.status).toBe('queued');
        expect((await store.getMessage(t3.id))!.status).toBe('on_hold');
        expect((await store.statusHistory(t2.id)).at(-1)).toMatchObject({
          from: 'on_hold',
          to: 'queued',
          actor: 'schakel:tr507',
        });
        // Due now: S-2 (and the retour itself, which goes to its own destination); S-3 still waits.
        const due = (await store.leaseDue('w', 10, 60_000)).map((l) => l.messageId);
        expect(due).toContain(t2.id);
        expect(due).not.toContain(t3.id);
        // A retour linked afterwards (linkRetour) releases the next.
        const r2 = await store.insertMessage(
          wmo301({
            messageName: 'WMO502',
            direction: 'retour',
            berichtIdentificatie: 'S-2',
            dedup: null,
            history: null,
          }),
          'a',
        );
        await store.linkRetour(r2.id, t2.id, 'a');
        expect((await store.getMessage(t3.id))!.status).toBe('queued');
      });

      it('TR507: of two TKBs on one budget stored at once, exactly one is delivered first', async () => {
        const [a, b] = await Promise.all([
          store.insertMessage(tkbOf('P-1'), 'a'),
          store.insertMessage(tkbOf('P-2'), 'a'),
        ]);
        const statuses = [(await store.getMessage(a.id))!.status, (await store.getMessage(b.id))!.status].sort();
        expect(statuses).toEqual(['on_hold', 'queued']);
      });

      it('creates one hashing secret per store and keeps it', async () => {
        const [a, b] = await Promise.all([store.historySecret(), store.historySecret()]);
        expect(a.length).toBe(32);
        expect(b.equals(a)).toBe(true);
        expect((await store.historySecret()).equals(a)).toBe(true);
      });
    });
  });
}
