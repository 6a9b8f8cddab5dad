import type { Migration } from '@rampart/sdk';

/** The migration that adds the search columns: a store without it cannot be searched. */
export const SEARCH_COLUMNS_MIGRATION = '0002-audit-search-columns';

/** One index per searchable column, each ending in `seq`: a filter reads its matches newest first. */
const SEARCH_INDEXES = `CREATE INDEX audit_entries_time ON audit_entries (time, seq);
          CREATE INDEX audit_entries_event_type ON audit_entries (event_type, seq);
          CREATE INDEX audit_entries_outcome ON audit_entries (outcome, seq);
          CREATE INDEX audit_entries_service ON audit_entries (service, seq);
          CREATE INDEX audit_entries_subject ON audit_entries (subject, seq) WHERE subject IS NOT NULL;
          CREATE INDEX audit_entries_client_id ON audit_entries (client_id, seq) WHERE client_id IS NOT NULL;
          CREATE INDEX audit_entries_source_ip ON audit_entries (source_ip, seq) WHERE source_ip IS NOT NULL;
          CREATE INDEX audit_entries_route ON audit_entries (route, seq) WHERE route IS NOT NULL;
          CREATE INDEX audit_entries_trace_id ON audit_entries (trace_id, seq) WHERE trace_id IS NOT NULL;
          CREATE INDEX audit_entries_request_id ON audit_entries (request_id, seq) WHERE request_id IS NOT NULL;
          CREATE INDEX audit_entries_unsearchable ON audit_entries (seq) WHERE search_columns = 0`;

/** The search columns; on PostgreSQL the two compared as ranges sort by bytes whatever the database's collation. */
const searchColumns = (collateC: string): string =>
  [
    'time TEXT' + collateC,
    'event_type TEXT' + collateC,
    'outcome TEXT',
    'subject TEXT',
    'client_id TEXT',
    'source_ip TEXT',
    'route TEXT',
    'trace_id TEXT',
    'request_id TEXT',
    'service TEXT',
    'search_columns SMALLINT NOT NULL DEFAULT 0',
  ]
    .map((column) => `ALTER TABLE audit_entries ADD COLUMN ${column};`)
    .join('\n          ');

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
  /**
   * Search (`searchEvents`): copies of the event's fields, filled at append (`search_columns` = 1)
   * and, for entries appended before, by `backfillSearchColumns` when the ledger opens. Not hashed:
   * the chain and its verification are unchanged.
   */
  {
    id: SEARCH_COLUMNS_MIGRATION,
    sql: `${searchColumns('')}
          ${SEARCH_INDEXES}`,
    postgres: `${searchColumns(' COLLATE "C"')}
          ${SEARCH_INDEXES}`,
  },
];
