/**
 * A beheer reader's scope (issue #15) as SQLite SQL: the messages of any granted (gemeenten × flows) part. A
 * message without a gemeente matches only a part with gemeenten "*"; an empty scope matches nothing.
 */
import type { MessageScope } from '../types.ts';

/** The scope as one parenthesised clause of `?` placeholders; `alias` prefixes the columns (e.g. "m."). */
export function scopeClause(scope: MessageScope, alias = ''): { clause: string; params: unknown[] } {
  const params: unknown[] = [];
  const list = (column: string, values: readonly string[]) => {
    if (!values.length) return '0 = 1';
    params.push(...values);
    return `${alias}${column} IN (${values.map(() => '?').join(', ')})`;
  };
  const parts = scope.map((p) => {
    const conditions = [
      ...(p.gemeenten === '*' ? [] : [list('gemeente', p.gemeenten)]),
      ...(p.flows === '*' ? [] : [list('flow', p.flows)]),
    ];
    return conditions.length ? `(${conditions.join(' AND ')})` : '1 = 1';
  });
  return { clause: parts.length ? `(${parts.join(' OR ')})` : '0 = 1', params };
}

/** `AND <scope>` for a statement that already has a WHERE clause, or nothing without a scope. */
export function andScope(scope: MessageScope | undefined, alias = ''): { sql: string; params: unknown[] } {
  if (!scope) return { sql: '', params: [] };
  const { clause, params } = scopeClause(scope, alias);
  return { sql: ` AND ${clause}`, params };
}
