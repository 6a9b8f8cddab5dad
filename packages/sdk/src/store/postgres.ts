import { createHash } from 'node:crypto';
import pg from 'pg';
import type { PoolClient, QueryResult, QueryResultRow } from 'pg';
import { RampartError } from '@rampart/errors';
import type { Secret } from '@rampart/config';
import { assertSqlIdentifier } from './identifiers.ts';
import { assertParameterCount, scanPlaceholders, type ScannedSql } from './placeholders.ts';
import { toStoreError } from './store-error.ts';
import { transitionStatement } from './transition.ts';
import { assertUniqueIds, type Migration, type RunResult, type SqlValue, type Store } from './types.ts';

const { Pool, escapeIdentifier, types } = pg;

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database`, as a string or a resolved `Secret`. */
  readonly url: string | Secret;
  /** The schema every connection's `search_path` is pinned to (and `_migrations` lives in). */
  readonly schema: string;
  /** Most connections open at once; default 10. */
  readonly maxConnections?: number;
  /** Server-side limit per statement; default 5000 ms. */
  readonly statementTimeoutMs?: number;
  /** Limit per statement while migrating (and for waiting on another migrator); default 300 000 ms. */
  readonly migrationTimeoutMs?: number;
  /** Limit for opening a connection; default 5000 ms. */
  readonly connectionTimeoutMs?: number;
  /** Shown in `pg_stat_activity`; default `rampart-<schema>`. */
  readonly applicationName?: string;
  /** Called when an idle pooled connection fails (the pool drops it and reconnects later). */
  readonly onIdleError?: (error: Error) => void;
}

/** URL parameters a caller may set; the rest (`options`, timeouts…) would override what the store pins. */
const ALLOWED_URL_PARAMETERS = new Set([
  'ssl',
  'sslmode',
  'sslrootcert',
  'sslcert',
  'sslkey',
  'application_name',
]);
const MAX_CACHED_STATEMENTS = 256;
const INT8_OID = 20;
/** pg's own parsers, typed by plain OID (its typings want the `TypeId` enum). */
const builtinParser = types.getTypeParser as (
  oid: number,
  format: 'text' | 'binary',
) => (value: string) => unknown;

/**
 * Opens a PostgreSQL store with the same interface and behaviour as the embedded one: `?`
 * placeholders (rewritten to `$1..$n`, never inside literals), parameters always bound, a bounded
 * pool whose every connection has `search_path` pinned to `schema` and a statement timeout,
 * transactions on one connection, and migrations recorded in `<schema>._migrations` under an
 * advisory lock so that replicas starting together apply each migration once. `BIGINT` values come
 * back as numbers (as in SQLite), or as `bigint` beyond 2^53. Errors never carry row values.
 * The schema must exist (see `provisionServiceDatabase`); the store never creates one.
 *
 * @example
 * const store = openPostgresStore({ url: await resolveSecret(ref, configDir), schema: 'orders' });
 * await store.migrate([{ id: '0001-orders', sql: 'CREATE TABLE orders (id TEXT PRIMARY KEY)' }]);
 * const order = await store.get<{ id: string }>('SELECT id FROM orders WHERE id = ?', [id]);
 */
export function openPostgresStore(options: PostgresStoreOptions): Store {
  const schema = assertSqlIdentifier(options.schema, 'schema');
  const url = typeof options.url === 'string' ? options.url : options.url.reveal();
  assertUsableUrl(url);
  const statementTimeoutMs = positiveInteger(options.statementTimeoutMs ?? 5000, 'statementTimeoutMs');
  const migrationTimeoutMs = positiveInteger(options.migrationTimeoutMs ?? 300_000, 'migrationTimeoutMs');
  const pool = new Pool({
    connectionString: url,
    max: positiveInteger(options.maxConnections ?? 10, 'maxConnections'),
    connectionTimeoutMillis: positiveInteger(options.connectionTimeoutMs ?? 5000, 'connectionTimeoutMs'),
    idleTimeoutMillis: 30_000,
    statement_timeout: statementTimeoutMs,
    idle_in_transaction_session_timeout: Math.max(60_000, statementTimeoutMs),
    // A startup parameter: set before the first statement of every connection, nothing can race it.
    options: `-c search_path=${schema}`,
    application_name: options.applicationName ?? `rampart-${schema}`,
    types: { getTypeParser: getTypeParser as typeof types.getTypeParser },
  });
  pool.on('error', (error) => options.onIdleError?.(error));

  const scanned = new Map<string, ScannedSql>();
  let closed = false;
  let closing: Promise<void> | undefined;

  function translate(sql: string, params: readonly SqlValue[]): string {
    let entry = scanned.get(sql);
    if (entry === undefined) {
      entry = scanPlaceholders(sql, 'postgres');
      if (scanned.size >= MAX_CACHED_STATEMENTS) scanned.clear();
      scanned.set(sql, entry);
    }
    assertParameterCount(entry, params.length);
    return entry.text;
  }

  async function query(
    runner: pg.Pool | PoolClient,
    sql: string,
    params: readonly SqlValue[] = [],
  ): Promise<QueryResult<QueryResultRow>> {
    if (closed) throw new Error('the store is closed');
    const text = translate(sql, params);
    try {
      return await runner.query({ text, values: [...params] });
    } catch (error) {
      throw toStoreError(error);
    }
  }

  async function connect(): Promise<PoolClient> {
    if (closed) throw new Error('the store is closed');
    try {
      return await pool.connect();
    } catch (error) {
      throw toStoreError(error);
    }
  }

  function statements(runner: () => pg.Pool | PoolClient): Pick<Store, 'run' | 'get' | 'all' | 'transition'> {
    return {
      async run(sql, params) {
        const result = await query(runner(), sql, params);
        return { changes: result.rowCount ?? 0 } satisfies RunResult;
      },
      async get<T extends object>(sql: string, params?: readonly SqlValue[]) {
        const result = await query(runner(), sql, params);
        return result.rows[0] as T | undefined;
      },
      async all<T extends object>(sql: string, params?: readonly SqlValue[]) {
        const result = await query(runner(), sql, params);
        return result.rows as T[];
      },
      async transition(table, id, transition) {
        const { sql, params } = transitionStatement(table, id, transition);
        const result = await query(runner(), sql, params);
        return (result.rowCount ?? 0) > 0;
      },
    };
  }

  const store: Store = {
    ...statements(() => pool),
    async transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
      const client = await connect();
      let ended = false;
      let broken: Error | undefined;
      const onClient = (): PoolClient => {
        if (ended) throw new TypeError('this transaction has ended; use the store, not the old tx');
        return client;
      };
      const tx: Store = {
        ...statements(onClient),
        transaction: () =>
          Promise.reject(new TypeError('nested transactions are not supported; use the outer tx')),
        migrate: () => Promise.reject(new TypeError('migrate() cannot run inside a transaction')),
        close: () => Promise.reject(new TypeError('close() cannot run inside a transaction')),
      };
      try {
        await query(client, 'BEGIN');
        try {
          const result = await fn(tx);
          await query(client, 'COMMIT');
          return result;
        } catch (error) {
          try {
            await client.query('ROLLBACK');
          } catch (rollbackError) {
            broken = rollbackError instanceof Error ? rollbackError : new Error('rollback failed');
          }
          throw error;
        }
      } finally {
        ended = true;
        client.release(broken);
      }
    },
    async migrate(migrations: readonly Migration[]) {
      assertUniqueIds(migrations);
      const client = await connect();
      try {
        await applyMigrations(client, schema, migrations, migrationTimeoutMs, query);
      } finally {
        // Destroy rather than reuse: the connection's session settings and lock die with it.
        client.release(true);
      }
    },
    async close() {
      closed = true;
      closing ??= pool.end();
      await closing;
    },
  };
  return store;
}

type Query = (
  runner: PoolClient,
  sql: string,
  params?: readonly SqlValue[],
) => Promise<QueryResult<QueryResultRow>>;

async function applyMigrations(
  client: PoolClient,
  schema: string,
  migrations: readonly Migration[],
  timeoutMs: number,
  query: Query,
): Promise<void> {
  await query(client, `SET statement_timeout = ${timeoutMs}`);
  const exists = await query(client, 'SELECT 1 FROM pg_namespace WHERE nspname = ?', [schema]);
  if (exists.rowCount === 0) {
    throw new RampartError('SDK_STORE_UNAVAILABLE', {
      detail: `schema "${schema}" does not exist: provision the service's database first`,
    });
  }
  const table = `${escapeIdentifier(schema)}._migrations`;
  // Two replicas starting at once: the second waits here, then finds every migration applied.
  await query(client, 'SELECT pg_advisory_lock(?::bigint)', [migrationLockKey(schema)]);
  await query(client, `CREATE TABLE IF NOT EXISTS ${table} (id TEXT PRIMARY KEY, applied_at TEXT NOT NULL)`);
  const applied = new Set(
    (await query(client, `SELECT id FROM ${table}`)).rows.map((row) => String(row['id'])),
  );
  for (const migration of migrations) {
    if (applied.has(migration.id)) continue;
    await query(client, 'BEGIN');
    try {
      try {
        // Simple protocol, no parameters: a migration may hold several statements.
        await client.query(migration.postgres ?? migration.sql);
      } catch (error) {
        throw toStoreError(error);
      }
      await query(client, `INSERT INTO ${table} (id, applied_at) VALUES (?, ?)`, [
        migration.id,
        new Date().toISOString(),
      ]);
      await query(client, 'COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }
  await query(client, 'SELECT pg_advisory_unlock(?::bigint)', [migrationLockKey(schema)]);
}

/** A stable 64-bit advisory-lock key per schema, as a decimal string for `::bigint`. */
function migrationLockKey(schema: string): string {
  return createHash('sha256').update(`rampart:migrate:${schema}`).digest().readBigInt64BE(0).toString();
}

/** BIGINT as a number when exact (SQLite's behaviour), as a bigint beyond 2^53. */
function getTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
  if (oid === INT8_OID && format !== 'binary') {
    return (value: string) => {
      const big = BigInt(value);
      return big <= BigInt(Number.MAX_SAFE_INTEGER) && big >= BigInt(Number.MIN_SAFE_INTEGER)
        ? Number(big)
        : big;
    };
  }
  return builtinParser(oid, format ?? 'text');
}

function assertUsableUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // The URL may hold a password: never quote it.
    throw new TypeError('the PostgreSQL URL is not a valid URL (value not shown)');
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new TypeError('the PostgreSQL URL must start with postgres:// or postgresql://');
  }
  for (const key of parsed.searchParams.keys()) {
    if (!ALLOWED_URL_PARAMETERS.has(key)) {
      throw new TypeError(
        `the PostgreSQL URL sets "${key}", which the store pins or does not support; remove it (allowed: ${[...ALLOWED_URL_PARAMETERS].join(', ')})`,
      );
    }
  }
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new TypeError(`${name} must be a positive integer`);
  return value;
}
