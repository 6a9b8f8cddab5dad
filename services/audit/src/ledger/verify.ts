import type { KeyObject } from 'node:crypto';
import type { Store } from '@rampart/sdk';
import { assertEd25519, checkpointSignatureValid, type SignedCheckpoint } from './checkpoint.ts';
import { CheckpointCursor, type CheckpointItem } from './checkpoint-cursor.ts';
import type { ChainHead } from './chain.ts';
import { diagnose, DIAGNOSIS_WINDOW, fitsAt } from './diagnose.ts';
import { GENESIS_HASH, sameBytes, type LedgerEntry } from './entry.ts';
import { peekable, type Peekable } from './peekable.ts';
import type { LedgerProblem } from './problem.ts';
import {
  PAGE_SIZE,
  readCheckpoints,
  readCheckpointsAt,
  readEntryPages,
  readPruneCheckpoints,
  type MalformedEntry,
} from './rows.ts';

/** A ledger given as rows rather than a store: entries in seq order, and its stored checkpoints. */
export interface LedgerRows {
  readonly entries: AsyncIterable<LedgerEntry> | Iterable<LedgerEntry>;
  readonly checkpoints: readonly SignedCheckpoint[];
}

export interface VerifyOptions {
  /** The public half of the key that signs checkpoints. */
  readonly publicKey: KeyObject;
  /** The checkpoints exported out of band (see `readExportFile`), the evidence against truncation. */
  readonly exportedCheckpoints?: readonly SignedCheckpoint[];
  /** Verify only through this seq (what `prune` is about to delete). */
  readonly throughSeq?: number;
}

export type VerifyResult =
  | {
      readonly ok: true;
      /** Entries verified. */
      readonly events: number;
      /** Stored checkpoints verified (signature, and head where the entry is still stored). */
      readonly checkpoints: number;
      readonly exportedCheckpoints: number;
      /** The last verified entry (seq 0 and the genesis hash when there is none). */
      readonly head: ChainHead;
      /** Entries through this seq were pruned under a signed checkpoint (0: none). */
      readonly prunedThrough: number;
      /** The last seq a verified checkpoint vouches for: entries after it are only chained, not signed. */
      readonly signedThrough: number;
    }
  | { readonly ok: false; readonly problem: LedgerProblem; readonly events: number };

type Row = LedgerEntry | MalformedEntry;

interface Source {
  entryPages(through: number | undefined): AsyncIterable<readonly Row[]>;
  checkpoints(): AsyncIterable<CheckpointItem> | Iterable<CheckpointItem>;
  pruneCheckpoints(): Promise<readonly SignedCheckpoint[]>;
  checkpointsAt(seq: number): Promise<readonly SignedCheckpoint[]>;
}

/**
 * Verifies a ledger: streams its entries in seq order (a page at a time, constant memory),
 * recomputes each hash and link, checks every stored and exported checkpoint's signature and head,
 * and that no checkpoint names a head beyond the stored tail. Returns the counts, or the first
 * problem with its kind and the seq (and id) it concerns. Throws only when the store cannot be read.
 *
 * @example
 * const result = await verifyLedger(store, { publicKey, exportedCheckpoints: await readExportFile(file) });
 * if (!result.ok) console.error(`${result.problem.kind} at seq ${result.problem.seq}`);
 */
export async function verifyLedger(
  source: Store | LedgerRows,
  options: VerifyOptions,
): Promise<VerifyResult> {
  assertEd25519(options.publicKey, 'public', 'publicKey');
  const from = toSource(source);
  const valid = (checkpoint: SignedCheckpoint): boolean =>
    checkpointSignatureValid(checkpoint, options.publicKey);
  const exported = [...(options.exportedCheckpoints ?? [])].sort((a, b) => a.seq - b.seq);

  const start = await findStart(from, exported, valid);
  if ('problem' in start) return { ok: false, problem: start.problem, events: 0 };
  const { anchor, prunedThrough } = start;

  const stored = new CheckpointCursor(from.checkpoints(), 'stored', valid, anchor);
  const outside = new CheckpointCursor(
    exported.map((checkpoint) => ({ checkpoint, seq: checkpoint.seq })),
    'exported',
    valid,
    anchor,
  );
  const pages = peekable(from.entryPages(options.throughSeq));
  const recentIds = new Array<string | undefined>(DIAGNOSIS_WINDOW);
  let head = anchor;
  let events = 0;
  const fail = (problem: LedgerProblem): VerifyResult => ({ ok: false, problem, events });

  let problem = (await stored.checkThrough(head)) ?? (await outside.checkThrough(head));
  if (problem !== undefined) return fail(problem);
  for (let page = await pages.next(); page !== undefined; page = await pages.next()) {
    for (let index = 0; index < page.length; index++) {
      const item = page[index];
      if (item === undefined) break;
      if ('malformed' in item) {
        const seq = item.seq ?? head.seq + 1;
        const id = item.id === undefined ? {} : { id: item.id };
        return fail({
          kind: 'modified',
          seq,
          ...id,
          detail: `the entry at seq ${seq} has fields of the wrong type`,
        });
      }
      if (item.seq !== head.seq + 1 || !sameBytes(item.prevHash, head.hash) || !fitsAt(item, item.seq)) {
        const ahead = await lookAhead(page, index, pages);
        const verifiedId = (seq: number): string | undefined =>
          seq > head.seq - DIAGNOSIS_WINDOW && seq <= head.seq
            ? recentIds[seq % DIAGNOSIS_WINDOW]
            : undefined;
        return fail(
          diagnose({
            expected: head.seq + 1,
            prevHash: head.hash,
            anchorSeq: anchor.seq,
            entry: item,
            ahead,
            verifiedId,
          }),
        );
      }
      recentIds[item.seq % DIAGNOSIS_WINDOW] = item.id;
      head = { seq: item.seq, hash: item.hash };
      events++;
      if (stored.dueAt(head.seq)) problem = await stored.checkThrough(head);
      if (problem === undefined && outside.dueAt(head.seq)) problem = await outside.checkThrough(head);
      if (problem !== undefined) return fail(problem);
    }
  }
  if (options.throughSeq === undefined) {
    problem = (await stored.checkBeyond(head)) ?? (await outside.checkBeyond(head));
    if (problem !== undefined) return fail(problem);
  }
  return {
    ok: true,
    events,
    checkpoints: stored.verified,
    exportedCheckpoints: outside.verified,
    head,
    prunedThrough,
    signedThrough: Math.max(stored.signedThrough, outside.signedThrough),
  };
}

/**
 * Where the chain starts: after the highest pruning a valid checkpoint records, from the head of a
 * valid checkpoint at that seq (kept by `prune`, stored or exported); else at seq 1 from genesis.
 * A pruning record without a valid signature is ignored here (the walk names it, or the gap).
 */
async function findStart(
  from: Source,
  exported: readonly SignedCheckpoint[],
  valid: (checkpoint: SignedCheckpoint) => boolean,
): Promise<{ anchor: ChainHead; prunedThrough: number } | { problem: LedgerProblem }> {
  const prunings = [...(await from.pruneCheckpoints()), ...exported].filter(
    (checkpoint) => checkpoint.prunedThrough !== undefined && valid(checkpoint),
  );
  const prunedThrough = Math.max(0, ...prunings.map((checkpoint) => checkpoint.prunedThrough ?? 0));
  if (prunedThrough === 0) return { anchor: { seq: 0, hash: GENESIS_HASH }, prunedThrough };
  const [start] = [
    ...(await from.checkpointsAt(prunedThrough)),
    ...exported.filter((checkpoint) => checkpoint.seq === prunedThrough),
  ].filter(valid);
  if (start === undefined) {
    const detail = `entries through seq ${prunedThrough} were pruned, but no valid checkpoint at that seq is left to start from`;
    return { problem: { kind: 'bad_checkpoint', seq: prunedThrough, detail } };
  }
  return { anchor: { seq: prunedThrough, hash: start.head }, prunedThrough };
}

/** The well-formed entries after `page[index]`, up to `DIAGNOSIS_WINDOW`, from the next pages if needed. */
async function lookAhead(
  page: readonly Row[],
  index: number,
  pages: Peekable<readonly Row[]>,
): Promise<LedgerEntry[]> {
  const rows = page.slice(index + 1, index + 1 + DIAGNOSIS_WINDOW);
  for (const later of await pages.peek(Math.ceil(DIAGNOSIS_WINDOW / PAGE_SIZE) + 1)) {
    if (rows.length >= DIAGNOSIS_WINDOW) break;
    rows.push(...later.slice(0, DIAGNOSIS_WINDOW - rows.length));
  }
  return rows.filter((row): row is LedgerEntry => !('malformed' in row));
}

function toSource(source: Store | LedgerRows): Source {
  if (!('all' in source)) {
    const checkpoints = [...source.checkpoints].sort((a, b) => a.seq - b.seq);
    return {
      entryPages: (through) => inPages(source.entries, through),
      checkpoints: () => checkpoints.map((checkpoint) => ({ checkpoint, seq: checkpoint.seq })),
      pruneCheckpoints: () => Promise.resolve(checkpoints.filter((c) => c.prunedThrough !== undefined)),
      checkpointsAt: (seq) => Promise.resolve(checkpoints.filter((c) => c.seq === seq)),
    };
  }
  return {
    entryPages: (through) => readEntryPages(source, through),
    checkpoints: () => readCheckpoints(source),
    pruneCheckpoints: () => readPruneCheckpoints(source),
    checkpointsAt: (seq) => readCheckpointsAt(source, seq),
  };
}

/** Groups an entry iterator into pages (through `through`, if given). */
async function* inPages(
  entries: AsyncIterable<LedgerEntry> | Iterable<LedgerEntry>,
  through: number | undefined,
): AsyncGenerator<readonly LedgerEntry[]> {
  let page: LedgerEntry[] = [];
  for await (const entry of entries) {
    if (through !== undefined && entry.seq > through) break;
    page.push(entry);
    if (page.length < PAGE_SIZE) continue;
    yield page;
    page = [];
  }
  if (page.length > 0) yield page;
}
