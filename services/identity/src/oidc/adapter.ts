import { errors, type Adapter, type AdapterPayload } from 'oidc-provider';
import type { Store } from '@rampart/sdk';
import type { PayloadSealing } from './payload-sealing.ts';

/** Called when a consumed refresh token or authorization code is presented again. */
export type ReuseListener = (reuse: {
  model: 'RefreshToken' | 'AuthorizationCode';
  accountId: string | undefined;
}) => void;

export interface StoreAdapterOptions {
  readonly store: Store;
  /** Hashes bearer ids and seals payloads before they reach the store. */
  readonly sealing: PayloadSealing;
  /** Seconds a rotated refresh token may still be rotated again (0 = strict: any reuse revokes). */
  readonly refreshReuseGraceSeconds: number;
  readonly onReuse: ReuseListener;
  /** A token family was revoked (reuse, replay, revocation, sign-out): tell the gateways. */
  readonly onGrantRevoked: (grantId: string) => Promise<void>;
  readonly now?: () => number;
}

interface PayloadRow {
  readonly id: string;
  readonly payload: string;
  readonly expires_at: number | string | null;
  readonly consumed_at: number | string | null;
}

/** Models whose consumption must be atomic: a lost race is a replay, not a second success. */
const SINGLE_USE = new Set(['RefreshToken', 'AuthorizationCode']);

const COLUMNS = 'id, payload, expires_at, consumed_at';

/**
 * oidc-provider's persistence on the Rampart `Store` (embedded or PostgreSQL): every replica
 * sees the same sessions, codes, tokens and grants.
 *
 * Three things here are security decisions, not plumbing:
 * - Nothing stored is a usable credential: bearer ids (refresh tokens, codes, session and
 *   interaction ids, opaque access tokens) are stored as keyed hashes and payloads sealed — see
 *   {@link PayloadSealing}. Every lookup hashes the presented id the same way.
 * - Consuming a refresh token or an authorization code is one conditional UPDATE. Two replicas
 *   racing to rotate the same token cannot both win: the loser is treated as a reuse, the whole
 *   grant (the token family) is revoked and `invalid_grant` returned.
 * - A consumed refresh token presented again is reported to `onReuse` (oidc-provider then revokes
 *   the grant). With a grace of N seconds, a token rotated less than N seconds ago may be rotated
 *   once more instead — for clients that lost the response on a flaky network.
 *
 * @example
 * const Adapter = storeAdapter({ store, sealing, refreshReuseGraceSeconds: 0, onReuse, onGrantRevoked });
 * new Provider(issuer, { adapter: Adapter });
 */
export function storeAdapter(options: StoreAdapterOptions): new (model: string) => Adapter {
  const { store, sealing, onReuse } = options;
  const graceMs = options.refreshReuseGraceSeconds * 1000;
  const now = options.now ?? Date.now;

  async function revokeGrant(grantId: string): Promise<void> {
    // The family's tokens carry the grant id; the Grant itself is the row whose id it is, and
    // without it no token of the family can be used again (oidc-provider checks it on refresh).
    await store.run("DELETE FROM oidc_payloads WHERE grant_id = ? OR (model = 'Grant' AND id = ?)", [
      grantId,
      grantId,
    ]);
    await options.onGrantRevoked(grantId);
  }

  return class StoreAdapter implements Adapter {
    readonly #model: string;

    constructor(model: string) {
      this.#model = model;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
      const expiresAt = expiresIn === undefined ? null : now() + expiresIn * 1000;
      const storedId = sealing.storedId(this.#model, id);
      // A session's uid is its public handle (the `sid` of ID tokens, what the account page shows);
      // any other model's uid repeats its id (an interaction's is the id itself), so it is not kept.
      const uid = this.#model === 'Session' ? (payload.uid ?? null) : null;
      await store.run(
        `INSERT INTO oidc_payloads (model, id, payload, grant_id, uid, user_code, account_id, client_id, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id,
           uid = excluded.uid, user_code = excluded.user_code, account_id = excluded.account_id,
           client_id = excluded.client_id, expires_at = excluded.expires_at`,
        [
          this.#model,
          storedId,
          await sealing.seal(this.#model, storedId, payload),
          payload.grantId ?? null,
          uid,
          payload.userCode === undefined ? null : sealing.storedUserCode(payload.userCode),
          payload.accountId ?? null,
          payload.clientId ?? null,
          expiresAt,
        ],
      );
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      const row = await store.get<PayloadRow>(
        `SELECT ${COLUMNS} FROM oidc_payloads WHERE model = ? AND id = ?`,
        [this.#model, sealing.storedId(this.#model, id)],
      );
      return this.#live(row);
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      const row = await store.get<PayloadRow>(
        `SELECT ${COLUMNS} FROM oidc_payloads WHERE model = ? AND uid = ?`,
        [this.#model, uid],
      );
      return this.#live(row);
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      const row = await store.get<PayloadRow>(
        `SELECT ${COLUMNS} FROM oidc_payloads WHERE model = ? AND user_code = ?`,
        [this.#model, sealing.storedUserCode(userCode)],
      );
      return this.#live(row);
    }

    async consume(id: string): Promise<void> {
      const at = now();
      const storedId = sealing.storedId(this.#model, id);
      const { changes } = await store.run(
        'UPDATE oidc_payloads SET consumed_at = ? WHERE model = ? AND id = ? AND consumed_at IS NULL',
        [at, this.#model, storedId],
      );
      if (changes === 1 || !SINGLE_USE.has(this.#model)) return;
      const row = await store.get<{
        consumed_at: number | string | null;
        grant_id: string | null;
        account_id: string | null;
      }>('SELECT consumed_at, grant_id, account_id FROM oidc_payloads WHERE model = ? AND id = ?', [
        this.#model,
        storedId,
      ]);
      if (row === undefined) throw new errors.InvalidGrant('grant request is invalid');
      if (this.#model === 'RefreshToken' && withinGrace(row.consumed_at, at)) return;
      // Another request consumed it between our read and this write: a replay, caught in the act.
      onReuse({
        model: this.#model as 'RefreshToken' | 'AuthorizationCode',
        accountId: row.account_id ?? undefined,
      });
      if (row.grant_id !== null) await revokeGrant(row.grant_id);
      throw new errors.InvalidGrant('grant request is invalid');
    }

    async destroy(id: string): Promise<void> {
      await store.run('DELETE FROM oidc_payloads WHERE model = ? AND id = ?', [
        this.#model,
        sealing.storedId(this.#model, id),
      ]);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await revokeGrant(grantId);
    }

    async #live(row: PayloadRow | undefined): Promise<AdapterPayload | undefined> {
      if (row === undefined) return undefined;
      const at = now();
      if (row.expires_at !== null && Number(row.expires_at) <= at) return undefined;
      const payload = (await sealing.unseal(this.#model, row.id, row.payload)) as AdapterPayload;
      if (row.consumed_at === null) return payload;
      if (this.#model === 'RefreshToken' && withinGrace(row.consumed_at, at)) return payload;
      if (SINGLE_USE.has(this.#model)) {
        onReuse({ model: this.#model as 'RefreshToken' | 'AuthorizationCode', accountId: payload.accountId });
      }
      return { ...payload, consumed: Math.floor(Number(row.consumed_at) / 1000) };
    }
  };

  function withinGrace(consumedAt: number | string | null, at: number): boolean {
    return graceMs > 0 && consumedAt !== null && at - Number(consumedAt) <= graceMs;
  }
}

/** Deletes rows whose lifetime is over. Run periodically; returns how many were removed. */
export async function sweepExpired(store: Store, now = Date.now()): Promise<number> {
  const { changes } = await store.run(
    'DELETE FROM oidc_payloads WHERE expires_at IS NOT NULL AND expires_at < ?',
    [now],
  );
  return changes;
}
