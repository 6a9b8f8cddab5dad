import type { SqlValue, Store } from '@rampart/sdk';
import {
  parseEvent,
  SEARCH_COLUMN_NAMES,
  SEARCH_COLUMNS_VERSION,
  searchColumns,
  searchColumnValues,
} from '../ledger/search-columns.ts';

const PAGE = 2000;

/** The first entry whose search columns do not say what its event says. */
export interface SearchColumnMismatch {
  readonly seq: number;
  readonly id: string;
  /** The column that differs, or `search_columns` for a row left out of the index. */
  readonly column: string;
}

/**
 * Checks that every entry's search columns are what its stored event text gives
 * (`searchColumns`): the hash chain covers the event only, so whoever can write the store could
 * otherwise hide an event from `searchEvents` by editing a column, unseen by `verifyLedger`. Reads
 * the table in pages of 2000 in seq order; returns the first mismatch, or undefined.
 *
 * @example
 * const mismatch = await verifySearchColumns(store); // after verifyLedger(store, …) is ok
 */
export async function verifySearchColumns(store: Store): Promise<SearchColumnMismatch | undefined> {
  const columns = SEARCH_COLUMN_NAMES.join(', ');
  let after = 0;
  for (;;) {
    const rows = await store.all<Record<string, unknown>>(
      `SELECT seq, id, event, search_columns, ${columns} FROM audit_entries WHERE seq > ? ORDER BY seq LIMIT ?`,
      [after, PAGE],
    );
    if (rows.length === 0) return undefined;
    for (const row of rows) {
      const seq = Number(row['seq']);
      const id = String(row['id']);
      if (Number(row['search_columns']) !== SEARCH_COLUMNS_VERSION)
        return { seq, id, column: 'search_columns' };
      const expected = searchColumnValues(searchColumns(parseEvent(row['event'])));
      const differs = SEARCH_COLUMN_NAMES.findIndex((name, i) => !same(row[name], expected[i]));
      if (differs !== -1) return { seq, id, column: SEARCH_COLUMN_NAMES[differs] ?? 'unknown' };
      after = seq;
    }
  }
}

function same(stored: unknown, expected: SqlValue | undefined): boolean {
  return (stored ?? null) === (expected ?? null);
}
