import type { Direction, Standard } from '../catalogue/types.ts';
import type { RouteConfig } from './schema.ts';

/** What a bericht is routed on (standards.md §5): the pipeline fills it from the recognised header. */
export interface RouteKey {
  standard: Standard;
  message: string;
  direction: Direction;
  ontvanger?: string;
  afzender?: string;
}

/** The first route whose given fields all match the key (an omitted field or message '*' matches anything). */
export function findRoute(routes: readonly RouteConfig[], key: RouteKey): RouteConfig | undefined {
  return routes.find(
    (r) =>
      (r.standard === undefined || r.standard === key.standard) &&
      (r.message === undefined || r.message === '*' || r.message === key.message) &&
      (r.direction === undefined || r.direction === key.direction) &&
      (r.ontvanger === undefined || r.ontvanger === key.ontvanger) &&
      (r.afzender === undefined || r.afzender === key.afzender),
  );
}
