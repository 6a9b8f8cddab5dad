import type { Store } from '@rampart/sdk';
import { verifyLedger, type VerifyOptions, type VerifyResult } from '../ledger/index.ts';
import { verifySearchColumns, type SearchColumnMismatch } from './verify-search-columns.ts';

/** What `rampart audit verify` and the audit API's `GET /audit/v1/verify` report. */
export interface TrailVerification {
  /** The chain and checkpoints (`verifyLedger`). */
  readonly result: VerifyResult;
  /**
   * When the chain verifies: the first entry whose search columns do not say what its event says
   * (an event hidden from search), else undefined.
   */
  readonly hidden?: SearchColumnMismatch;
}

/**
 * The whole check of a stored trail: the hash chain and every checkpoint, then — the chain covers
 * events, not the columns searches use, so an edited column could hide one — the search columns.
 *
 * @example
 * const { result, hidden } = await verifyTrail(store, { publicKey, exportedCheckpoints });
 */
export async function verifyTrail(store: Store, options: VerifyOptions): Promise<TrailVerification> {
  const result = await verifyLedger(store, options);
  if (!result.ok) return { result };
  const hidden = await verifySearchColumns(store);
  return hidden === undefined ? { result } : { result, hidden };
}

/** The detail `rampart audit verify` prints for a hidden event. */
export function hiddenEventDetail(hidden: SearchColumnMismatch): string {
  return `the search column ${hidden.column} does not say what the event says: an event hidden from search`;
}
