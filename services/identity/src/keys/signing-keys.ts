import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { isUniqueViolation, type FieldCipher, type Store } from '@rampart/sdk';

/** The algorithm identity signs tokens with: ECDSA P-256 (RFC 8725 §3.2: asymmetric, short). */
export const SIGNING_ALG = 'ES256';

/**
 * Every algorithm identity keeps keys for: ES256 (access tokens, and ID tokens by default) and
 * RS256 (ID tokens of clients registered for it; OpenID Connect Core §15.1 requires it of providers).
 */
export const SIGNING_ALGS = [SIGNING_ALG, 'RS256'] as const;
export type SigningAlg = (typeof SIGNING_ALGS)[number];

export type KeyState = 'next' | 'current' | 'retired';

interface KeyRow {
  readonly kid: string;
  readonly alg: string;
  readonly private_jwk: string;
  readonly state: KeyState;
  readonly created_at: number | string;
  readonly activated_at: number | string | null;
  readonly retired_at: number | string | null;
}

/** A key as the admin API shows it: never the private part. */
export interface SigningKeyInfo {
  readonly kid: string;
  readonly alg: string;
  readonly state: KeyState;
  readonly createdAt: number;
  readonly activatedAt: number | null;
  readonly retiredAt: number | null;
}

export interface SigningKeysOptions {
  readonly store: Store;
  readonly cipher: FieldCipher;
  /** How long a retired key stays published: the longest lifetime of a token it signed, plus skew. */
  readonly retiredRetentionMs: number;
  readonly now?: () => number;
}

const WHERE = { table: 'signing_keys', column: 'private_jwk' } as const;
const ORDER: Record<KeyState, number> = { current: 0, next: 1, retired: 2 };

/** ES256 before RS256 within a state: the first key listed is the one that signs access tokens. */
function algOrder(alg: string): number {
  const at = (SIGNING_ALGS as readonly string[]).indexOf(alg);
  return at === -1 ? SIGNING_ALGS.length : at;
}

/**
 * Token-signing keys, shared by every identity replica through the store. For each algorithm
 * ({@link SIGNING_ALGS}) there is always one `current` key (it signs) and one `next` key (already
 * published in the JWKS, so that relying parties have it cached before it signs anything).
 * `rotate()` retires the current keys, promotes the next ones and creates new next keys, for every
 * algorithm at once; a retired key stays published until every token it signed has expired, then it
 * is deleted. Private keys are sealed with the identity keyring, bound to their row.
 *
 * @example
 * const keys = new SigningKeys({ store, cipher, retiredRetentionMs: 20 * 60_000 });
 * await keys.ensure();
 * new Provider(issuer, { jwks: { keys: await keys.privateJwks() } });
 */
export class SigningKeys {
  readonly #store: Store;
  readonly #cipher: FieldCipher;
  readonly #retentionMs: number;
  readonly #now: () => number;

  constructor(options: SigningKeysOptions) {
    this.#store = options.store;
    this.#cipher = options.cipher;
    this.#retentionMs = options.retiredRetentionMs;
    this.#now = options.now ?? Date.now;
  }

  /** Creates the current and next keys of each algorithm if missing. Safe from several replicas at once. */
  async ensure(): Promise<void> {
    for (const alg of SIGNING_ALGS) {
      for (const state of ['current', 'next'] as const) {
        const existing = await this.#store.get('SELECT kid FROM signing_keys WHERE alg = ? AND state = ?', [
          alg,
          state,
        ]);
        if (existing === undefined) await this.#insert(this.#store, state, alg);
      }
    }
  }

  /**
   * For every algorithm: retires the current key, promotes the next one and creates a new next key,
   * all in one transaction. Returns the new current kid of {@link SIGNING_ALG}.
   */
  async rotate(): Promise<string> {
    return this.#store.transaction(async (tx) => {
      const at = this.#now();
      const promoted = new Map<string, string>();
      for (const alg of SIGNING_ALGS) {
        const next = await tx.get<{ kid: string }>(
          "SELECT kid FROM signing_keys WHERE alg = ? AND state = 'next'",
          [alg],
        );
        if (next === undefined) throw new TypeError(`no next ${alg} signing key: call ensure() first`);
        await tx.run(
          "UPDATE signing_keys SET state = 'retired', retired_at = ? WHERE alg = ? AND state = 'current'",
          [at, alg],
        );
        await tx.run("UPDATE signing_keys SET state = 'current', activated_at = ? WHERE kid = ?", [
          at,
          next.kid,
        ]);
        await this.#insert(tx, 'next', alg);
        promoted.set(alg, next.kid);
      }
      return promoted.get(SIGNING_ALG) ?? '';
    });
  }

  /** Deletes retired keys whose tokens have all expired; returns how many. */
  async pruneRetired(): Promise<number> {
    const { changes } = await this.#store.run(
      "DELETE FROM signing_keys WHERE state = 'retired' AND retired_at < ?",
      [this.#now() - this.#retentionMs],
    );
    return changes;
  }

  /**
   * The private JWKs oidc-provider is configured with: current first (they sign; ES256 first), then
   * next, then retired.
   */
  async privateJwks(): Promise<JWK[]> {
    const rows = await this.#rows();
    const active = rows.filter((row) => row.state !== 'retired' || this.#published(row));
    return Promise.all(
      active.map(async (row) => {
        const jwk = JSON.parse(
          await this.#cipher.decrypt(row.private_jwk, { ...WHERE, row: row.kid }),
        ) as JWK;
        return { ...jwk, kid: row.kid, alg: row.alg, use: 'sig' };
      }),
    );
  }

  /** A fingerprint of the published set: replicas compare it to notice a rotation made elsewhere. */
  async version(): Promise<string> {
    const rows = await this.#rows();
    return rows
      .filter((row) => row.state !== 'retired' || this.#published(row))
      .map((row) => `${row.kid}:${row.state}`)
      .join(',');
  }

  async list(): Promise<SigningKeyInfo[]> {
    return (await this.#rows()).map((row) => ({
      kid: row.kid,
      alg: row.alg,
      state: row.state,
      createdAt: Number(row.created_at),
      activatedAt: row.activated_at === null ? null : Number(row.activated_at),
      retiredAt: row.retired_at === null ? null : Number(row.retired_at),
    }));
  }

  async #rows(): Promise<KeyRow[]> {
    const rows = await this.#store.all<KeyRow>('SELECT * FROM signing_keys');
    return rows.sort(
      (a, b) =>
        ORDER[a.state] - ORDER[b.state] ||
        algOrder(a.alg) - algOrder(b.alg) ||
        Number(b.created_at) - Number(a.created_at),
    );
  }

  #published(row: KeyRow): boolean {
    return row.retired_at !== null && Number(row.retired_at) >= this.#now() - this.#retentionMs;
  }

  async #insert(store: Store, state: 'current' | 'next', alg: SigningAlg): Promise<void> {
    const { privateKey } = await generateKeyPair(alg, { extractable: true });
    const jwk = await exportJWK(privateKey);
    const kid = await calculateJwkThumbprint(jwk);
    const sealed = await this.#cipher.encrypt(JSON.stringify(jwk), { ...WHERE, row: kid });
    const at = this.#now();
    try {
      await store.run(
        'INSERT INTO signing_keys (kid, alg, private_jwk, state, created_at, activated_at) VALUES (?, ?, ?, ?, ?, ?)',
        [kid, alg, sealed, state, at, state === 'current' ? at : null],
      );
    } catch (error) {
      // Another replica created it first (one current, one next per algorithm: a unique index says so).
      if (!isUniqueViolation(error)) throw error;
    }
  }
}
