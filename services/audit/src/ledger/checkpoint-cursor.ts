import type { ChainHead } from './chain.ts';
import type { SignedCheckpoint } from './checkpoint.ts';
import { sameBytes } from './entry.ts';
import { peekable, type Peekable } from './peekable.ts';
import type { LedgerProblem } from './problem.ts';

/** A checkpoint as read: `undefined` when the stored row's fields do not have their types. */
export interface CheckpointItem {
  readonly checkpoint: SignedCheckpoint | undefined;
  readonly seq: unknown;
}

/**
 * Walks one list of checkpoints (stored, or exported) in seq order alongside the entries: each is
 * checked once verification has reached its seq. A stored checkpoint that disagrees is
 * `bad_checkpoint`; an exported one means the store's tail was replaced: `truncated`.
 */
export class CheckpointCursor {
  /** Checkpoints whose signature (and head, where its entry is stored) verified. */
  verified = 0;
  /** The highest seq whose head a verified checkpoint matched. */
  signedThrough: number;
  readonly #items: Peekable<CheckpointItem>;
  readonly #origin: 'stored' | 'exported';
  readonly #valid: (checkpoint: SignedCheckpoint) => boolean;
  readonly #anchor: ChainHead;
  #nextSeq = -Infinity;

  constructor(
    items: AsyncIterable<CheckpointItem> | Iterable<CheckpointItem>,
    origin: 'stored' | 'exported',
    valid: (checkpoint: SignedCheckpoint) => boolean,
    anchor: ChainHead,
  ) {
    this.#items = peekable(items);
    this.#origin = origin;
    this.#valid = valid;
    this.#anchor = anchor;
    this.signedThrough = anchor.seq;
  }

  /** Reads the next checkpoint ahead, so that `dueAt` can answer without waiting. */
  async load(): Promise<void> {
    const [item] = await this.#items.peek(1);
    this.#nextSeq = item === undefined ? Infinity : typeof item.seq === 'number' ? item.seq : Infinity;
  }

  /** Whether a checkpoint waits to be checked at or below `seq` (the verifier's fast path). */
  dueAt(seq: number): boolean {
    return this.#nextSeq <= seq;
  }

  /** Checks every checkpoint at or below `head.seq`: `head` is the verified chain's hash there. */
  async checkThrough(head: ChainHead): Promise<LedgerProblem | undefined> {
    for (;;) {
      const [item] = await this.#items.peek(1);
      if (item === undefined || typeof item.seq !== 'number' || item.seq > head.seq) {
        await this.load();
        return undefined;
      }
      await this.#items.next();
      const problem = this.#check(item, head);
      if (problem !== undefined) return problem;
    }
  }

  /** After the last entry: any checkpoint left names a head the store no longer has. */
  async checkBeyond(head: ChainHead): Promise<LedgerProblem | undefined> {
    for (let item = await this.#items.next(); item !== undefined; item = await this.#items.next()) {
      const unsigned = this.#unsigned(item);
      if (unsigned !== undefined) return unsigned;
      return {
        kind: 'truncated',
        seq: head.seq + 1,
        detail: `the ${this.#origin} checkpoint at seq ${String(item.seq)} names a head beyond the last stored entry (seq ${head.seq})`,
      };
    }
    return undefined;
  }

  #check(item: CheckpointItem, head: ChainHead): LedgerProblem | undefined {
    const unsigned = this.#unsigned(item);
    if (unsigned !== undefined || item.checkpoint === undefined) return unsigned;
    const { seq, head: signedHead } = item.checkpoint;
    if (seq < this.#anchor.seq) {
      this.verified++; // its entry was pruned: only the signature can be checked
      return undefined;
    }
    if (seq === head.seq && sameBytes(signedHead, head.hash)) {
      this.verified++;
      this.signedThrough = Math.max(this.signedThrough, seq);
      return undefined;
    }
    return this.#origin === 'stored'
      ? {
          kind: 'bad_checkpoint',
          seq,
          detail: `the chain's hash at seq ${seq} is not the signed head: entries after seq ${this.signedThrough} were rewritten`,
        }
      : {
          kind: 'truncated',
          seq,
          detail: `the stored chain at seq ${seq} differs from the exported checkpoint: what follows seq ${this.signedThrough} was replaced`,
        };
  }

  #unsigned(item: CheckpointItem): LedgerProblem | undefined {
    const seq = typeof item.seq === 'number' ? item.seq : -1;
    if (item.checkpoint === undefined) {
      return {
        kind: 'bad_checkpoint',
        seq,
        detail: `a ${this.#origin} checkpoint has fields of the wrong type`,
      };
    }
    if (!this.#valid(item.checkpoint)) {
      return {
        kind: 'bad_checkpoint',
        seq,
        detail: `the ${this.#origin} checkpoint at seq ${seq} has no valid signature`,
      };
    }
    return undefined;
  }
}
