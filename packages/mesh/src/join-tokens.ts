import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { parseSpiffeId } from './spiffe-id.ts';

/** Join tokens waiting to be redeemed, at most. */
export const DEFAULT_MAX_PENDING_JOIN_TOKENS = 1024;
/** Longer presented tokens are refused before hashing. */
export const MAX_JOIN_TOKEN_LENGTH = 256;

export interface JoinTokensOptions {
  /** Pending tokens kept at most; adding one more (after dropping expired ones) throws. */
  readonly maxPending?: number;
  /** Clock, for tests. */
  readonly now?: () => number;
}

/** A join token and the SHA-256 (hex) the supervisor hands to the authority. */
export interface JoinToken {
  /** 256 random bits, base64url: give it to the workload only. */
  readonly token: string;
  /** Hex SHA-256 of `token`: what the authority stores. */
  readonly sha256: string;
}

interface Pending {
  readonly digest: Buffer;
  readonly spiffeId: string;
  readonly expiresAtMs: number;
}

/**
 * Creates a one-time join token (256 random bits, base64url) and its SHA-256.
 *
 * @example
 * const { token, sha256 } = createJoinToken();
 * child.send({ type: 'mesh.join-token', spiffeId, sha256, expiresAt }); // token goes to the workload
 */
export function createJoinToken(): JoinToken {
  const token = randomBytes(32).toString('base64url');
  return { token, sha256: sha256Hex(token) };
}

function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/**
 * One-time join tokens, each bound to one SPIFFE ID. Only digests are stored; a presented token is
 * hashed and compared against every pending digest in constant time; a match is removed whether or
 * not it has expired, so each token is usable once.
 *
 * @example
 * const tokens = new JoinTokens();
 * tokens.add('spiffe://shop.local/service/orders', sha256, Date.now() + 60_000);
 * tokens.redeem(presented); // 'spiffe://shop.local/service/orders' once, then null
 */
export class JoinTokens {
  readonly #pending: Pending[] = [];
  readonly #maxPending: number;
  readonly #now: () => number;

  constructor(options: JoinTokensOptions = {}) {
    this.#maxPending = options.maxPending ?? DEFAULT_MAX_PENDING_JOIN_TOKENS;
    this.#now = options.now ?? Date.now;
    if (!Number.isInteger(this.#maxPending) || this.#maxPending < 1) {
      throw new TypeError('maxPending must be a positive integer');
    }
  }

  /** How many tokens wait to be redeemed (expired ones included until pruned). */
  get size(): number {
    return this.#pending.length;
  }

  /**
   * Registers the digest of a token for `spiffeId`, valid until `expiresAt`. Throws a `TypeError`
   * on a malformed argument and a `RangeError` when too many tokens are pending.
   */
  add(spiffeId: string, tokenSha256Hex: string, expiresAt: Date | number): void {
    if (parseSpiffeId(spiffeId) === null) throw new TypeError(`"${spiffeId}" is not a SPIFFE ID`);
    if (!/^[0-9a-f]{64}$/.test(tokenSha256Hex)) {
      throw new TypeError('the join token digest must be 64 lower-case hex characters (SHA-256)');
    }
    const expiresAtMs = typeof expiresAt === 'number' ? expiresAt : expiresAt.getTime();
    if (!Number.isFinite(expiresAtMs)) throw new TypeError('expiresAt must be a date');
    this.#prune();
    if (this.#pending.length >= this.#maxPending) {
      throw new RangeError(`more than ${this.#maxPending} join tokens pending`);
    }
    this.#pending.push({ digest: Buffer.from(tokenSha256Hex, 'hex'), spiffeId, expiresAtMs });
  }

  /** The SPIFFE ID a valid, unused, unexpired token is bound to; null for anything else. */
  redeem(token: unknown): string | null {
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_JOIN_TOKEN_LENGTH) return null;
    const digest = createHash('sha256').update(token, 'utf8').digest();
    let found = -1;
    for (let i = 0; i < this.#pending.length; i++) {
      const entry = this.#pending[i];
      // Compare with every entry, without stopping early, so timing tells nothing.
      if (entry !== undefined && timingSafeEqual(entry.digest, digest) && found === -1) found = i;
    }
    if (found === -1) return null;
    const [entry] = this.#pending.splice(found, 1);
    if (entry === undefined || entry.expiresAtMs <= this.#now()) return null;
    return entry.spiffeId;
  }

  #prune(): void {
    const nowMs = this.#now();
    for (let i = this.#pending.length - 1; i >= 0; i--) {
      const entry = this.#pending[i];
      if (entry !== undefined && entry.expiresAtMs <= nowMs) this.#pending.splice(i, 1);
    }
  }
}
