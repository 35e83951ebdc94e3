import type { CatalogueEntry } from '../catalogue/types.ts';
import type { XNode } from '../xml/tree.ts';
import type { MessageHistory } from './history.ts';
import type { ProductList } from './products.ts';

/** What a technical rule sees: the recognised message, its parsed tree and the world it is judged against. */
export interface RuleContext {
  entry: CatalogueEntry;
  /** The document element (`Bericht`). */
  root: XNode;
  /** The reference date for "not in the future" rules (system date, pinnable in tests). */
  today: Date;
  /** CBS gemeentecode lookup. */
  gemeenten: GemeenteList;
  /**
   * Earlier messages, for the level-3 rules of iEb and iPgb. Absent: those rules judge only what the message
   * itself shows (see history.ts).
   */
  history?: MessageHistory;
  /** The operator's product list for TR381; absent: TR381 judges nothing. */
  products?: ProductList;
}

/** One violation of a rule: the element it points at, and a text without personal data (never a BSN). */
export interface RuleViolation {
  node: XNode;
  text: string;
}

/** A technical rule of a standard (level 2 content, level 3/4 where checkable without case data). */
export interface Rule {
  /** The standard's rule code: CS002, TR135, TR378 … */
  code: string;
  /** The retourcode the standard prescribes when the rule fails. */
  retourcode: string;
  level: 2 | 3 | 4;
  /** Short Dutch/English description of what is checked. */
  title: string;
  /** Whether the rule applies to this message. */
  appliesTo(entry: CatalogueEntry): boolean;
  check(ctx: RuleContext): RuleViolation[];
}

/** The CBS list of gemeentecodes, with validity dates. */
export interface GemeenteList {
  /** Year/edition of the list, e.g. "2026". */
  readonly edition: string;
  /** True when `code` is a gemeente valid on `date`. */
  isValid(code: string, date: Date): boolean;
}
