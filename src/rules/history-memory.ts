import type { CatalogueEntry } from '../catalogue/types.ts';
import { textAt, type XNode } from '../xml/tree.ts';
import {
  type BudgetKey,
  type HistoryRecorder,
  type MessageHistory,
  type MessageRef,
  type PeriodDelivery,
  type PeriodKey,
  sameMessage,
} from './history.ts';
import { isIebHeen, periodKey, periodsOf } from './ieb/messages.ts';
import { budgetsOf, isTkb, isTkbRetour } from './ipgb/messages.ts';
import { berichtRef } from './istandaarden/messages.ts';

/**
 * A {@link MessageHistory} in memory, filled with {@link MemoryHistory.record} as messages are accepted: iEb
 * heenberichten add period deliveries; a TKB claims its budgets for its clients and waits for its retour; a TKB
 * retour (which copies the TKB's Afzender and BerichtIdentificatie) ends that wait. For tests and for one-off
 * runs; a production history lives in the store.
 */
export class MemoryHistory implements MessageHistory, HistoryRecorder {
  private readonly deliveries = new Map<string, PeriodDelivery[]>();
  /** (afzender, budget) → the Bsn that holds it. */
  private readonly holders = new Map<string, string>();
  /** (afzender, bsn, budget) → the TKB waiting for its retour. */
  private readonly waiting = new Map<string, { afzender: string; tkb: MessageRef }>();

  periodDeliveries(key: PeriodKey): readonly PeriodDelivery[] {
    return this.deliveries.get(periodId(key)) ?? [];
  }

  budgetHeldByAnotherClient(key: BudgetKey): boolean {
    const holder = this.holders.get(JSON.stringify([key.afzender, key.budget]));
    return holder !== undefined && holder !== key.bsn;
  }

  pendingRetour(key: BudgetKey): MessageRef | undefined {
    return this.waiting.get(budgetId(key))?.tkb;
  }

  record(entry: CatalogueEntry, root: XNode): void {
    const ref = berichtRef(root);
    if (!ref) return;
    if (isIebHeen(entry)) {
      for (const period of periodsOf(entry, root)) {
        const key = periodKey(entry, root, period);
        const status = period.status?.text;
        if (!key || !status) continue;
        const id = periodId(key);
        this.deliveries.set(id, [...(this.deliveries.get(id) ?? []), { ...ref, status }]);
      }
    } else if (isTkb(entry)) {
      for (const { key } of budgetsOf(root)) {
        const holderId = JSON.stringify([key.afzender, key.budget]);
        if (!this.holders.has(holderId)) this.holders.set(holderId, key.bsn);
        this.waiting.set(budgetId(key), { afzender: key.afzender, tkb: ref });
      }
    } else if (isTkbRetour(entry)) {
      const afzender = textAt(root, 'Header/Afzender');
      for (const [id, w] of this.waiting)
        if (w.afzender === afzender && sameMessage(ref, w.tkb)) this.waiting.delete(id);
    }
  }
}

function periodId(key: PeriodKey): string {
  return JSON.stringify([key.message, key.afzender, key.bsn, key.nummer]);
}

function budgetId(key: BudgetKey): string {
  return JSON.stringify([key.afzender, key.bsn, key.budget]);
}
