import { createHmac } from 'node:crypto';
import { catalogue } from '../catalogue/catalogue.ts';
import type { CatalogueEntry } from '../catalogue/types.ts';
import { buildAssessedRetour } from '../retour/istandaarden.ts';
import { loadGemeenten } from '../rules/gemeenten.ts';
import type { BudgetKey, MessageHistory, MessageRef, PeriodDelivery, PeriodKey } from '../rules/history.ts';
import { TR104 } from '../rules/ieb/after-delete.ts';
import { TR103 } from '../rules/ieb/change-needs-delivery.ts';
import { isIebHeen, periodKey, periodsOf } from '../rules/ieb/messages.ts';
import { TR102 } from '../rules/ieb/new-key.ts';
import { budgetsOf, isTkb } from '../rules/ipgb/messages.ts';
import { TR574 } from '../rules/ipgb/unique-budget.ts';
import type { Rule } from '../rules/types.ts';
import type { HistoryFacts, HistoryQuery, HistorySnapshot, HistoryStore } from '../store/types.ts';
import { envelopePayload } from '../stuf/ggk-envelope.ts';
import type { Finding } from '../validation/finding.ts';
import { nodeFinding, retourIdentificatie } from '../validation/validator.ts';
import type { Verdict } from '../validation/verdict.ts';
import { SourceLocator } from '../xml/locate.ts';
import { parseToTree } from '../xml/parse.ts';
import type { XNode } from '../xml/tree.ts';

/**
 * The chain's memory in the running gateway (issue 13 item 1): the level-3 rules of iEb (TR102–TR104) and iPgb
 * (TR574) read the store's history of earlier berichten; TR507 holds instead of rejecting (see HISTORY_RULES).
 *
 * - The worker's verdict judges the bericht alone (levels 1, 2 and the rules as far as the bericht shows). When
 *   that verdict is valid and the bericht is one the history is read for (an iEb heenbericht or a TKB), this
 *   second, cheap pass parses it once more, asks the store about exactly its keys, and runs only the rules
 *   that need earlier messages.
 * - Keys carry the Bsn only as HMAC-SHA256 under a secret: `SCHAKEL_HISTORY_KEY` when set (recommended: kept
 *   outside the database), else the store's own secret (store_secrets), the same for every instance.
 * - The facts the pass computed go into the store with the bericht, in the transaction that stores it.
 */

/**
 * The rules that need earlier messages; the first pass ran them without a history. TR507 is not among them: a
 * next TKB on a budget whose retour has not come is not rejected but held back and delivered after it
 * (standards.md §6.4), which the store decides when it stores the TKB (store/rules.ts `serialisedStatus`).
 */
export const HISTORY_RULES: readonly Rule[] = [TR102, TR103, TR104, TR574];

/** Whether the history is read for (and written by) this message. A TKB retour ends a wait through correlation. */
export function usesHistory(entry: CatalogueEntry): boolean {
  return isIebHeen(entry) || isTkb(entry);
}

/** HMAC-SHA256 (hex) of a Bsn: what the history stores instead. */
export type BsnHash = (bsn: string) => string;

export function bsnHasher(key: Buffer): BsnHash {
  return (bsn) => createHmac('sha256', key).update(bsn.trim(), 'utf8').digest('hex');
}

/** The history facts of an iEb heenbericht (its periods) or a TKB (its budgets). */
export function historyFacts(entry: CatalogueEntry, root: XNode, hash: BsnHash): HistoryFacts {
  const periods = isIebHeen(entry)
    ? periodsOf(entry, root).flatMap((period) => {
        const key = periodKey(entry, root, period);
        const status = period.status?.text;
        return key && status
          ? [{ messageName: key.message, afzender: key.afzender, bsnHash: hash(key.bsn), nummer: key.nummer, status }]
          : [];
      })
    : [];
  const budgets = isTkb(entry)
    ? budgetsOf(root).map(({ key }) => ({ afzender: key.afzender, bsnHash: hash(key.bsn), budget: key.budget }))
    : [];
  return { periods, budgets };
}

/** The keys a bericht's facts ask about (each once). */
export function historyQuery(facts: HistoryFacts): HistoryQuery {
  const unique = <T>(items: T[]) => [...new Map(items.map((i) => [JSON.stringify(i), i])).values()];
  return {
    periods: unique(facts.periods.map(({ status: _status, ...key }) => key)),
    budgets: unique(facts.budgets),
  };
}

/** A {@link MessageHistory} over the store's answers for one bericht's keys. */
export class SnapshotHistory implements MessageHistory {
  constructor(
    private readonly snapshot: HistorySnapshot,
    private readonly hash: BsnHash,
  ) {}

  periodDeliveries(key: PeriodKey): readonly PeriodDelivery[] {
    const bsnHash = this.hash(key.bsn);
    const found = this.snapshot.periods.find(
      (p) =>
        p.key.messageName === key.message &&
        p.key.afzender === key.afzender &&
        p.key.bsnHash === bsnHash &&
        p.key.nummer === key.nummer,
    );
    return (found?.deliveries ?? []).map(({ identificatie, dagtekening, status }) => ({
      identificatie,
      dagtekening,
      status,
    }));
  }

  budgetHeldByAnotherClient(key: BudgetKey): boolean {
    return this.budget(key)?.heldByAnotherClient ?? false;
  }

  pendingRetour(key: BudgetKey): MessageRef | undefined {
    const pending = this.budget(key)?.pending;
    return pending ? { identificatie: pending.identificatie, dagtekening: pending.dagtekening } : undefined;
  }

  private budget(key: BudgetKey) {
    const bsnHash = this.hash(key.bsn);
    return this.snapshot.budgets.find(
      (b) => b.key.afzender === key.afzender && b.key.bsnHash === bsnHash && b.key.budget === key.budget,
    );
  }
}

/** What the second pass made of a bericht: the verdict (with the history rules' findings) and what to record. */
export interface HistoryJudgement {
  verdict: Verdict;
  /** The facts to store with the bericht; null when it is not one the history keeps, or was rejected. */
  facts: HistoryFacts | null;
}

export interface ChainHistoryOptions {
  store: HistoryStore;
  /** The HMAC key; default `SCHAKEL_HISTORY_KEY` from the environment, else the store's own secret. */
  key?: Buffer | undefined;
  today?: () => Date;
  /** Written as XsltVersie in the retours it builds (validation.rulesVersion). */
  rulesVersion?: string;
}

/** The second rule pass against the store's history (see the module comment). */
export class ChainHistory {
  /** The retour for a heenbericht the history rules reject: level 3, per client class (standards.md §6.1). */
  private retour(entry: CatalogueEntry, root: XNode, findings: Finding[]): string | undefined {
    // iEb's BerichtCodes are not established (standards.md §4.4): without the retour's code there is no retour to build.
    if (!catalogue.retourOf(entry)?.berichtCode) return undefined;
    const issues = findings.map((f) => ({ retourcode: f.retourcode!, level: 3 as const, path: f.path }));
    const today = this.today();
    return buildAssessedRetour({ entry, root }, issues, {
      identificatieRetour: retourIdentificatie(today),
      dagtekeningRetour: today,
      ...(this.opts.rulesVersion ? { xsltVersie: this.opts.rulesVersion } : {}),
    });
  }

  private hash: Promise<BsnHash> | undefined;
  private readonly today: () => Date;

  constructor(private readonly opts: ChainHistoryOptions) {
    this.today = opts.today ?? (() => new Date());
  }

  /** The key from the environment (at least 16 characters), or undefined. */
  static keyFromEnv(env: NodeJS.ProcessEnv = process.env): Buffer | undefined {
    const value = env.SCHAKEL_HISTORY_KEY;
    if (value === undefined || value === '') return undefined;
    if (value.length < 16) throw new Error('SCHAKEL_HISTORY_KEY must be at least 16 characters');
    return Buffer.from(value, 'utf8');
  }

  private hasher(): Promise<BsnHash> {
    this.hash ??= (async () => bsnHasher(this.opts.key ?? (await this.opts.store.historySecret())))();
    // A failure (store down) is not kept: the next bericht tries again.
    this.hash.catch(() => {
      this.hash = undefined;
    });
    return this.hash;
  }

  async judge(verdict: Verdict, source: Uint8Array): Promise<HistoryJudgement> {
    const inner = verdict.payload ?? verdict;
    const entry = inner.message ? catalogue.byName(inner.message) : undefined;
    if (!verdict.valid || !entry || !usesHistory(entry)) return { verdict, facts: null };
    const bytes = verdict.payload ? envelopePayload(parseToTree(source)) : source;
    if (!bytes) return { verdict, facts: null };
    const root = parseToTree(bytes);
    const hash = await this.hasher();
    const facts = historyFacts(entry, root, hash);
    const snapshot = await this.opts.store.readHistory(historyQuery(facts));
    const ctx = {
      entry,
      root,
      today: this.today(),
      gemeenten: loadGemeenten(),
      history: new SnapshotHistory(snapshot, hash),
    };
    const locator = new SourceLocator(bytes);
    const findings = HISTORY_RULES.filter((r) => r.appliesTo(entry)).flatMap((rule) =>
      rule.check(ctx).map((v) => nodeFinding('rule', rule.code, rule.retourcode, v.node, v.text, locator)),
    );
    if (findings.length === 0) return { verdict, facts };
    const retour = verdict.payload ? undefined : this.retour(entry, root, findings);
    const judged: Verdict = {
      ...inner,
      valid: false,
      findings: [...inner.findings, ...findings],
      ...(retour ? { retour } : {}),
    };
    return { verdict: verdict.payload ? { ...verdict, valid: false, payload: judged } : judged, facts: null };
  }
}
