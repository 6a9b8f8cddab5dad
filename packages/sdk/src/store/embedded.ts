import { chmodSync, closeSync, openSync } from 'node:fs';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { assertParameterCount, scanPlaceholders } from './placeholders.ts';
import { transitionStatement } from './transition.ts';
import { assertUniqueIds, type RunResult, type SqlValue, type Store } from './types.ts';
import type { StateTransition } from './transition.ts';

const MAX_CACHED_STATEMENTS = 128;
/** How often the journal is folded into the database and truncated. */
const CHECKPOINT_MS = 60_000;

/**
 * Opens (creating it with mode 0600 if needed) the embedded store: SQLite through `node:sqlite`,
 * WAL journal, foreign keys on, 5 s busy timeout, extensions off.
 *
 * Deleted or overwritten values do not linger in the files: `secure_delete` zeroes freed content
 * in the database file, and the WAL — which keeps old page images until it is reset — is
 * checkpointed and truncated to zero after every migration, every minute and at close. (What the disk itself keeps of a truncated file is the file system's matter.)
 *
 * @example
 * const store = openEmbeddedStore(join(stateDir, 'service.sqlite'));
 * await store.migrate([{ id: '0001-orders', sql: 'CREATE TABLE orders (id TEXT PRIMARY KEY)' }]);
 * await store.run('INSERT INTO orders (id) VALUES (?)', [randomUUID()]);
 */
export function openEmbeddedStore(file: string): Store {
  closeSync(openSync(file, 'a', 0o600));
  chmodSync(file, 0o600);
  const db = new DatabaseSync(file, {
    enableForeignKeyConstraints: true,
    allowExtension: false,
    timeout: 5000,
  });
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA secure_delete = ON;');

  const statements = new Map<string, { statement: StatementSync; count: number }>();
  let closed = false;
  /**
   * Set while a transaction runs: other callers wait for it instead of joining it. Every method
   * checks it synchronously right before touching the database (no await in between), so a
   * statement either runs before a transaction begins or after it ends, never inside it.
   */
  let activeTransaction: Promise<void> | undefined;

  /** Folds the WAL into the database and truncates it; skipped while a transaction is open. */
  function truncateJournal(): void {
    if (closed || activeTransaction !== undefined) return;
    db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  }
  const checkpoints = setInterval(truncateJournal, CHECKPOINT_MS);
  checkpoints.unref();

  function prepare(sql: string, params: readonly SqlValue[]): StatementSync {
    if (closed) throw new Error('the store is closed');
    let cached = statements.get(sql);
    if (cached === undefined) {
      const scanned = scanPlaceholders(sql, 'sqlite');
      if (statements.size >= MAX_CACHED_STATEMENTS) statements.clear();
      cached = { statement: db.prepare(sql), count: scanned.count };
      statements.set(sql, cached);
    }
    // SQLite would bind NULL to a missing parameter; a wrong count is a bug, so refuse it.
    assertParameterCount(cached, params.length);
    return cached.statement;
  }

  const direct = {
    run(sql: string, params: readonly SqlValue[] = []): RunResult {
      const result = prepare(sql, params).run(...(params as SQLInputValue[]));
      return { changes: Number(result.changes) };
    },
    get(sql: string, params: readonly SqlValue[] = []): object | undefined {
      return prepare(sql, params).get(...(params as SQLInputValue[]));
    },
    all(sql: string, params: readonly SqlValue[] = []): object[] {
      return prepare(sql, params).all(...(params as SQLInputValue[]));
    },
    transition(table: string, id: SqlValue, transition: StateTransition): boolean {
      const { sql, params } = transitionStatement(table, id, transition);
      return direct.run(sql, params).changes > 0;
    },
  };

  const inTransaction: Store = {
    run: (sql, params) => Promise.resolve(direct.run(sql, params)),
    get: <T extends object>(sql: string, params?: readonly SqlValue[]) =>
      Promise.resolve(direct.get(sql, params) as T | undefined),
    all: <T extends object>(sql: string, params?: readonly SqlValue[]) =>
      Promise.resolve(direct.all(sql, params) as T[]),
    transition: (table, id, transition) => Promise.resolve(direct.transition(table, id, transition)),
    transaction: () =>
      Promise.reject(new TypeError('nested transactions are not supported; use the outer tx')),
    migrate: () => Promise.reject(new TypeError('migrate() cannot run inside a transaction')),
    close: () => Promise.reject(new TypeError('close() cannot run inside a transaction')),
  };

  const store: Store = {
    async run(sql, params) {
      while (activeTransaction !== undefined) await activeTransaction;
      return direct.run(sql, params);
    },
    async get<T extends object>(sql: string, params?: readonly SqlValue[]) {
      while (activeTransaction !== undefined) await activeTransaction;
      return direct.get(sql, params) as T | undefined;
    },
    async all<T extends object>(sql: string, params?: readonly SqlValue[]) {
      while (activeTransaction !== undefined) await activeTransaction;
      return direct.all(sql, params) as T[];
    },
    async transition(table, id, transition) {
      while (activeTransaction !== undefined) await activeTransaction;
      return direct.transition(table, id, transition);
    },
    async transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
      while (activeTransaction !== undefined) await activeTransaction;
      if (closed) throw new Error('the store is closed');
      let finish = (): void => undefined;
      activeTransaction = new Promise<void>((resolve) => {
        finish = resolve;
      });
      try {
        db.exec('BEGIN IMMEDIATE');
        try {
          const result = await fn(inTransaction);
          db.exec('COMMIT');
          return result;
        } catch (error) {
          db.exec('ROLLBACK');
          throw error;
        }
      } finally {
        activeTransaction = undefined;
        finish();
      }
    },
    async migrate(migrations) {
      assertUniqueIds(migrations);
      await store.run(
        'CREATE TABLE IF NOT EXISTS _migrations (id TEXT PRIMARY KEY, applied_at TEXT NOT NULL)',
      );
      for (const migration of migrations) {
        await store.transaction(async (tx) => {
          const applied = await tx.get('SELECT id FROM _migrations WHERE id = ?', [migration.id]);
          if (applied !== undefined) return;
          db.exec(migration.sql);
          await tx.run('INSERT INTO _migrations (id, applied_at) VALUES (?, ?)', [
            migration.id,
            new Date().toISOString(),
          ]);
        });
      }
      // A migration may have rewritten or dropped values: none stays behind in the journal.
      truncateJournal();
    },
    async close() {
      while (activeTransaction !== undefined) await activeTransaction;
      if (closed) return;
      clearInterval(checkpoints);
      truncateJournal();
      closed = true;
      statements.clear();
      db.close();
    },
  };
  return store;
}

/** The embedded store's original name, kept for existing callers. */
export const openStore = openEmbeddedStore;
