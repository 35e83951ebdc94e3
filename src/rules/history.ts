import type { CatalogueEntry } from '../catalogue/types.ts';
import type { XNode } from '../xml/tree.ts';

/**
 * What the level-3 (cross-message) rules of iEb and iPgb need to know about earlier messages.
 *
 * Design: the interface is synchronous, and a rule reads it through the optional `RuleContext.history`.
 * - Rules stay synchronous, like every other rule: one `check(ctx)` and one code path in the validator.
 * - The project's store is better-sqlite3, which answers synchronously, so a store-backed history can query
 *   directly. A history over an asynchronous source loads a snapshot of the keys one message touches (its
 *   period keys, its budget keys: `periodKey` in ieb/messages.ts, `budgetsOf` in ipgb/messages.ts) before
 *   validation and answers from that.
 * - Without a history (the `schakel validate` command, a worker thread), the rules that need one assess only what
 *   the message itself shows and report nothing about earlier messages.
 * - Only questions, never lists of personal data: the budget question answers yes/no instead of returning the
 *   BSNs that hold a budget.
 *
 * Writing the history is separate ({@link HistoryRecorder}): the caller records a message once it is accepted.
 */
export interface MessageHistory {
  /** iEb: earlier deliveries of one period (StatusAanlevering 1/2/3), oldest first. */
  periodDeliveries(key: PeriodKey): readonly PeriodDelivery[];
  /** iPgb TR574: whether this Afzender already used this BudgetIdentificatie for another client. */
  budgetHeldByAnotherClient(key: BudgetKey): boolean;
  /** iPgb TR507: the earlier TKB on this budget whose retour has not arrived yet, if any. */
  pendingRetour(key: BudgetKey): MessageRef | undefined;
}

/** Records accepted messages into a history (kept apart from the read side the rules use). */
export interface HistoryRecorder {
  record(entry: CatalogueEntry, root: XNode): void;
}

/** The BerichtIdentificatie of a message: Identificatie + Dagtekening. */
export interface MessageRef {
  identificatie: string;
  dagtekening: string;
}

/**
 * iEb: one eigen-bijdrage period (WMO405) or beschermd-wonen period (WMO407) of a client, as the gemeente keys
 * it: the message it is delivered in, the gemeente (Afzender), the client's Bsn and the period's StartNummer.
 */
export interface PeriodKey {
  message: string;
  afzender: string;
  bsn: string;
  nummer: string;
}

export interface PeriodDelivery extends MessageRef {
  /** StatusAanlevering: 1 first, 2 changed, 3 delete. */
  status: string;
}

/** iPgb: a budget of a client as the Afzender identifies it (TR507, TR574). */
export interface BudgetKey {
  afzender: string;
  bsn: string;
  budget: string;
}

/** True when the reference names the same message. */
export function sameMessage(a: MessageRef, b: MessageRef | undefined): boolean {
  return b !== undefined && a.identificatie === b.identificatie && a.dagtekening === b.dagtekening;
}
