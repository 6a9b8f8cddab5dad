import assert from 'node:assert/strict';
import type { Store } from '@rampart/sdk';
import { entryHash, type LedgerProblemKind, type VerifyResult } from '../../src/ledger/index.ts';

/**
 * What someone with write access to the database (and not the signing key) can do, in plain SQL.
 * Hashes are unkeyed: they can recompute them, as a real attacker would.
 */
export interface StoredRow {
  seq: number;
  id: string;
  event: string;
  prev_hash: Uint8Array;
  hash: Uint8Array;
}

export async function rowAt(store: Store, seq: number): Promise<StoredRow> {
  const row = await store.get<StoredRow>(
    'SELECT seq, id, event, prev_hash, hash FROM audit_entries WHERE seq = ?',
    [seq],
  );
  assert.ok(row !== undefined, `no row at ${seq}`);
  return row;
}

/** Moves every entry from `from` on by `delta` seqs (in two steps: the primary key is checked per row). */
export async function renumber(store: Store, from: number, delta: number): Promise<void> {
  await store.run('UPDATE audit_entries SET seq = seq + 1000000 WHERE seq >= ?', [from]);
  await store.run('UPDATE audit_entries SET seq = seq - 1000000 + ? WHERE seq >= 1000000', [delta]);
}

/** Recomputes the hash of the entry at `seq` from its (changed) fields; with `chain`, of all after it too. */
export async function rehash(store: Store, seq: number, chain = false): Promise<void> {
  let row = await rowAt(store, seq);
  for (;;) {
    const hash = entryHash(row.prev_hash, row.seq, row.id, row.event);
    await store.run('UPDATE audit_entries SET hash = ? WHERE seq = ?', [hash, row.seq]);
    if (!chain) return;
    const next = await store.get<StoredRow>(
      'SELECT seq, id, event, prev_hash, hash FROM audit_entries WHERE seq = ?',
      [row.seq + 1],
    );
    if (next === undefined) return;
    await store.run('UPDATE audit_entries SET prev_hash = ? WHERE seq = ?', [hash, next.seq]);
    row = { ...next, prev_hash: hash };
  }
}

/** Inserts a forged entry at `seq`, well-formed: chained on `prevHash` with its own hash right. */
export async function insertForged(
  store: Store,
  seq: number,
  id: string,
  event: string,
  prevHash: Uint8Array,
): Promise<void> {
  await store.run('INSERT INTO audit_entries (seq, id, event, prev_hash, hash) VALUES (?, ?, ?, ?, ?)', [
    seq,
    id,
    event,
    prevHash,
    entryHash(prevHash, seq, id, event),
  ]);
}

/** Asserts the first problem found. */
export function assertProblem(result: VerifyResult, kind: LedgerProblemKind, seq: number, id?: string): void {
  if (result.ok) assert.fail(`expected ${kind} at ${seq}, verification passed`);
  assert.deepEqual(
    {
      kind: result.problem.kind,
      seq: result.problem.seq,
      ...(id === undefined ? {} : { id: result.problem.id }),
    },
    { kind, seq, ...(id === undefined ? {} : { id }) },
    result.problem.detail,
  );
}

/** Asserts that verification passed, and returns its figures. */
export function assertVerified(result: VerifyResult): Extract<VerifyResult, { ok: true }> {
  if (!result.ok)
    assert.fail(`${result.problem.kind} at seq ${result.problem.seq}: ${result.problem.detail}`);
  return result;
}
