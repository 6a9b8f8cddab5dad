import { sign, verify, type KeyObject } from 'node:crypto';
import type { Store } from '@rampart/sdk';
import { canonicalJson } from './canonical.ts';

/** What a checkpoint states: the chain's head at `seq`, and what had been pruned. */
export interface Checkpoint {
  /** The seq of the entry the head is the hash of (0 for an empty ledger). */
  readonly seq: number;
  /** That entry's hash: the whole chain up to `seq` in 32 bytes. */
  readonly head: Uint8Array;
  /** When it was made, ISO 8601 (UTC). */
  readonly time: string;
  /** Present on the checkpoint `prune` records: entries 1…prunedThrough were deleted. */
  readonly prunedThrough?: number;
}

export interface SignedCheckpoint extends Checkpoint {
  /** Ed25519 signature over `checkpointPayload(checkpoint)`. */
  readonly signature: Uint8Array;
}

/** When checkpoints are made: after every `events` new entries, and every `seconds` if any arrived. */
export interface CheckpointPolicy {
  readonly events: number;
  readonly seconds: number;
}

export const DEFAULT_CHECKPOINT_POLICY: CheckpointPolicy = { events: 1000, seconds: 60 };

/** Separates checkpoint signatures from every other use of the key; part of the format (version 1). */
export const CHECKPOINT_SIGNATURE_PREFIX = Buffer.from('rampart.audit.checkpoint.v1\0', 'utf8');

/**
 * The signed bytes: `rampart.audit.checkpoint.v1\0` ‖ UTF-8 of
 * JCS({ head: <64 lower-case hex digits>, prunedThrough?: <integer>, seq: <integer>, time: <ISO 8601> }).
 */
export function checkpointPayload(checkpoint: Checkpoint): Buffer {
  const body = canonicalJson({
    seq: checkpoint.seq,
    head: Buffer.from(checkpoint.head).toString('hex'),
    time: checkpoint.time,
    ...(checkpoint.prunedThrough === undefined ? {} : { prunedThrough: checkpoint.prunedThrough }),
  });
  return Buffer.concat([CHECKPOINT_SIGNATURE_PREFIX, Buffer.from(body, 'utf8')]);
}

/** Signs `checkpoint` with the ledger's Ed25519 private key. */
export function signCheckpoint(checkpoint: Checkpoint, privateKey: KeyObject): SignedCheckpoint {
  return { ...checkpoint, signature: sign(null, checkpointPayload(checkpoint), privateKey) };
}

/** Whether `checkpoint` carries a valid Ed25519 signature by `publicKey`'s private key. */
export function checkpointSignatureValid(checkpoint: SignedCheckpoint, publicKey: KeyObject): boolean {
  try {
    return verify(null, checkpointPayload(checkpoint), publicKey, checkpoint.signature);
  } catch {
    return false; // a malformed signature or payload is simply not a valid one
  }
}

/** Throws a `TypeError` unless `key` is an Ed25519 key of the given type. */
export function assertEd25519(key: KeyObject, type: 'private' | 'public', name: string): void {
  if (key.type !== type || key.asymmetricKeyType !== 'ed25519') {
    throw new TypeError(
      `${name} must be an Ed25519 ${type} KeyObject (crypto.generateKeyPairSync('ed25519'))`,
    );
  }
}

/** Stores a checkpoint, numbered after the last one (`n`, its primary key: a racing replica retries). */
export async function storeCheckpoint(tx: Store, checkpoint: SignedCheckpoint): Promise<void> {
  const last = await tx.get<{ n: number | null }>('SELECT MAX(n) AS n FROM audit_checkpoints');
  await tx.run(
    'INSERT INTO audit_checkpoints (n, seq, head, time, pruned_through, signature) VALUES (?, ?, ?, ?, ?, ?)',
    [
      (last?.n ?? 0) + 1,
      checkpoint.seq,
      checkpoint.head,
      checkpoint.time,
      checkpoint.prunedThrough ?? null,
      checkpoint.signature,
    ],
  );
}

/** The seq of the latest stored checkpoint, 0 when there is none. */
export async function lastCheckpointSeq(tx: Store): Promise<number> {
  const row = await tx.get<{ seq: number | null }>('SELECT MAX(seq) AS seq FROM audit_checkpoints');
  return row?.seq ?? 0;
}

/**
 * Calls `tick` every `seconds`, on a timer that does not keep the process alive. Returns the
 * function that stops it.
 */
export function startCheckpointTimer(seconds: number, tick: () => void): () => void {
  const timer = setInterval(tick, seconds * 1000);
  timer.unref();
  return () => {
    clearInterval(timer);
  };
}
