import { isUniqueViolation, type Store } from '@rampart/sdk';
import { canonicalJson, type JsonValue } from './canonical.ts';
import { entryHash, GENESIS_HASH } from './entry.ts';
import {
  SEARCH_COLUMN_NAMES,
  SEARCH_COLUMNS_VERSION,
  searchColumns,
  searchColumnValues,
  type SearchColumns,
} from './search-columns.ts';

/** `appended`: a new entry; `duplicate`: this id was already there with the same event; `conflict`: already there with another event (the stored one stays). */
export type AppendStatus = 'appended' | 'duplicate' | 'conflict';

export interface AppendResult {
  /** The seq of the entry holding this id. */
  readonly seq: number;
  readonly status: AppendStatus;
}

export interface ChainHead {
  readonly seq: number;
  readonly hash: Uint8Array;
}

/** An append that has been validated and canonicalized, waiting for its turn. */
export interface PendingAppend {
  readonly id: string;
  readonly event: string;
  /** Copies of the event's fields for search; outside the hash. */
  readonly columns: SearchColumns;
}

const MAX_ID_LENGTH = 256;
/** Attempts of one batch when another writer (a replica) took the same seq first. */
const MAX_ATTEMPTS = 10;

/**
 * Checks the id and canonicalizes the event; throws a `TypeError` for what the ledger cannot
 * store. The audit service validates events against their schema before this point.
 */
export function prepareAppend(id: string, event: JsonValue): PendingAppend {
  if (id.length === 0 || id.length > MAX_ID_LENGTH || !id.isWellFormed()) {
    throw new TypeError(`an event id must be a well-formed string of 1 to ${MAX_ID_LENGTH} characters`);
  }
  return { id, event: canonicalJson(event), columns: searchColumns(event) };
}

const INSERT_ENTRY = `INSERT INTO audit_entries (seq, id, event, prev_hash, hash, ${SEARCH_COLUMN_NAMES.join(', ')}, search_columns)
  VALUES (?, ?, ?, ?, ?, ${SEARCH_COLUMN_NAMES.map(() => '?').join(', ')}, ?)`;

/** The last entry's seq and hash, or seq 0 and the genesis hash for an empty ledger. */
export async function readHead(tx: Store): Promise<ChainHead> {
  const row = await tx.get<{ seq: number; hash: Uint8Array }>(
    'SELECT seq, hash FROM audit_entries ORDER BY seq DESC LIMIT 1',
  );
  return row === undefined ? { seq: 0, hash: GENESIS_HASH } : { seq: row.seq, hash: row.hash };
}

/**
 * Appends `batch` after the current head inside `tx`: each new id gets `head.seq + 1` and the hash
 * chained on the previous one; an id already stored (or earlier in the batch) keeps its entry.
 * `afterEach` runs in the same transaction after every new entry (checkpoints every N events).
 */
export async function writeEntries(
  tx: Store,
  batch: readonly PendingAppend[],
  afterEach: (head: ChainHead) => Promise<void>,
): Promise<AppendResult[]> {
  let head = await readHead(tx);
  const inBatch = new Map<string, { seq: number; event: string }>();
  const results: AppendResult[] = [];
  for (const { id, event, columns } of batch) {
    const earlier = inBatch.get(id) ?? (await storedEntry(tx, id));
    if (earlier !== undefined) {
      results.push({ seq: earlier.seq, status: earlier.event === event ? 'duplicate' : 'conflict' });
      continue;
    }
    const seq = head.seq + 1;
    const hash = entryHash(head.hash, seq, id, event);
    await tx.run(INSERT_ENTRY, [
      seq,
      id,
      event,
      head.hash,
      hash,
      ...searchColumnValues(columns),
      SEARCH_COLUMNS_VERSION,
    ]);
    head = { seq, hash };
    inBatch.set(id, { seq, event });
    results.push({ seq, status: 'appended' });
    await afterEach(head);
  }
  return results;
}

async function storedEntry(tx: Store, id: string): Promise<{ seq: number; event: string } | undefined> {
  return tx.get<{ seq: number; event: string }>('SELECT seq, event FROM audit_entries WHERE id = ?', [id]);
}

/**
 * Runs `fn` in a transaction, again when it failed on a unique key: another writer on the same
 * database (a replica) appended the same seq or id between our read of the head and our insert.
 * The retry reads the new head, so the chain never forks and no seq is given twice.
 */
export async function inTransactionWithRetry<T>(store: Store, fn: (tx: Store) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await store.transaction(fn);
    } catch (error) {
      if (!isUniqueViolation(error) || attempt >= MAX_ATTEMPTS) throw error;
    }
  }
}

/**
 * One writer at a time: each task starts after the previous one settled. Appends, checkpoints
 * and pruning all go through one executor, so in one process they never interleave.
 */
export function createSerialExecutor(): <T>(task: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>): Promise<T> => {
    const run = tail.then(task, task);
    tail = run.catch(() => undefined);
    return run;
  };
}
