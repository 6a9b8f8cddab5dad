import { entryHash, sameBytes, type LedgerEntry } from './entry.ts';
import type { LedgerProblem } from './problem.ts';

/** How far (in seqs) diagnosis looks for where a misplaced entry belongs, and rows it reads ahead. */
export const DIAGNOSIS_WINDOW = 64;

/** Whether `entry`'s stored hash is the hash of its own fields as the entry at `seq`. */
export function fitsAt(entry: LedgerEntry, seq: number): boolean {
  try {
    return sameBytes(entryHash(entry.prevHash, seq, entry.id, entry.event), entry.hash);
  } catch {
    return false; // an id that is not well-formed text cannot have been appended
  }
}

export interface Anomaly {
  /** The seq the next entry should have. */
  readonly expected: number;
  /** The hash it should chain on. */
  readonly prevHash: Uint8Array;
  /** The seq the chain starts after (0, or what was pruned). */
  readonly anchorSeq: number;
  /** The entry that does not fit: its seq is not `expected`, or its hashes do not chain. */
  readonly entry: LedgerEntry;
  /** The entries stored after it, up to `DIAGNOSIS_WINDOW`. */
  readonly ahead: readonly LedgerEntry[];
  /** The id of an already verified entry, for the last `DIAGNOSIS_WINDOW` seqs. */
  readonly verifiedId: (seq: number) => string | undefined;
}

/**
 * Names the first thing wrong at an entry that does not continue the chain. Verification has
 * already accepted every entry before it, so the kind is read from how this entry and the next ones
 * fit: where its own hash says it belongs, and whether its neighbours still link to it.
 */
export function diagnose(anomaly: Anomaly): LedgerProblem {
  const { expected: s, entry, ahead, anchorSeq } = anomaly;
  const { id } = entry;
  if (entry.seq < s) {
    return entry.seq <= anchorSeq
      ? {
          kind: 'inserted',
          seq: entry.seq,
          id,
          detail: `an entry at seq ${entry.seq}, before the chain starts`,
        }
      : { kind: 'inserted', seq: entry.seq, id, detail: `a second entry with seq ${entry.seq}` };
  }
  if (entry.seq > s) {
    return { kind: 'deleted', seq: s, detail: `entries ${s} to ${entry.seq - 1} are missing` };
  }
  const next = ahead[0];
  if (fitsAt(entry, s)) return misplacedLink(anomaly, next);
  const recordedAt = whereItFits(entry, s);
  if (recordedAt !== undefined && recordedAt > s) {
    const predecessorLater = ahead.some((later) => sameBytes(later.hash, entry.prevHash));
    return predecessorLater
      ? {
          kind: 'reordered',
          seq: s,
          id,
          detail: `the entry appended as seq ${recordedAt} is stored at seq ${s}`,
        }
      : {
          kind: 'deleted',
          seq: s,
          detail: `entries from seq ${s} were deleted and the following renumbered (seq ${s} holds the entry appended as ${recordedAt})`,
        };
  }
  if (recordedAt !== undefined && recordedAt < s) {
    const original = anomaly.verifiedId(recordedAt);
    if (original === id) {
      return {
        kind: 'inserted',
        seq: s,
        id,
        detail: `seq ${s} holds a copy of the entry at seq ${recordedAt}`,
      };
    }
    return {
      kind: 'inserted',
      seq: recordedAt,
      ...(original === undefined ? {} : { id: original }),
      detail: `entries were inserted from seq ${recordedAt} and the following renumbered (seq ${s} holds the entry appended as ${recordedAt})`,
    };
  }
  if (next?.seq === s + 1 && fitsAt(next, s)) {
    return { kind: 'inserted', seq: s, id, detail: `seq ${s} holds an entry that was never appended` };
  }
  return { kind: 'modified', seq: s, id, detail: `the entry at seq ${s} does not match its hash` };
}

/** The entry hashes correctly for its seq but does not chain on its predecessor. */
function misplacedLink(anomaly: Anomaly, next: LedgerEntry | undefined): LedgerProblem {
  const { expected: s, entry, anchorSeq } = anomaly;
  const stillLinked = next?.seq === s + 1 && fitsAt(next, s + 1) && sameBytes(next.prevHash, entry.hash);
  if (!stillLinked) {
    return {
      kind: 'inserted',
      seq: s,
      id: entry.id,
      detail: `seq ${s} holds a well-formed entry that does not continue the chain`,
    };
  }
  // The entry after it still links to it, so it is the original: its predecessor was rewritten.
  const before = s - 1;
  if (before <= anchorSeq) {
    return {
      kind: 'modified',
      seq: s,
      id: entry.id,
      detail: `the entry at seq ${s} does not continue from the chain's start`,
    };
  }
  const previousId = anomaly.verifiedId(before);
  return {
    kind: 'modified',
    seq: before,
    ...(previousId === undefined ? {} : { id: previousId }),
    detail: `the entry at seq ${before} was rewritten with a new hash (seq ${s} still names the original)`,
  };
}

/** The other seq near `s` at which the entry's own hash is consistent, if any. */
function whereItFits(entry: LedgerEntry, s: number): number | undefined {
  for (let distance = 1; distance <= DIAGNOSIS_WINDOW; distance++) {
    if (fitsAt(entry, s + distance)) return s + distance;
    if (s - distance >= 1 && fitsAt(entry, s - distance)) return s - distance;
  }
  return undefined;
}
