import { berichtRef } from '../istandaarden/messages.ts';
import type { Rule } from '../types.ts';
import { deliveryLabel, periodLabel, periodsInContext } from './deliveries.ts';
import { isIebHeen } from './messages.ts';

/**
 * TR104 (iEb, level 3, retourcode 9104): once a period is deleted (its last delivery has StatusAanlevering 3),
 * it is not changed or deleted again. (A new first delivery of the same key is TR102's.)
 */
export const TR104: Rule = {
  code: 'TR104',
  retourcode: '9104',
  level: 3,
  title: 'Geen wijziging na een verwijdering',
  appliesTo: isIebHeen,
  check(ctx) {
    const self = berichtRef(ctx.root);
    return periodsInContext(ctx).flatMap(({ period, status, earlier }) => {
      const last = earlier.at(-1);
      if ((status !== '2' && status !== '3') || last?.status !== '3') return [];
      return [
        {
          node: period.status!,
          text: `StatusAanlevering ${status} for ${periodLabel(period)}, which was deleted ${deliveryLabel(last, self)}`,
        },
      ];
    });
  },
};
