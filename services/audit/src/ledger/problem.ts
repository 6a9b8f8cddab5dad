/**
 * What verification found wrong first:
 * - `modified`: an entry's content or hash was changed (or an entry was rewritten with a new hash);
 * - `deleted`: an entry is missing (a gap in seq, or entries removed and the rest renumbered);
 * - `inserted`: an entry that was never appended (a duplicate seq, a seq before the chain's start,
 *   a well-formed entry that does not continue the chain, or entries slipped in and the rest renumbered);
 * - `reordered`: an entry stored at another seq than the one it was appended at, its predecessor still present;
 * - `bad_checkpoint`: a checkpoint whose signature does not verify, or whose head is not the chain's hash at its seq;
 * - `truncated`: the chain ends before, or differs from, a checkpoint that names a later or other head
 *   (an exported one, or a stored one left behind).
 */
export type LedgerProblemKind =
  'modified' | 'deleted' | 'inserted' | 'reordered' | 'bad_checkpoint' | 'truncated';

export interface LedgerProblem {
  readonly kind: LedgerProblemKind;
  /** The seq the problem concerns (for `deleted`, the first missing one). */
  readonly seq: number;
  /** The id of the entry concerned, when there is one. */
  readonly id?: string;
  /** One sentence for the operator: what was found, never an event's content. */
  readonly detail: string;
}

/** Thrown by `prune` when what it would delete does not verify: the evidence stays. */
export class LedgerIntegrityError extends Error {
  readonly problem: LedgerProblem;

  constructor(problem: LedgerProblem) {
    super(`the audit ledger does not verify: ${problem.kind} at seq ${problem.seq}`);
    this.name = 'LedgerIntegrityError';
    this.problem = problem;
  }
}
