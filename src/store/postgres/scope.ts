/**
 * A beheer reader's scope (issue #15) as PostgreSQL SQL: the messages of any granted (gemeenten × flows) part.
 * A message without a gemeente matches only a part with gemeenten "*"; an empty scope matches nothing.
 */
import type { MessageScope } from '../types.ts';

/**
 * The scope as one parenthesised clause; `next` adds a parameter and gives its placeholder, `alias` prefixes the
 * columns (e.g. "m.").
 */
export function scopeClause(scope: MessageScope, next: (v: unknown) => string, alias = ''): string {
  const parts = scope.map((p) => {
    const conditions = [
      ...(p.gemeenten === '*' ? [] : [`${alias}gemeente = ANY(${next([...p.gemeenten])}::text[])`]),
      ...(p.flows === '*' ? [] : [`${alias}flow = ANY(${next([...p.flows])}::text[])`]),
    ];
    return conditions.length ? `(${conditions.join(' AND ')})` : 'TRUE';
  });
  return parts.length ? `(${parts.join(' OR ')})` : 'FALSE';
}

/**
 * `AND <scope>` for a statement whose own parameters are `params` (the scope's are appended to it), or nothing
 * without a scope.
 */
export function andScope(scope: MessageScope | undefined, params: unknown[], alias = ''): string {
  if (!scope) return '';
  return ` AND ${scopeClause(
    scope,
    (v) => {
      params.push(v);
      return `$${params.length}`;
    },
    alias,
  )}`;
}
