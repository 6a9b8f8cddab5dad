import { assertSqlIdentifier } from './identifiers.ts';
import type { SqlValue } from './types.ts';

/**
 * One compare-and-set on a row's state: "move row `id` from `from` to `to`, but only if it is
 * still in `from`". See `Store.transition`.
 */
export interface StateTransition {
  /** The state(s) the row must be in for the change to happen. */
  readonly from: SqlValue | readonly SqlValue[];
  /** The state it moves to. */
  readonly to: SqlValue;
  /** Other columns written by the same statement, e.g. `{ payment_id: id }`. */
  readonly set?: Readonly<Record<string, SqlValue>>;
  /** Further equality conditions the row must meet, e.g. `{ owner: subject }`. */
  readonly where?: Readonly<Record<string, SqlValue>>;
  /** The state column; default `status`. */
  readonly column?: string;
  /** The key column `id` is compared with; default `id`. It must be unique. */
  readonly key?: string;
}

/** The single `UPDATE` a transition is, with its parameters in placeholder order. */
export interface TransitionStatement {
  readonly sql: string;
  readonly params: readonly SqlValue[];
}

/**
 * Builds `UPDATE "table" SET "status" = ?, … WHERE "id" = ? AND "status" IN (?, …) AND …`.
 * Table and column names must be plain lower-case identifiers (a `TypeError` otherwise) and are
 * quoted; every value is a bound parameter.
 *
 * @example
 * transitionStatement('orders', id, { from: 'pending', to: 'paying', where: { owner } });
 * // { sql: 'UPDATE "orders" SET "status" = ? WHERE "id" = ? AND "status" IN (?) AND "owner" = ?',
 * //   params: ['paying', id, 'pending', owner] }
 */
export function transitionStatement(
  table: string,
  id: SqlValue,
  transition: StateTransition,
): TransitionStatement {
  const column = transition.column ?? 'status';
  const key = transition.key ?? 'id';
  const from: readonly SqlValue[] = Array.isArray(transition.from)
    ? (transition.from as readonly SqlValue[])
    : [transition.from as SqlValue];
  if (from.length === 0) throw new TypeError('transition: `from` must name at least one state');
  const set = Object.entries(transition.set ?? {});
  const where = Object.entries(transition.where ?? {});
  const written = new Set([column, ...set.map(([name]) => name)]);
  if (written.size !== set.length + 1) {
    throw new TypeError(`transition: \`set\` must not write the state column "${column}"; use \`to\``);
  }
  if (where.some(([name]) => name === column || name === key)) {
    throw new TypeError('transition: `where` must not repeat the state or key column; use `from` and `id`');
  }
  const quote = (name: string, what: string): string => `"${assertSqlIdentifier(name, what)}"`;
  const assignments = [[column, transition.to] as const, ...set]
    .map(([name]) => `${quote(name, 'a transition column')} = ?`)
    .join(', ');
  const conditions = [
    `${quote(key, 'the transition key column')} = ?`,
    `${quote(column, 'the transition state column')} IN (${from.map(() => '?').join(', ')})`,
    ...where.map(([name]) => `${quote(name, 'a transition condition column')} = ?`),
  ].join(' AND ');
  return {
    sql: `UPDATE ${quote(table, 'the transition table')} SET ${assignments} WHERE ${conditions}`,
    params: [
      transition.to,
      ...set.map(([, value]) => value),
      id,
      ...from,
      ...where.map(([, value]) => value),
    ],
  };
}
