import { randomUUID } from 'node:crypto';
import type { Migration, Store } from '../store/index.ts';

/** The table the SDK keeps idempotency records in, in each service's own store. */
export const IDEMPOTENCY_TABLE = '_rampart_idempotency';

/** How long a completed key is remembered (and replayed): 24 hours. */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * How long a request may hold a key before another may take it over: a process that died
 * mid-request leaves a `running` record, and a retry must not answer 409 for a whole day.
 */
export const IDEMPOTENCY_LEASE_MS = 60 * 1000;

/** Expired records are deleted at most this often per process. */
const SWEEP_INTERVAL_MS = 60 * 1000;

/** Claims retried when the record vanished between two statements (swept, or released). */
const MAX_CLAIM_ATTEMPTS = 3;

/**
 * Applied by `createService` to every service's store, beside the service's own migrations.
 * `id` and `fingerprint` are keyed hashes; `response` is sealed. Portable SQL (both engines).
 */
export const IDEMPOTENCY_MIGRATIONS: readonly Migration[] = [
  {
    id: 'rampart-0001-idempotency-keys',
    sql: `CREATE TABLE ${IDEMPOTENCY_TABLE} (
      id TEXT PRIMARY KEY,
      fingerprint TEXT NOT NULL,
      state TEXT NOT NULL CHECK (state IN ('running', 'done')),
      claim TEXT NOT NULL,
      response TEXT,
      lease_until BIGINT NOT NULL,
      expires_at BIGINT NOT NULL
    );
    CREATE INDEX ${IDEMPOTENCY_TABLE}_expiry ON ${IDEMPOTENCY_TABLE} (expires_at);`,
  },
];

/** What a request holding a key may do. */
export type ClaimOutcome =
  /** First use (or the previous one expired or was abandoned): run, then `complete` or `release`. */
  | { readonly kind: 'claimed'; readonly claim: string }
  /** A finished request with this key and payload: answer its stored response. */
  | { readonly kind: 'replay'; readonly response: string }
  /** The key was used with another payload. */
  | { readonly kind: 'mismatch' }
  /** A request with this key is still running. */
  | { readonly kind: 'in-flight' };

export interface IdempotencyRecords {
  /** Atomically claims record `id` for a request whose payload has `fingerprint`. */
  claim(id: string, fingerprint: string): Promise<ClaimOutcome>;
  /** Stores the response of a claimed request; false if the claim was lost (taken over). */
  complete(id: string, claim: string, response: string): Promise<boolean>;
  /** Forgets a claimed key, so that a retry runs again (the request failed before it finished). */
  release(id: string, claim: string): Promise<void>;
  /** Deletes expired records; returns how many. */
  sweep(): Promise<number>;
}

export interface IdempotencyRecordOptions {
  readonly ttlMs?: number;
  readonly leaseMs?: number;
  /** The clock, in epoch milliseconds (tests). */
  readonly now?: () => number;
}

interface RecordRow {
  readonly fingerprint: string;
  readonly state: 'running' | 'done';
  readonly response: string | null;
}

/**
 * The records behind `Idempotency-Key`, kept in the service's own store so that every replica
 * sees the same ones. Correctness comes from the database, not from this process: a claim is one
 * `INSERT … ON CONFLICT DO NOTHING` on the primary key (or one conditional `UPDATE` taking over an
 * expired or abandoned record), so of any number of concurrent requests with one key exactly one
 * is told `claimed`.
 *
 * @example
 * const records = createIdempotencyRecords(store);
 * const outcome = await records.claim(id, fingerprint);
 * if (outcome.kind === 'claimed') await records.complete(id, outcome.claim, sealedResponse);
 */
export function createIdempotencyRecords(
  store: Store,
  options: IdempotencyRecordOptions = {},
): IdempotencyRecords {
  const ttlMs = options.ttlMs ?? IDEMPOTENCY_KEY_TTL_MS;
  const leaseMs = options.leaseMs ?? IDEMPOTENCY_LEASE_MS;
  const now = options.now ?? Date.now;
  let lastSweep = Number.NEGATIVE_INFINITY;

  const records: IdempotencyRecords = {
    async claim(id, fingerprint) {
      if (now() - lastSweep >= SWEEP_INTERVAL_MS) await records.sweep();
      for (let attempt = 0; attempt < MAX_CLAIM_ATTEMPTS; attempt += 1) {
        const at = now();
        const claim = randomUUID();
        const inserted = await store.run(
          `INSERT INTO ${IDEMPOTENCY_TABLE} (id, fingerprint, state, claim, lease_until, expires_at)
           VALUES (?, ?, 'running', ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
          [id, fingerprint, claim, at + leaseMs, at + ttlMs],
        );
        if (inserted.changes === 1) return { kind: 'claimed', claim };
        // Expired, whatever its payload; or abandoned mid-request by a retry of the same payload.
        const taken = await store.run(
          `UPDATE ${IDEMPOTENCY_TABLE}
           SET fingerprint = ?, state = 'running', claim = ?, response = NULL, lease_until = ?, expires_at = ?
           WHERE id = ? AND (expires_at <= ? OR (state = 'running' AND lease_until <= ? AND fingerprint = ?))`,
          [fingerprint, claim, at + leaseMs, at + ttlMs, id, at, at, fingerprint],
        );
        if (taken.changes === 1) return { kind: 'claimed', claim };
        const row = await store.get<RecordRow>(
          `SELECT fingerprint, state, response FROM ${IDEMPOTENCY_TABLE} WHERE id = ?`,
          [id],
        );
        if (row === undefined) continue;
        if (row.fingerprint !== fingerprint) return { kind: 'mismatch' };
        if (row.state === 'running' || row.response === null) return { kind: 'in-flight' };
        return { kind: 'replay', response: row.response };
      }
      return { kind: 'in-flight' };
    },
    async complete(id, claim, response) {
      const { changes } = await store.run(
        `UPDATE ${IDEMPOTENCY_TABLE} SET state = 'done', response = ?
         WHERE id = ? AND claim = ? AND state = 'running'`,
        [response, id, claim],
      );
      return changes === 1;
    },
    async release(id, claim) {
      await store.run(`DELETE FROM ${IDEMPOTENCY_TABLE} WHERE id = ? AND claim = ? AND state = 'running'`, [
        id,
        claim,
      ]);
    },
    async sweep() {
      lastSweep = now();
      const { changes } = await store.run(`DELETE FROM ${IDEMPOTENCY_TABLE} WHERE expires_at <= ?`, [
        lastSweep,
      ]);
      return changes;
    },
  };
  return records;
}
