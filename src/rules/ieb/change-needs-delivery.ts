import type { Rule } from '../types.ts';
import { periodLabel, periodsInContext } from './deliveries.ts';
import { isIebHeen } from './messages.ts';

/**
 * TR103 (iEb, level 3, retourcode 9103): a change (StatusAanlevering 2) needs an earlier delivery of the same
 * period. Without a history only the bericht itself is known, so a change is then not assessed.
 */
export const TR103: Rule = {
  code: 'TR103',
  retourcode: '9103',
  level: 3,
  title: 'Een wijziging heeft een eerdere aanlevering met dezelfde sleutel',
  appliesTo: isIebHeen,
  check(ctx) {
    return periodsInContext(ctx).flatMap(({ period, status, earlier, historyConsulted }) => {
      if (status !== '2' || !historyConsulted || earlier.length > 0) return [];
      return [
        {
          node: period.status!,
          text: `StatusAanlevering 2 (change) for ${periodLabel(period)}, which was never delivered before`,
        },
      ];
    });
  },
};
