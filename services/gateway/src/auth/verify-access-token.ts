import { RampartError, isRampartError } from '@rampart/errors';
import {
  AccessTokenError,
  AccessTokenPolicy,
  checkAccessTokenShape,
  verifyAccessToken,
  type AccessTokenAlgorithm,
  type AccessTokenClaims,
  type AccessTokenKeys,
} from '@rampart/tokens';
import type { KeySource } from './jwks-cache.ts';
import { VerifiedTokenCache } from './verified-token-cache.ts';

export interface AccessTokenVerifierOptions {
  /** The exact `iss` expected (the identity issuer URL). */
  readonly issuer: string;
  /** This gateway's resource identifier; `aud` must contain it. */
  readonly audience: string;
  /** Where verification keys come from: the issuer's key set (see `createJwksCache`). */
  readonly jwks: KeySource;
  /** Allow-listed `alg` values. Default ES256, EdDSA, PS256. */
  readonly algorithms?: readonly AccessTokenAlgorithm[];
  /** Tolerance for `exp`, `nbf` and `iat`. Default 30 s. */
  readonly clockSkewSeconds?: number;
  /** Longest token accepted, checked before anything is decoded. Default 8192. */
  readonly maxTokenBytes?: number;
  /** Required `typ`. Default `at+jwt` (`application/at+jwt` is the same type). */
  readonly requiredType?: string;
  /** Entries in the verified-token cache; 0 turns the cache off. Default 10 000. */
  readonly cacheMaxEntries?: number;
  /**
   * Accept tokens bound to a key (`cnf`, RFC 7800) and return `cnf` for a proof-of-possession
   * stage to check. Off by default: without that stage a bound token would be accepted as a
   * plain bearer token, so it is refused.
   */
  readonly acceptBoundTokens?: boolean;
  /** Clock in milliseconds; `Date.now` by default. */
  readonly now?: () => number;
}

export interface AccessTokenVerifier {
  /** Verifies a bearer token; throws RampartError GW_TOKEN_INVALID, GW_TOKEN_EXPIRED or GW_KEYS_UNAVAILABLE. */
  verify(token: string): Promise<AccessTokenClaims>;
  /** The verified-token cache (for revocation and metrics); undefined when turned off. */
  readonly cache: VerifiedTokenCache | undefined;
}

/**
 * A refusal of `@rampart/tokens` as the gateway's error: `token_expired` is `GW_TOKEN_EXPIRED`,
 * `keys_unavailable` `GW_KEYS_UNAVAILABLE` (the JWKS cache's own error when it is one, with its
 * account of the key set's age and last fetch), anything else `GW_TOKEN_INVALID`; the detail is
 * kept for the log.
 */
function toRampartError(error: unknown): RampartError {
  if (!(error instanceof AccessTokenError)) {
    return new RampartError('GW_TOKEN_INVALID', { detail: 'verification failed', cause: error });
  }
  if (error.reason === 'token_expired') {
    return new RampartError('GW_TOKEN_EXPIRED', { detail: error.detail, cause: error });
  }
  if (error.reason === 'keys_unavailable') {
    return isRampartError(error.cause)
      ? error.cause
      : new RampartError('GW_KEYS_UNAVAILABLE', { detail: error.detail, cause: error });
  }
  return new RampartError('GW_TOKEN_INVALID', { detail: error.detail, cause: error });
}

/**
 * Creates the gateway's verifier for JWT access tokens (RFC 9068): `@rampart/tokens`'
 * `verifyAccessToken` under this gateway's policy (issuer, audience, algorithms, skew, size,
 * `typ`, bound tokens), with keys only from the issuer's key set, and verified tokens cached
 * until they expire.
 *
 * @example
 * const verifier = createAccessTokenVerifier({ issuer: 'https://127.0.0.1:8443/auth', audience: 'https://127.0.0.1:8443', jwks });
 * const claims = await verifier.verify(presentedToken(request.raw.rawHeaders).token);
 */
export function createAccessTokenVerifier(options: AccessTokenVerifierOptions): AccessTokenVerifier {
  const { jwks } = options;
  const policy = new AccessTokenPolicy({
    issuer: options.issuer,
    audience: options.audience,
    ...(options.algorithms === undefined ? {} : { algorithms: options.algorithms }),
    ...(options.clockSkewSeconds === undefined ? {} : { clockSkewSeconds: options.clockSkewSeconds }),
    ...(options.maxTokenBytes === undefined ? {} : { maxTokenBytes: options.maxTokenBytes }),
    ...(options.requiredType === undefined ? {} : { requiredType: options.requiredType }),
    ...(options.now === undefined ? {} : { now: options.now }),
    acceptBoundTokens: options.acceptBoundTokens === true,
  });
  const keys: AccessTokenKeys = (header) => jwks.getKey(header);
  const cacheMaxEntries = options.cacheMaxEntries ?? 10_000;
  const cache =
    cacheMaxEntries === 0
      ? undefined
      : new VerifiedTokenCache({ maxEntries: cacheMaxEntries, now: policy.now });

  return {
    cache,
    async verify(token) {
      try {
        // Only well-formed tokens are hashed and looked up: the cache holds verified tokens alone.
        checkAccessTokenShape(token, policy);
        const cached = cache?.get(token);
        if (cached !== undefined) return cached;
        const claims = await verifyAccessToken(token, keys, policy);
        cache?.set(token, claims);
        return claims;
      } catch (error) {
        throw toRampartError(error);
      }
    },
  };
}
