import { berichtRef } from '../istandaarden/messages.ts';
import type { Rule } from '../types.ts';
import { deliveryLabel, periodLabel, periodsInContext } from './deliveries.ts';
import { isIebHeen } from './messages.ts';

/**
 * TR102 (iEb, level 3, retourcode 9102): a first delivery (StatusAanlevering 1) needs a key that is new across
 * all messages: no earlier delivery of the same period (Afzender, Bsn, StartNummer) in the history or earlier in
 * this bericht.
 */
export const TR102: Rule = {
  code: 'TR102',
  retourcode: '9102',
  level: 3,
  title: 'Een eerste aanlevering heeft een sleutel die nog niet is aangeleverd',
  appliesTo: isIebHeen,
  check(ctx) {
    const self = berichtRef(ctx.root);
    return periodsInContext(ctx).flatMap(({ period, status, earlier }) => {
      const first = earlier[0];
      if (status !== '1' || !first) return [];
      return [
        {
          node: period.status!,
          text: `StatusAanlevering 1 for ${periodLabel(period)}, which was already delivered ${deliveryLabel(first, self)}`,
        },
      ];
    });
  },
};
