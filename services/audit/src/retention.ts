import type { Logger, Store } from '@rampart/sdk';
import type { Ledger } from './ledger/index.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
/** How often retention looks for entries to prune (and once at start). */
export const RETENTION_INTERVAL_MS = 60 * 60 * 1000;

export interface RetentionOptions {
  readonly ledger: Ledger;
  readonly store: Store;
  /** Entries older than this many days go (`audit.retentionDays`). */
  readonly retentionDays: number;
  readonly log: Logger;
  /** Milliseconds since the epoch; default `Date.now`. */
  readonly clock?: () => number;
}

/**
 * The seq retention may prune through now: the last checkpoint signed before the cutoff (so every
 * entry it covers was stored before then, by the audit service's own clock), below the head, and
 * above what is already gone. Undefined when there is none.
 */
export async function retentionPoint(store: Store, cutoff: Date): Promise<number | undefined> {
  const row = await store.get<{ seq: number | string | null }>(
    `SELECT max(c.seq) AS seq FROM audit_checkpoints c
      WHERE c.time < ?
        AND c.seq < (SELECT max(seq) FROM audit_entries)
        AND c.seq >= (SELECT min(seq) FROM audit_entries)`,
    [cutoff.toISOString()],
  );
  return row?.seq === null || row?.seq === undefined ? undefined : Number(row.seq);
}

/**
 * Prunes the audit trail past its retention, at start and every hour: through the last checkpoint
 * signed before the cutoff, with the ledger's `prune` (which verifies what it deletes, keeps that
 * checkpoint as the new start of the chain and signs one recording `prunedThrough`, so what was
 * pruned stays provable). Returns a stop function.
 *
 * @example
 * const stop = startRetention({ ledger, store, retentionDays: 365, log });
 */
export function startRetention(options: RetentionOptions): () => void {
  const { ledger, store, retentionDays, log } = options;
  if (!Number.isSafeInteger(retentionDays) || retentionDays < 1)
    throw new TypeError('retentionDays must be a positive integer');
  const clock = options.clock ?? Date.now;
  let running: Promise<void> | undefined;
  const run = (): void => {
    running ??= (async () => {
      const cutoff = new Date(clock() - retentionDays * DAY_MS);
      const through = await retentionPoint(store, cutoff);
      if (through === undefined) return;
      await ledger.prune(through);
      log.info({ prunedThrough: through, retentionDays }, 'audit trail pruned past its retention');
    })()
      .catch((error: unknown) => {
        log.error({ err: error }, 'audit retention failed; the entries stay');
      })
      .finally(() => {
        running = undefined;
      });
  };
  run();
  const timer = setInterval(run, RETENTION_INTERVAL_MS);
  timer.unref();
  return () => {
    clearInterval(timer);
  };
}
