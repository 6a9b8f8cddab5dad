import type { Store } from '@rampart/sdk';
import type { SignedCheckpoint } from './checkpoint.ts';
import type { LedgerEntry } from './entry.ts';

/** Rows read per query while streaming: memory stays constant whatever the ledger's size. */
export const PAGE_SIZE = 2000;

/**
 * A stored row as the engine returns it. The embedded engine does not enforce column types, so a
 * tampered row may hold anything: `toEntry`/`toCheckpoint` check every field.
 */
export interface EntryRow {
  readonly seq: unknown;
  readonly id: unknown;
  readonly event: unknown;
  readonly prev_hash: unknown;
  readonly hash: unknown;
}

export interface CheckpointRow {
  readonly n: unknown;
  readonly seq: unknown;
  readonly head: unknown;
  readonly time: unknown;
  readonly pruned_through: unknown;
  readonly signature: unknown;
}

/** An entry whose fields do not even have the stored types: tampering, reported at `seq`. */
export interface MalformedEntry {
  readonly malformed: true;
  readonly seq: number | undefined;
  readonly id: string | undefined;
}

const ENTRY_COLUMNS = 'seq, id, event, prev_hash, hash';
const CHECKPOINT_COLUMNS = 'n, seq, head, time, pruned_through, signature';

export function toEntry(row: EntryRow): LedgerEntry | MalformedEntry {
  const { seq, id, event, prev_hash: prevHash, hash } = row;
  if (
    isSeq(seq) &&
    typeof id === 'string' &&
    typeof event === 'string' &&
    prevHash instanceof Uint8Array &&
    hash instanceof Uint8Array
  ) {
    return { seq, id, event, prevHash, hash };
  }
  return { malformed: true, seq: isSeq(seq) ? seq : undefined, id: typeof id === 'string' ? id : undefined };
}

export function toCheckpoint(row: CheckpointRow): SignedCheckpoint | undefined {
  const { seq, head, time, pruned_through: prunedThrough, signature } = row;
  if (!isSeq(seq) || !(head instanceof Uint8Array) || typeof time !== 'string') return undefined;
  if (!(signature instanceof Uint8Array)) return undefined;
  if (prunedThrough === null) return { seq, head, time, signature };
  if (!isSeq(prunedThrough)) return undefined;
  return { seq, head, time, prunedThrough, signature };
}

function isSeq(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value);
}

/**
 * Every stored entry in `seq` order (through `through`, if given), a page at a time: keyset
 * paging, never OFFSET. Stops after a row whose seq is not an integer (it is the last one read).
 */
export async function* readEntryPages(
  store: Store,
  through?: number,
): AsyncGenerator<readonly (LedgerEntry | MalformedEntry)[]> {
  const limit = through === undefined ? '' : 'AND seq <= ?';
  const bound = through === undefined ? [] : [through];
  let rows = await store.all<EntryRow>(
    `SELECT ${ENTRY_COLUMNS} FROM audit_entries WHERE 1 = 1 ${limit} ORDER BY seq LIMIT ?`,
    [...bound, PAGE_SIZE],
  );
  for (;;) {
    if (rows.length > 0) yield rows.map(toEntry);
    const after = rows.at(-1)?.seq;
    if (rows.length < PAGE_SIZE || !isSeq(after)) return;
    rows = await store.all<EntryRow>(
      `SELECT ${ENTRY_COLUMNS} FROM audit_entries WHERE seq > ? ${limit} ORDER BY seq LIMIT ?`,
      [after, ...bound, PAGE_SIZE],
    );
  }
}

/**
 * Every stored checkpoint in `(seq, n)` order, one page at a time. A row whose fields do not have
 * the stored types is yielded as `undefined` with its seq, when it has one.
 */
export async function* readCheckpoints(
  store: Store,
): AsyncGenerator<{ readonly checkpoint: SignedCheckpoint | undefined; readonly seq: unknown }> {
  let rows = await store.all<CheckpointRow>(
    `SELECT ${CHECKPOINT_COLUMNS} FROM audit_checkpoints ORDER BY seq, n LIMIT ?`,
    [PAGE_SIZE],
  );
  for (;;) {
    for (const row of rows) yield { checkpoint: toCheckpoint(row), seq: row.seq };
    const last = rows.at(-1);
    if (rows.length < PAGE_SIZE || !isSeq(last?.seq) || !isSeq(last.n)) return;
    rows = await store.all<CheckpointRow>(
      `SELECT ${CHECKPOINT_COLUMNS} FROM audit_checkpoints
       WHERE seq > ? OR (seq = ? AND n > ?) ORDER BY seq, n LIMIT ?`,
      [last.seq, last.seq, last.n, PAGE_SIZE],
    );
  }
}

/** The stored checkpoints that record a pruning (few: one per `prune`). */
export async function readPruneCheckpoints(store: Store): Promise<SignedCheckpoint[]> {
  const rows = await store.all<CheckpointRow>(
    `SELECT ${CHECKPOINT_COLUMNS} FROM audit_checkpoints WHERE pruned_through IS NOT NULL ORDER BY n`,
  );
  return rows.map(toCheckpoint).filter((checkpoint) => checkpoint !== undefined);
}

/** The stored checkpoints at exactly `seq`. */
export async function readCheckpointsAt(store: Store, seq: number): Promise<SignedCheckpoint[]> {
  const rows = await store.all<CheckpointRow>(
    `SELECT ${CHECKPOINT_COLUMNS} FROM audit_checkpoints WHERE seq = ? ORDER BY n`,
    [seq],
  );
  return rows.map(toCheckpoint).filter((checkpoint) => checkpoint !== undefined);
}
