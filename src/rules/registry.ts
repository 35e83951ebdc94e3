import type { CatalogueEntry } from '../catalogue/types.ts';
import { CS002 } from './istandaarden/bsn.ts';
import { TR135 } from './istandaarden/dagtekening.ts';
import { TR101 } from './istandaarden/duplicates.ts';
import { TR002 } from './istandaarden/geboortedatum.ts';
import { TR378 } from './istandaarden/gemeentecode.ts';
import { HDR001 } from './istandaarden/header.ts';
import { TR134 } from './istandaarden/not-after-dagtekening.ts';
import { CS003, TR018, TR137 } from './istandaarden/periods.ts';
import type { Rule, RuleContext, RuleViolation } from './types.ts';

/** The technical rules of iWmo 3.2 / iJw 3.2 the gateway checks, level 2 first, then level 4. */
export const ISTANDAARD_RULES: Rule[] = [HDR001, CS002, TR002, TR018, CS003, TR137, TR101, TR134, TR135, TR378];

/** The rules that apply to a message. */
export function rulesFor(entry: CatalogueEntry): Rule[] {
  return ISTANDAARD_RULES.filter((r) => r.appliesTo(entry));
}

/** Every violation of every applicable rule, with the rule that found it. */
export function checkRules(ctx: RuleContext): { rule: Rule; violation: RuleViolation }[] {
  return rulesFor(ctx.entry).flatMap((rule) => rule.check(ctx).map((violation) => ({ rule, violation })));
}
