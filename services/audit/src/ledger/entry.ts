import { createHash } from 'node:crypto';
import { entryText } from './canonical.ts';

/** One stored ledger entry, as the chain defines it. */
export interface LedgerEntry {
  /** 1, 2, 3… without gaps (the first after a pruning is `prunedThrough + 1`). */
  readonly seq: number;
  /** The event's id: unique in the ledger, which makes redelivery idempotent. */
  readonly id: string;
  /** The event as RFC 8785 canonical JSON text — the exact text that was hashed. */
  readonly event: string;
  /** The previous entry's `hash` (`GENESIS_HASH` before seq 1). */
  readonly prevHash: Uint8Array;
  /** `entryHash(prevHash, seq, id, event)`. */
  readonly hash: Uint8Array;
}

/** Separates entry hashes from every other SHA-256 use; part of the format (version 1). */
export const ENTRY_HASH_PREFIX = Buffer.from('rampart.audit.entry.v1\0', 'utf8');
/** The `prevHash` of the first entry: 32 zero bytes. */
export const GENESIS_HASH: Uint8Array = new Uint8Array(32);

/**
 * SHA-256( `rampart.audit.entry.v1\0` ‖ prevHash (32 bytes) ‖ UTF-8 of JCS({ event, id, seq }) ).
 * `eventText` must be the event's canonical JSON; `id` a well-formed string (a `TypeError` otherwise).
 */
export function entryHash(prevHash: Uint8Array, seq: number, id: string, eventText: string): Buffer {
  return createHash('sha256')
    .update(ENTRY_HASH_PREFIX)
    .update(prevHash)
    .update(entryText(seq, id, eventText), 'utf8')
    .digest();
}

/** Byte equality of two hashes (they are public: no constant-time compare is needed). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}
