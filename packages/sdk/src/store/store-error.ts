import { RampartError } from '@rampart/errors';

/** SQLSTATE classes whose primary message may quote a value (data exceptions, user RAISE). */
const VALUE_BEARING_CLASSES = new Set(['22', 'P0']);

/**
 * PostgreSQL refused a statement (`SDK_STORE_QUERY_FAILED`). It carries the SQLSTATE, table and
 * constraint, but never the server's `detail` (`Key (email)=(jane@example.com) already exists`)
 * nor a message that may quote a value: those would put data into logs.
 */
export class StoreQueryError extends RampartError {
  /** The five-character SQLSTATE, e.g. `23505` for a unique violation. */
  readonly sqlState: string;
  readonly constraint: string | undefined;
  readonly table: string | undefined;

  constructor(sqlState: string, message: string, where: { constraint?: string; table?: string } = {}) {
    super('SDK_STORE_QUERY_FAILED', { detail: `SQLSTATE ${sqlState}: ${message}` });
    this.name = 'StoreQueryError';
    this.sqlState = sqlState;
    this.constraint = where.constraint;
    this.table = where.table;
  }
}

interface PgErrorLike {
  readonly code?: unknown;
  readonly message: string;
  readonly constraint?: unknown;
  readonly table?: unknown;
  readonly severity?: unknown;
}

/** Turns a driver error into a value-free `StoreQueryError`, or `SDK_STORE_UNAVAILABLE` if no SQLSTATE. */
export function toStoreError(error: unknown): Error {
  if (error instanceof TypeError || error instanceof RampartError) return error;
  if (error instanceof Error && isPgError(error)) {
    const sqlState = error.code;
    const message = VALUE_BEARING_CLASSES.has(sqlState.slice(0, 2))
      ? 'the statement was refused because of a value (its text is not recorded)'
      : error.message;
    return new StoreQueryError(sqlState, message, {
      ...(typeof error.constraint === 'string' ? { constraint: error.constraint } : {}),
      ...(typeof error.table === 'string' ? { table: error.table } : {}),
    });
  }
  const reason = error instanceof Error ? error.message : 'unknown failure';
  return new RampartError('SDK_STORE_UNAVAILABLE', {
    detail: `PostgreSQL could not be used: ${reason}`,
    cause: error,
  });
}

function isPgError(error: Error): error is Error & PgErrorLike & { code: string } {
  const { code, severity } = error as PgErrorLike;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && typeof severity === 'string';
}

/**
 * Whether a statement failed because a unique or primary-key constraint already holds the value,
 * on either engine — the one failure services routinely turn into a client answer (409, "exists").
 *
 * @example
 * try { await store.run('INSERT INTO users (email_hash) VALUES (?)', [hash]); }
 * catch (error) { if (isUniqueViolation(error)) throw new RampartError('SDK_BAD_REQUEST'); throw error; }
 */
export function isUniqueViolation(error: unknown): boolean {
  if (error instanceof StoreQueryError) return error.sqlState === '23505';
  // node:sqlite: SQLITE_CONSTRAINT_UNIQUE (2067) and SQLITE_CONSTRAINT_PRIMARYKEY (1555).
  const errcode = (error as { errcode?: unknown } | null)?.errcode;
  return errcode === 2067 || errcode === 1555;
}
