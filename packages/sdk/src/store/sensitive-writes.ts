import { AsyncLocalStorage } from 'node:async_hooks';
import { RampartError } from '@rampart/errors';
import type { StateTransition } from './transition.ts';
import type { SqlValue, Store } from './types.ts';

/** Values shorter than this are not compared (they would match unrelated columns by chance). */
const MIN_COMPARED_LENGTH = 3;
/** A statement that writes: INSERT, UPDATE, REPLACE, MERGE (also behind a `WITH`). */
const WRITES = /\b(insert|update|replace|merge)\b/iu;

/** The sensitive values of the request being handled: value → the field it came from. */
type SensitiveValues = ReadonlyMap<string, string>;

const current = new AsyncLocalStorage<SensitiveValues>();

/**
 * Runs a handler with the values of the request body's sensitive fields in scope (the fields listed
 * under the service's `sensitive` in rampart.yaml, at any depth, by their last name), so a store
 * write made while handling it can be checked by {@link guardSensitiveWrites}.
 *
 * @example
 * withSensitiveValues(request.body, ['email'], () => handler(request, reply));
 */
export function withSensitiveValues<T>(body: unknown, sensitive: readonly string[], fn: () => T): T {
  if (sensitive.length === 0) return fn();
  const names = new Set(sensitive.map((field) => field.split('.').at(-1) ?? field));
  const values = new Map<string, string>();
  collect(body, names, values, 0);
  return values.size === 0 ? fn() : current.run(values, fn);
}

function collect(value: unknown, names: ReadonlySet<string>, into: Map<string, string>, depth: number): void {
  if (depth > 16 || typeof value !== 'object' || value === null) return;
  if (Array.isArray(value)) {
    for (const item of value) collect(item, names, into, depth + 1);
    return;
  }
  for (const [key, inner] of Object.entries(value)) {
    if (names.has(key) && typeof inner === 'string' && inner.length >= MIN_COMPARED_LENGTH)
      into.set(inner, key);
    else collect(inner, names, into, depth + 1);
  }
}

/**
 * The store a service's handlers get: a statement that writes (INSERT, UPDATE, REPLACE, MERGE, a
 * `transition`) with a parameter equal to the value of a sensitive field of the request being
 * handled is refused — `SDK_SENSITIVE_IN_CLEAR` (500; the client sees a generic error), nothing
 * written, `onRefused` told which field — because that field was about to be stored unencrypted.
 * Encrypt it with `svc.fields.encrypt(value, { table, column, row })` first. Reads are not checked.
 *
 * @example
 * const store = guardSensitiveWrites(openedStore, (field) => log.error({ field }, 'sensitive field written in clear'));
 */
export function guardSensitiveWrites(store: Store, onRefused: (field: string) => void): Store {
  const check = (params: readonly SqlValue[]): void => {
    const values = current.getStore();
    if (values === undefined) return;
    for (const param of params) {
      if (typeof param !== 'string') continue;
      const field = values.get(param);
      if (field === undefined) continue;
      onRefused(field);
      throw new RampartError('SDK_SENSITIVE_IN_CLEAR', {
        detail: `the value of sensitive field "${field}" was about to be stored unencrypted: seal it with svc.fields.encrypt first`,
      });
    }
  };
  const checkStatement = (sql: string, params: readonly SqlValue[] | undefined): void => {
    if (params !== undefined && WRITES.test(sql)) check(params);
  };
  const guarded = (inner: Store): Store => ({
    run: (sql, params) => {
      checkStatement(sql, params);
      return inner.run(sql, params);
    },
    get: (sql, params) => {
      checkStatement(sql, params);
      return inner.get(sql, params);
    },
    all: (sql, params) => {
      checkStatement(sql, params);
      return inner.all(sql, params);
    },
    transition: (table: string, id: SqlValue, transition: StateTransition) => {
      check([transition.to, ...Object.values(transition.set ?? {})]);
      return inner.transition(table, id, transition);
    },
    transaction: (fn) => inner.transaction((tx) => fn(guarded(tx))),
    migrate: (migrations) => inner.migrate(migrations),
    close: () => inner.close(),
  });
  return guarded(store);
}
