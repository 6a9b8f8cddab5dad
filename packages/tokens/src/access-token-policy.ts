import {
  DEFAULT_ACCESS_TOKEN_ALGORITHMS,
  checkAccessTokenAlgorithms,
  type AccessTokenAlgorithm,
} from './access-token-algorithms.ts';
import { normalizeType } from './access-token-header.ts';

export interface AccessTokenPolicyOptions {
  /** The exact `iss` expected (the issuer identifier). */
  readonly issuer: string;
  /** The resource server's identifier; `aud` must be it or contain it. */
  readonly audience: string;
  /** Allow-listed `alg` values (asymmetric only). Default ES256, EdDSA, PS256. */
  readonly algorithms?: readonly AccessTokenAlgorithm[];
  /** Tolerance for `exp`, `nbf` and `iat`, 0–300. Default 30 s. */
  readonly clockSkewSeconds?: number;
  /** Longest token accepted, checked before anything is decoded; at least 64. Default 8192. */
  readonly maxTokenBytes?: number;
  /** Required `typ`. Default `at+jwt` (`application/at+jwt` is the same type). */
  readonly requiredType?: string;
  /**
   * Accept tokens bound to a key (`cnf`, RFC 7800) and return `cnf` for a proof-of-possession
   * check. Off by default: without that check a bound token would be accepted as a plain bearer
   * token, so it is refused (`sender_constrained`).
   */
  readonly acceptBoundTokens?: boolean;
  /** Clock in milliseconds; `Date.now` by default. */
  readonly now?: () => number;
}

/** The default longest token: RFC 9068 tokens with a few groups stay far below it. */
export const DEFAULT_MAX_TOKEN_BYTES = 8192;
/** The default tolerance for clocks a little apart (RFC 8725 §3.10 asks for small). */
export const DEFAULT_CLOCK_SKEW_SECONDS = 30;

/**
 * What a caller accepts as an access token, checked once and frozen: pass it to
 * `verifyAccessToken` with each token. The constructor throws a `TypeError` naming the fix for an
 * empty issuer or audience, an algorithm that is not an asymmetric JWS algorithm (`none`, HS256),
 * a skew outside 0–300 s or a size limit under 64 bytes.
 *
 * @example
 * const policy = new AccessTokenPolicy({ issuer: 'https://127.0.0.1:8443/auth', audience: 'https://127.0.0.1:8443' });
 */
export class AccessTokenPolicy {
  readonly issuer: string;
  readonly audience: string;
  readonly algorithms: readonly AccessTokenAlgorithm[];
  readonly clockSkewSeconds: number;
  readonly maxTokenBytes: number;
  /** Normalized: lower case, without `application/`. */
  readonly requiredType: string;
  readonly acceptBoundTokens: boolean;
  readonly now: () => number;
  readonly #allowed: ReadonlySet<string>;

  constructor(options: AccessTokenPolicyOptions) {
    const { issuer, audience } = options;
    if (typeof issuer !== 'string' || issuer.length === 0)
      throw new TypeError('issuer must be the exact issuer identifier');
    if (typeof audience !== 'string' || audience.length === 0)
      throw new TypeError('audience must be the resource server identifier');
    const clockSkewSeconds = options.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS;
    if (!Number.isFinite(clockSkewSeconds) || clockSkewSeconds < 0 || clockSkewSeconds > 300) {
      throw new TypeError('clockSkewSeconds must be between 0 and 300');
    }
    const maxTokenBytes = options.maxTokenBytes ?? DEFAULT_MAX_TOKEN_BYTES;
    if (!Number.isInteger(maxTokenBytes) || maxTokenBytes < 64) {
      throw new TypeError('maxTokenBytes must be an integer of at least 64');
    }
    const requiredType = options.requiredType ?? 'at+jwt';
    if (typeof requiredType !== 'string' || requiredType.length === 0)
      throw new TypeError('requiredType must name a media type, e.g. at+jwt');
    this.issuer = issuer;
    this.audience = audience;
    this.algorithms = checkAccessTokenAlgorithms(options.algorithms ?? DEFAULT_ACCESS_TOKEN_ALGORITHMS);
    this.#allowed = new Set(this.algorithms);
    this.clockSkewSeconds = clockSkewSeconds;
    this.maxTokenBytes = maxTokenBytes;
    this.requiredType = normalizeType(requiredType);
    this.acceptBoundTokens = options.acceptBoundTokens === true;
    this.now = options.now ?? Date.now;
    Object.freeze(this);
  }

  /** Whether `alg` is on the allow-list (case-sensitive, as RFC 7515 compares it). */
  allowsAlgorithm(alg: string): boolean {
    return this.#allowed.has(alg);
  }
}
