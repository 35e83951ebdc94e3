import type { CatalogueEntry } from '../catalogue/types.ts';
import { TR104 } from './ieb/after-delete.ts';
import { TR103 } from './ieb/change-needs-delivery.ts';
import { TR102 } from './ieb/new-key.ts';
import { CS125 } from './ieb/status-aanlevering.ts';
import { TR393, TR395 } from './ieb/windows.ts';
import { BDR001 } from './ipgb/amounts.ts';
import { TR507 } from './ipgb/serialised.ts';
import { TR574 } from './ipgb/unique-budget.ts';
import { TKB001 } from './ipgb/withdrawal.ts';
import { TR386 } from './istandaarden/aangevraagd-overlap.ts';
import { TR342 } from './istandaarden/afgewezen-prestaties.ts';
import { CS002 } from './istandaarden/bsn.ts';
import { TR061 } from './istandaarden/client-address.ts';
import { TR006 } from './istandaarden/contact-reachable.ts';
import { TR416 } from './istandaarden/credit-reference.ts';
import { TR135 } from './istandaarden/dagtekening.ts';
import { TR316 } from './istandaarden/declaratie-debet-credit.ts';
import { TR315 } from './istandaarden/declaratie-totaal.ts';
import { TR101 } from './istandaarden/duplicates.ts';
import { TR002 } from './istandaarden/geboortedatum.ts';
import { TR378 } from './istandaarden/gemeentecode.ts';
import { HDR001 } from './istandaarden/header.ts';
import { TR410 } from './istandaarden/nieuw-overlap.ts';
import { TR134 } from './istandaarden/not-after-dagtekening.ts';
import { CS003, TR018, TR137 } from './istandaarden/periods.ts';
import { TR381 } from './istandaarden/productcode.ts';
import { TR335 } from './istandaarden/productperiode.ts';
import { TR383 } from './istandaarden/referentie-aanbieder.ts';
import { TR358 } from './istandaarden/referentienummer.ts';
import { TR302 } from './istandaarden/toegewezen-overlap.ts';
import { TR352 } from './istandaarden/vow-changes.ts';
import { TR380 } from './istandaarden/vow-te-wijzigen.ts';
import { TR353 } from './istandaarden/vow-toewijzingen.ts';
import { TR377, TR409 } from './istandaarden/woonplaatsbeginsel.ts';
import { IB009 } from './stuf/referentienummer.ts';
import type { Rule, RuleContext, RuleViolation } from './types.ts';

/** The technical rules of iWmo 3.2 / iJw 3.2 the gateway checks, level 2 first, then level 4. */
export const ISTANDAARD_RULES: Rule[] = [
  HDR001,
  CS002,
  TR002,
  TR018,
  CS003,
  TR137,
  TR101,
  TR134,
  TR006,
  TR061,
  TR302,
  TR386,
  TR410,
  TR352,
  TR353,
  TR380,
  TR383,
  TR315,
  TR316,
  TR335,
  TR358,
  TR416,
  TR342,
  TR377,
  TR409,
  TR135,
  TR378,
  TR381,
];

/** iEb 4.0 (MODELLED, standards.md §6.3). CS002 and TR135 are the iStandaarden rules, which cover iEb too. */
export const IEB_RULES: Rule[] = [CS002, CS125, BDR001, TR102, TR103, TR104, TR135, TR393, TR395];

/** iPgb 2.1 (MODELLED, standards.md §6.4). CS002, TR135 and BDR001 are shared with the other standards. */
export const IPGB_RULES: Rule[] = [CS002, BDR001, TKB001, TR507, TR574, TR135];

/** Chain rules on StUF messages: the GGK envelope. */
export const STUF_RULES: Rule[] = [IB009];

/** Every rule once (the shared ones appear in several lists). */
export const ALL_RULES: Rule[] = [...new Set([...ISTANDAARD_RULES, ...IEB_RULES, ...IPGB_RULES, ...STUF_RULES])];

const RULES_OF = new WeakMap<CatalogueEntry, readonly Rule[]>();

/** The rules that apply to a message, in the order of ALL_RULES; worked out once per catalogue entry. */
export function rulesFor(entry: CatalogueEntry): readonly Rule[] {
  let rules = RULES_OF.get(entry);
  if (!rules) {
    rules = Object.freeze(ALL_RULES.filter((r) => r.appliesTo(entry)));
    RULES_OF.set(entry, rules);
  }
  return rules;
}

/** Every violation of every applicable rule, with the rule that found it. */
export function checkRules(ctx: RuleContext): { rule: Rule; violation: RuleViolation }[] {
  return rulesFor(ctx.entry).flatMap((rule) => rule.check(ctx).map((violation) => ({ rule, violation })));
}
