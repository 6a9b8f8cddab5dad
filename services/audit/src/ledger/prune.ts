import type { KeyObject } from 'node:crypto';
import type { Store } from '@rampart/sdk';
import { readHead, type ChainHead } from './chain.ts';
import { checkpointSignatureValid, storeCheckpoint, type SignedCheckpoint } from './checkpoint.ts';
import { sameBytes } from './entry.ts';
import { LedgerIntegrityError } from './problem.ts';
import { readCheckpointsAt } from './rows.ts';
import { verifyLedger } from './verify.ts';

export interface PruneOptions {
  readonly throughSeq: number;
  readonly publicKey: KeyObject;
  /** Signs a checkpoint of `head` recording `prunedThrough`. */
  readonly sign: (head: ChainHead, prunedThrough: number) => SignedCheckpoint;
}

/**
 * Retention: deletes the entries through `throughSeq` and the checkpoints before it, then stores a
 * checkpoint of the head with `prunedThrough: throughSeq`. The checkpoint at `throughSeq` stays:
 * verification restarts from its head, and the pruning itself is signed. Refuses (a `TypeError`)
 * unless a valid checkpoint exists at `throughSeq`, the head is beyond it and it is beyond what was
 * already pruned; refuses (`LedgerIntegrityError`) when what would be deleted does not verify.
 * The caller serializes it with appends.
 */
export async function pruneEntries(store: Store, options: PruneOptions): Promise<SignedCheckpoint> {
  const { throughSeq, publicKey } = options;
  if (!Number.isSafeInteger(throughSeq) || throughSeq < 1)
    throw new TypeError('throughSeq must be a positive integer');
  const verified = await verifyLedger(store, { publicKey, throughSeq });
  if (!verified.ok) throw new LedgerIntegrityError(verified.problem);
  if (throughSeq <= verified.prunedThrough) {
    throw new TypeError(`entries through seq ${verified.prunedThrough} are already pruned`);
  }
  return store.transaction(async (tx) => {
    const head = await readHead(tx);
    if (throughSeq >= head.seq) {
      throw new TypeError(`prune keeps the head: throughSeq must be below ${head.seq}`);
    }
    const entry = await tx.get<{ hash: Uint8Array }>('SELECT hash FROM audit_entries WHERE seq = ?', [
      throughSeq,
    ]);
    const anchors = (await readCheckpointsAt(tx, throughSeq)).filter(
      (checkpoint) =>
        checkpointSignatureValid(checkpoint, publicKey) &&
        entry !== undefined &&
        sameBytes(checkpoint.head, entry.hash),
    );
    if (anchors.length === 0) {
      throw new TypeError(`seq ${throughSeq} has no checkpoint: prune only through a checkpointed seq`);
    }
    await tx.run('DELETE FROM audit_entries WHERE seq <= ?', [throughSeq]);
    await tx.run('DELETE FROM audit_checkpoints WHERE seq < ?', [throughSeq]);
    const checkpoint = options.sign(head, throughSeq);
    await storeCheckpoint(tx, checkpoint);
    return checkpoint;
  });
}
