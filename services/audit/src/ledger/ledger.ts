import { createPublicKey, type KeyObject } from 'node:crypto';
import type { Store } from '@rampart/sdk';
import type { JsonValue } from './canonical.ts';
import {
  createSerialExecutor,
  inTransactionWithRetry,
  prepareAppend,
  readHead,
  writeEntries,
  type AppendResult,
  type ChainHead,
  type PendingAppend,
} from './chain.ts';
import {
  assertEd25519,
  DEFAULT_CHECKPOINT_POLICY,
  lastCheckpointSeq,
  signCheckpoint,
  startCheckpointTimer,
  storeCheckpoint,
  type CheckpointPolicy,
  type SignedCheckpoint,
} from './checkpoint.ts';
import { appendToExportFile } from './export-file.ts';
import { pruneEntries } from './prune.ts';
import { backfillSearchColumns } from './search-columns.ts';
import { ledgerMigrations } from './schema.ts';

export interface LedgerOptions {
  /** The audit service's store (embedded or PostgreSQL); the ledger applies its migrations. */
  readonly store: Store;
  /** The Ed25519 private key that signs checkpoints. */
  readonly signingKey: KeyObject;
  /** Every checkpoint is appended here as a JSON line (0600): the copy a verifier trusts. */
  readonly exportFile: string;
  /** Default: every 1000 events and every 60 s (when events arrived). */
  readonly checkpointEvery?: Partial<CheckpointPolicy>;
  /** Milliseconds since the epoch; default `Date.now`. */
  readonly clock?: () => number;
  /**
   * Told of each checkpoint once it is stored and in the export file: the audit service hands it
   * to `rampart up`, which keeps a copy the service cannot rewrite.
   */
  readonly onCheckpoint?: (checkpoint: SignedCheckpoint) => void;
  /** Where failures of background work go (the timer's checkpoints, an export after a commit). */
  readonly onError: (error: unknown) => void;
  /** Most appends written in one transaction; default 500. */
  readonly maxBatch?: number;
}

export interface Ledger {
  /**
   * Appends one event under its id. Concurrent calls are queued and written together, in order,
   * one transaction per batch; an id already stored returns its existing seq.
   */
  append(id: string, event: JsonValue): Promise<AppendResult>;
  /** Signs, stores and exports a checkpoint of the current head now, unless the last one is at it. */
  checkpoint(): Promise<SignedCheckpoint | undefined>;
  /**
   * Deletes the entries through `throughSeq`, which must be the seq of a stored checkpoint below
   * the head, after verifying them; records and exports a checkpoint with `prunedThrough`.
   */
  prune(throughSeq: number): Promise<SignedCheckpoint>;
  head(): Promise<ChainHead>;
  /** Writes what is queued, makes a last checkpoint if events arrived since the last one, stops the timer. */
  close(): Promise<void>;
}

interface Waiting extends PendingAppend {
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

/**
 * Opens the tamper-evident ledger on `store`.
 *
 * @example
 * const ledger = await openLedger({ store, signingKey, exportFile: join(stateDir, 'checkpoints.jsonl'), onError: log.error });
 * const { seq } = await ledger.append(event.id, event);
 */
export async function openLedger(options: LedgerOptions): Promise<Ledger> {
  assertEd25519(options.signingKey, 'private', 'signingKey');
  const policy = { ...DEFAULT_CHECKPOINT_POLICY, ...options.checkpointEvery };
  assertPositiveInteger(policy.events, 'checkpointEvery.events');
  if (!(policy.seconds > 0)) throw new TypeError('checkpointEvery.seconds must be a positive number');
  const maxBatch = options.maxBatch ?? 500;
  assertPositiveInteger(maxBatch, 'maxBatch');
  const { store, signingKey, exportFile, onError } = options;
  const clock = options.clock ?? Date.now;
  const publicKey = createPublicKey(signingKey);
  await store.migrate(ledgerMigrations);
  await backfillSearchColumns(store);

  const exclusive = createSerialExecutor();
  const waiting: Waiting[] = [];
  let flushQueued = false;
  let closed = false;

  const sign = (head: ChainHead, prunedThrough?: number): SignedCheckpoint =>
    signCheckpoint(
      {
        seq: head.seq,
        head: head.hash,
        time: new Date(clock()).toISOString(),
        ...(prunedThrough === undefined ? {} : { prunedThrough }),
      },
      signingKey,
    );

  /** Writes the queue in batches; the checkpoints due every N events go in the batch's transaction. */
  async function flush(): Promise<void> {
    flushQueued = false;
    while (waiting.length > 0) {
      const batch = waiting.splice(0, maxBatch);
      let written: { results: AppendResult[]; checkpoints: SignedCheckpoint[] };
      try {
        written = await inTransactionWithRetry(store, async (tx) => {
          let lastSigned = await lastCheckpointSeq(tx);
          const checkpoints: SignedCheckpoint[] = [];
          const results = await writeEntries(tx, batch, async (head) => {
            if (head.seq - lastSigned < policy.events) return;
            const checkpoint = sign(head);
            await storeCheckpoint(tx, checkpoint);
            checkpoints.push(checkpoint);
            lastSigned = head.seq;
          });
          return { results, checkpoints };
        });
      } catch (error) {
        for (const job of batch) job.reject(error);
        continue;
      }
      batch.forEach((job, index) => {
        const result = written.results[index];
        if (result === undefined) job.reject(new Error('the ledger lost track of an append'));
        else job.resolve(result);
      });
      if (written.checkpoints.length > 0) await exportOrReport(written.checkpoints);
    }
  }

  /** Appends to the export file, then tells `onCheckpoint` (a second copy, out of band). */
  async function exportCheckpoints(checkpoints: readonly SignedCheckpoint[]): Promise<void> {
    await appendToExportFile(exportFile, checkpoints);
    for (const checkpoint of checkpoints) options.onCheckpoint?.(checkpoint);
  }

  async function exportOrReport(checkpoints: readonly SignedCheckpoint[]): Promise<void> {
    try {
      await exportCheckpoints(checkpoints);
    } catch (error) {
      onError(error);
    }
  }

  /** A checkpoint of the head unless one is already there; stored, then exported. */
  async function checkpointNow(): Promise<SignedCheckpoint | undefined> {
    const checkpoint = await inTransactionWithRetry(store, async (tx) => {
      const head = await readHead(tx);
      if (head.seq === 0 || head.seq <= (await lastCheckpointSeq(tx))) return undefined;
      const signed = sign(head);
      await storeCheckpoint(tx, signed);
      return signed;
    });
    if (checkpoint !== undefined) await exportCheckpoints([checkpoint]);
    return checkpoint;
  }

  const stopTimer = startCheckpointTimer(policy.seconds, () => {
    exclusive(checkpointNow).catch(onError);
  });

  return {
    async append(id, event) {
      if (closed) throw new Error('the ledger is closed');
      const prepared = prepareAppend(id, event);
      return new Promise<AppendResult>((resolve, reject) => {
        waiting.push({ ...prepared, resolve, reject });
        if (flushQueued) return;
        flushQueued = true;
        void exclusive(flush);
      });
    },
    checkpoint: () => exclusive(checkpointNow),
    prune: (throughSeq) =>
      exclusive(async () => {
        const checkpoint = await pruneEntries(store, { throughSeq, publicKey, sign });
        await exportCheckpoints([checkpoint]);
        return checkpoint;
      }),
    head: () => exclusive(() => readHead(store)),
    async close() {
      if (closed) return;
      closed = true;
      stopTimer();
      await exclusive(flush);
      await exclusive(checkpointNow);
    },
  };
}

function assertPositiveInteger(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 1) throw new TypeError(`${name} must be a positive integer`);
}
