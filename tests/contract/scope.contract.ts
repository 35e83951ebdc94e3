/**
 * Issue #15, tenancy: the gemeente and flow every stored message carries, and a reader's scope applied in the
 * store's own queries (both engines). Run by the SQLite and PostgreSQL store tests next to the store contract.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MessageScope, MessageStore, NewMessage } from '../../src/store/types.ts';
import { stufDi01, wmo301 } from '../helpers/messages.ts';
import type { MakeStore } from './store.contract.ts';

const WMO_0363: MessageScope = [{ gemeenten: ['0363'], flows: ['wmo'] }];

export function scopeContract(name: string, makeStore: MakeStore): void {
  describe(`MessageStore scope contract: ${name}`, () => {
    let now: number;
    let store: MessageStore;
    let dispose: () => Promise<void>;
    const ids: Record<string, string> = {};

    async function put(key: string, m: NewMessage): Promise<void> {
      now += 1000;
      const r = await store.insertMessage(m, 'test');
      if (r.kind !== 'inserted') throw new Error(`not inserted: ${key}`);
      ids[key] = r.id;
    }

    beforeEach(async () => {
      now = Date.UTC(2026, 0, 15, 9, 0, 0);
      ({ store, dispose } = await makeStore(() => now));
      await put('wmo0363', wmo301({ gemeente: '0363', berichtIdentificatie: 'A1' }));
      await put('wmo0384', wmo301({ afzender: '0384', gemeente: '0384', berichtIdentificatie: 'A2' }));
      await put(
        'jeugd0363',
        wmo301({ standard: 'ijw', messageName: 'JW301', gemeente: '0363', berichtIdentificatie: 'A3' }),
      );
      await put('jb0363', stufDi01({ gemeente: '0363' }));
      await put(
        'none',
        wmo301({ afzender: 'X', gemeente: null, berichtIdentificatie: 'A4', status: 'rejected', dedup: null }),
      );
    });
    afterEach(async () => {
      await dispose();
    });

    const listed = async (scope?: MessageScope) =>
      (await store.listMessages({ ...(scope ? { scope } : {}), limit: 100 })).items.map((m) => m.id).sort();
    const idsOf = (...keys: string[]) => keys.map((k) => ids[k]!).sort();

    it('stores the gemeente given and the flow of the standard', async () => {
      const m = (await store.getMessage(ids.wmo0384!))!;
      expect([m.gemeente, m.flow]).toEqual(['0384', 'wmo']);
      expect((await store.getMessage(ids.jb0363!))!.flow).toBe('jeugdbescherming');
      expect((await store.getMessage(ids.jeugd0363!))!.flow).toBe('jeugd');
      const page = await store.listMessages({ gemeente: '0363', flow: 'jeugd' });
      expect(page.items.map((i) => [i.id, i.gemeente, i.flow])).toEqual([[ids.jeugd0363, '0363', 'jeugd']]);
    });

    it('lists and counts only the messages within the scope', async () => {
      expect(await listed()).toEqual(idsOf('wmo0363', 'wmo0384', 'jeugd0363', 'jb0363', 'none'));
      expect(await listed(WMO_0363)).toEqual(idsOf('wmo0363'));
      const page = await store.listMessages({ scope: WMO_0363, limit: 1 });
      expect(page.total).toBe(1);
      const counts = await store.statusCounts({ scope: WMO_0363 });
      expect(counts.queued).toBe(1);
      expect(counts.rejected).toBe(0);
      expect((await store.statusCounts()).queued).toBe(4);
    });

    it('combines the parts of a scope, and a gemeente "*" part is the only one to see messages without a gemeente', async () => {
      const two: MessageScope = [
        { gemeenten: ['0363', '0384'], flows: ['wmo'] },
        { gemeenten: ['0363'], flows: ['jeugdbescherming'] },
      ];
      expect(await listed(two)).toEqual(idsOf('wmo0363', 'wmo0384', 'jb0363'));
      expect(await listed([{ gemeenten: '*', flows: ['wmo'] }])).toEqual(idsOf('wmo0363', 'wmo0384', 'none'));
      expect(await listed([{ gemeenten: ['0363'], flows: '*' }])).toEqual(idsOf('wmo0363', 'jeugd0363', 'jb0363'));
      expect(await listed([{ gemeenten: '*', flows: '*' }])).toHaveLength(5);
    });

    it('shows nothing to an empty scope, or to empty lists', async () => {
      expect(await listed([])).toEqual([]);
      expect(await listed([{ gemeenten: [], flows: '*' }])).toEqual([]);
      expect((await store.listMessages({ scope: [] })).total).toBe(0);
      expect(Object.values(await store.statusCounts({ scope: [] })).every((n) => n === 0)).toBe(true);
    });

    it('reads a message and its body only within the scope', async () => {
      expect((await store.getMessage(ids.wmo0363!, WMO_0363))?.id).toBe(ids.wmo0363);
      expect(await store.getMessage(ids.wmo0384!, WMO_0363)).toBeNull();
      expect(await store.getMessage(ids.jb0363!, WMO_0363)).toBeNull();
      expect(await store.getMessage(ids.none!, WMO_0363)).toBeNull();
      expect((await store.getBody(ids.wmo0363!, WMO_0363))?.length).toBeGreaterThan(0);
      expect(await store.getBody(ids.jb0363!, WMO_0363)).toBeNull();
      expect(await store.getBody(ids.jb0363!)).not.toBeNull();
    });

    it('counts per gemeente, flow and status within the scope', async () => {
      const all = await store.gemeenteCounts();
      expect(all).toContainEqual({ gemeente: '0384', flow: 'wmo', status: 'queued', n: 1 });
      expect(all).toContainEqual({ gemeente: null, flow: 'wmo', status: 'rejected', n: 1 });
      expect(all.reduce((n, c) => n + c.n, 0)).toBe(5);
      expect(await store.gemeenteCounts(WMO_0363)).toEqual([{ gemeente: '0363', flow: 'wmo', status: 'queued', n: 1 }]);
    });

    it('lists unanswered heenberichten within the scope', async () => {
      const before = new Date(now + 1);
      const all = await store.listUnanswered({ receivedBefore: before, limit: 10 });
      expect(all.map((u) => u.id).sort()).toEqual(idsOf('wmo0363', 'wmo0384', 'jeugd0363'));
      const mine = await store.listUnanswered({ receivedBefore: before, limit: 10, scope: WMO_0363 });
      expect(mine.map((u) => u.id)).toEqual([ids.wmo0363]);
      expect(await store.listHeldTkbs(10, WMO_0363)).toEqual([]);
    });
  });
}
