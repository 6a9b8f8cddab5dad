import type { Migration } from '@rampart/sdk';

/**
 * The ledger's tables, in the portable subset of both engines. `event` is TEXT, not JSONB: the
 * hash covers the exact canonical text, which JSONB would re-format. `seq` is not an identity
 * column: the appender assigns `head + 1` in its transaction, and the primary key refuses a second
 * writer that read the same head (it retries).
 */
export const ledgerMigrations: readonly Migration[] = [
  {
    id: '0001-audit-ledger',
    sql: `CREATE TABLE audit_entries (
            seq BIGINT PRIMARY KEY,
            id TEXT NOT NULL,
            event TEXT NOT NULL,
            prev_hash BYTEA NOT NULL,
            hash BYTEA NOT NULL
          );
          CREATE UNIQUE INDEX audit_entries_id ON audit_entries (id);
          CREATE TABLE audit_checkpoints (
            n BIGINT PRIMARY KEY,
            seq BIGINT NOT NULL,
            head BYTEA NOT NULL,
            time TEXT NOT NULL,
            pruned_through BIGINT,
            signature BYTEA NOT NULL
          );
          CREATE INDEX audit_checkpoints_seq ON audit_checkpoints (seq, n)`,
  },
];
