import type { StateTransition } from './transition.ts';

/** A value that can be bound to a `?` placeholder. */
export type SqlValue = string | number | bigint | null | Uint8Array;

export interface RunResult {
  /** Rows inserted, updated or deleted. */
  readonly changes: number;
}

/**
 * One schema change. `sql` is written in the portable subset both engines accept (see
 * `packages/sdk/docs/storage.md`); `postgres`, when present, replaces it on PostgreSQL for the rare
 * change the subset cannot express. Both engines record the `id` in `_migrations`.
 */
export interface Migration {
  /** Unique, stable, ordered name, e.g. `0001-create-orders`. Never rename an applied one. */
  readonly id: string;
  readonly sql: string;
  /** The PostgreSQL variant of `sql`, if it must differ. */
  readonly postgres?: string;
}

/**
 * The SQL store a service owns. Statements use `?` placeholders and parameters are always bound,
 * never interpolated. The same interface is implemented by the embedded engine (node:sqlite) and
 * by PostgreSQL, and one contract test suite runs against both.
 */
export interface Store {
  run(sql: string, params?: readonly SqlValue[]): Promise<RunResult>;
  get<T extends object>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  all<T extends object>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /**
   * Moves row `id` of `table` from one state to another in one conditional `UPDATE … WHERE id = ?
   * AND status IN (…)`, and reports whether this call made the change. Of any number of callers
   * racing for the same row — in one process or across replicas — exactly one gets `true`: use it
   * instead of reading the state, checking it, then writing (the read can be stale by then).
   *
   * @example
   * const won = await store.transition('orders', id, { from: 'pending', to: 'paying', where: { owner } });
   * if (!won) throw new RampartError('SHOP_ORDER_NOT_PENDING');
   */
  transition(table: string, id: SqlValue, transition: StateTransition): Promise<boolean>;
  /** Runs `fn` in one transaction: committed if it resolves, rolled back if it throws. */
  transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T>;
  /** Applies the migrations not yet recorded in `_migrations`, in order, each in a transaction. */
  migrate(migrations: readonly Migration[]): Promise<void>;
  close(): Promise<void>;
}

/** Throws a `TypeError` for an empty or repeated migration id: both are programmer errors. */
export function assertUniqueIds(migrations: readonly Migration[]): void {
  const seen = new Set<string>();
  for (const { id } of migrations) {
    if (id.length === 0) throw new TypeError('a migration id must not be empty');
    if (seen.has(id))
      throw new TypeError(`migration id "${id}" is used twice; give each migration its own id`);
    seen.add(id);
  }
}
