/**
 * The crash test: the gateway as a real process is SIGKILLed while 500 berichten come in. Every bericht that
 * got a 202 must be delivered after a restart on the same dataDir (at least once; duplicates are counted).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite.ts';
import { type ChildGateway, spawnGateway } from '../helpers/child-gateway.ts';
import { eventually, KEYS, testConfigYaml, withIdentificatie } from '../helpers/gateway.ts';
import { type Receiver, startReceiver } from '../helpers/http-receiver.ts';
import { hasReference, istandaardExample, skipReason } from '../helpers/reference.ts';
import { tempDir } from '../helpers/temp.ts';

const TOTAL = 500;
const KILL_AFTER = 200;
const CLIENTS = 25;

const identificatie = (i: number) => `CR${String(i).padStart(5, '0')}`; // 7 characters; the limit is 12

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

describe.skipIf(!hasReference)(`crash${hasReference ? '' : ` (${skipReason})`}`, () => {
  it('delivers every bericht that got a 202 after a SIGKILL and restart (at least once)', async () => {
    const template = istandaardExample('WMO301');
    const berichten = Array.from({ length: TOTAL }, (_, i) => withIdentificatie(template, identificatie(i)));

    // The destination: slow before the crash, so the outbox holds a backlog when the process dies.
    let delayMs = 50;
    const receiver: Receiver = await startReceiver(() => ({ status: 200, delayMs }));
    cleanups.push(() => receiver.close());
    const receivedIds = () =>
      receiver.requests.map((r) => /<iwmo:Identificatie>(CR\d{5})</.exec(r.body.toString('utf8'))?.[1] ?? null);

    const dir = tempDir('schakel-crash-');
    cleanups.push(dir.remove);
    const dataDir = path.join(dir.path, 'data');
    const configPath = path.join(dir.path, 'schakel.yaml');
    const to = `${receiver.url}/zorg`;
    writeFileSync(
      configPath,
      testConfigYaml({
        dataDir,
        destinations: { zorg: to, jeugd: to, gemeenteRetour: to, gemeenteInbox: to },
        maxAttempts: 50,
        leaseMs: 2000,
      }),
    );

    let gw: ChildGateway = await spawnGateway(configPath);
    cleanups.push(() => void gw.child.kill('SIGKILL'));

    // ---- phase 1: concurrent POSTs; SIGKILL once KILL_AFTER have been accepted ----
    const acceptedBeforeKill = new Set<number>();
    const otherAnswers: { i: number; status: number }[] = [];
    const broken = new Set<number>();
    let next = 0;
    let killed = false;
    const post = (url: string, i: number) =>
      fetch(`${url}/berichten`, {
        method: 'POST',
        headers: { 'content-type': 'application/xml', authorization: `Bearer ${KEYS.wijkteam}` },
        body: berichten[i],
        signal: AbortSignal.timeout(15_000),
      });
    const client = async () => {
      while (!killed && next < TOTAL) {
        const i = next++;
        try {
          const res = await post(gw.url, i);
          // The status line is the gateway's claim, whether or not the rest of the answer arrives.
          if (res.status === 202) {
            acceptedBeforeKill.add(i);
            if (acceptedBeforeKill.size >= KILL_AFTER && !killed) {
              killed = true;
              gw.child.kill('SIGKILL');
            }
          } else {
            otherAnswers.push({ i, status: res.status });
          }
          await res.arrayBuffer().catch(() => undefined);
        } catch {
          broken.add(i); // connection reset by the kill, or refused after it
        }
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, client));
    const death = await gw.exited;
    expect(death.signal).toBe('SIGKILL');
    expect(otherAnswers).toEqual([]); // every answer before the kill was a 202
    expect(acceptedBeforeKill.size).toBeGreaterThanOrEqual(KILL_AFTER);
    expect(acceptedBeforeKill.size).toBeLessThan(TOTAL);
    const deliveredAtKill = new Set(receivedIds());
    const pendingAtKill = [...acceptedBeforeKill].filter((i) => !deliveredAtKill.has(identificatie(i))).length;
    // The crash has to hit accepted berichten that were not delivered yet, or it proves nothing.
    expect(pendingAtKill).toBeGreaterThan(0);

    // ---- phase 2: restart on the same dataDir; send what got no 202 again ----
    delayMs = 0;
    const firstOutput = gw.output;
    gw = await spawnGateway(configPath);
    const ids = new Map<number, string>();
    let repeats = 0;
    const resend = [...Array(TOTAL).keys()].filter((i) => !acceptedBeforeKill.has(i));
    let cursor = 0;
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (cursor < resend.length) {
          const i = resend[cursor++]!;
          const res = await post(gw.url, i);
          const body = (await res.json()) as { id: string; repeat?: boolean };
          // 200 + repeat: it was stored before the kill, but its answer never arrived.
          expect([202, 200]).toContain(res.status);
          if (res.status === 200) {
            expect(body.repeat).toBe(true);
            repeats++;
          }
          ids.set(i, body.id);
        }
      }),
    );
    expect(ids.size).toBe(resend.length);

    // ---- wait until every bericht is delivered (the outbox drained) ----
    const wanted = new Set([...Array(TOTAL).keys()].map(identificatie));
    await eventually(
      () => {
        const got = new Set(receivedIds());
        const missing = [...wanted].filter((x) => !got.has(x));
        expect(missing.length, `not yet delivered: ${missing.slice(0, 10).join(', ')}`).toBe(0);
      },
      { timeoutMs: 90_000, intervalMs: 100 },
    );
    // Received is not yet recorded as delivered: wait until the store says every bericht is delivered and
    // nothing waits in the outbox (a delivery the kill interrupted is redelivered once its lease runs out).
    // SQLite in WAL mode lets this process read while the gateway writes.
    const store = openSqliteStore({ file: path.join(dataDir, 'schakel.sqlite') });
    try {
      const counts = await eventually(
        async () => {
          const c = await store.statusCounts();
          expect({ delivered: c.delivered, queued: c.queued, delivering: c.delivering }).toEqual({
            delivered: TOTAL,
            queued: 0,
            delivering: 0,
          });
          return c;
        },
        { timeoutMs: 30_000, intervalMs: 100 },
      );
      const all = Object.values(counts).reduce((a, b) => a + b, 0);
      expect(all).toBe(TOTAL); // one stored message per bericht, however often it was sent
      expect((await store.listMessages({ berichtIdentificatie: identificatie(0) })).total).toBe(1);
    } finally {
      await store.close();
    }
    gw.child.kill('SIGTERM');
    expect((await gw.exited).code).toBe(0);

    // ---- the claim ----
    const deliveries = receivedIds().filter((x): x is string => x !== null);
    const perId = new Map<string, number>();
    for (const x of deliveries) perId.set(x, (perId.get(x) ?? 0) + 1);
    const missing = [...acceptedBeforeKill].filter((i) => !perId.has(identificatie(i)));
    const duplicates = deliveries.length - perId.size;
    console.log(
      `crash test: ${TOTAL} sent, ${acceptedBeforeKill.size} accepted (202) before the kill ` +
        `(${pendingAtKill} of them not yet delivered at the kill), ${perId.size} delivered, ` +
        `${missing.length} missing, ${duplicates} duplicate deliveries; after the restart ${resend.length} resent, ` +
        `${repeats} of those already stored before the kill`,
    );
    expect(missing).toEqual([]);
    expect(perId.size).toBe(TOTAL);
    // Both processes logged every request, and none of those lines holds the client's BSN.
    const berichtLines = (lines: string[]) => lines.filter((l) => l.includes('"msg":"bericht"')).length;
    expect(berichtLines(firstOutput)).toBeGreaterThan(0); // the kill may cut off its last lines
    expect(berichtLines(gw.output)).toBeGreaterThanOrEqual(resend.length);
    const output = [...firstOutput, ...gw.output];
    expect(output.filter((l) => l.includes('999900006'))).toEqual([]);
  }, 180_000);
});
