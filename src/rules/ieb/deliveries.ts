import { type MessageRef, type PeriodDelivery, sameMessage } from '../history.ts';
import { berichtRef } from '../istandaarden/messages.ts';
import type { RuleContext } from '../types.ts';
import { type Period, periodKey, periodsOf } from './messages.ts';

/** A period of the bericht with what came before it: earlier messages and earlier periods of this bericht. */
export interface PeriodInContext {
  period: Period;
  status: string;
  /** Deliveries of the same key before this one, oldest first. */
  earlier: PeriodDelivery[];
  /** False when no history was given: `earlier` then holds only this bericht's own earlier periods. */
  historyConsulted: boolean;
}

/**
 * Each period of an iEb heenbericht with the deliveries of its key before it (TR102, TR103, TR104). A message the
 * history already holds (the same BerichtIdentificatie) is not its own predecessor.
 */
export function periodsInContext({ entry, root, history }: RuleContext): PeriodInContext[] {
  const self = berichtRef(root);
  if (!self) return [];
  const inThisBericht = new Map<string, PeriodDelivery[]>();
  const out: PeriodInContext[] = [];
  for (const period of periodsOf(entry, root)) {
    const key = periodKey(entry, root, period);
    const status = period.status?.text;
    if (!key || !status) continue;
    const k = JSON.stringify([key.message, key.afzender, key.bsn, key.nummer]);
    const before = history ? history.periodDeliveries(key).filter((d) => !sameMessage(d, self)) : [];
    const here = inThisBericht.get(k) ?? [];
    out.push({ period, status, earlier: [...before, ...here], historyConsulted: history !== undefined });
    inThisBericht.set(k, [...here, { ...self, status }]);
  }
  return out;
}

/** "EbStartNummer 12 of PeriodeEigenBijdrageAbo": names the period without personal data. */
export function periodLabel(period: Period): string {
  return `${period.nummer?.name ?? 'StartNummer'} ${period.nummer?.text ?? '?'} of ${period.node.name}`;
}

/** "message 2026-0042 of 2026-10-01", or "this bericht" for a period earlier in the same bericht. */
export function deliveryLabel(d: PeriodDelivery, self: MessageRef | undefined): string {
  return self && sameMessage(d, self) ? 'earlier in this bericht' : `in bericht ${d.identificatie} of ${d.dagtekening}`;
}
