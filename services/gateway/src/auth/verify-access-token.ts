import { decodeProtectedHeader, errors, jwtVerify, type ProtectedHeaderParameters } from 'jose';
import { RampartError } from '@rampart/errors';
import { toAccessTokenClaims, type AccessTokenClaims } from './access-token-claims.ts';
import { checkProtectedHeader, normalizeType } from './access-token-header.ts';
import { DEFAULT_ALGORITHMS, checkAlgorithms, type AccessTokenAlgorithm } from './algorithms.ts';
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

/** RFC 9068 §2.2: claims every JWT access token carries. `iss` and `aud` are required by jose's options. */
const REQUIRED_CLAIMS = ['exp', 'iat', 'jti', 'sub', 'client_id'];
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

function invalid(detail: string, cause?: unknown): RampartError {
  return new RampartError('GW_TOKEN_INVALID', { detail, ...(cause === undefined ? {} : { cause }) });
}

function checkShape(token: unknown, maxTokenBytes: number): asserts token is string {
  if (typeof token !== 'string' || token.length === 0) throw invalid('token is empty');
  // Length in UTF-16 units never exceeds length in UTF-8 bytes, and non-ASCII fails the shape below.
  if (token.length > maxTokenBytes) throw invalid(`token longer than ${maxTokenBytes} bytes`);
  if (COMPACT_JWS.test(token)) return;
  const segments = token.split('.');
  if (segments.length === 5) throw invalid('JWE (5 segments): encrypted tokens are not accepted');
  if (segments.length !== 3) throw invalid(`not a compact JWS: ${segments.length} segments instead of 3`);
  if (segments[2] === '') throw invalid('empty signature: unsigned (alg none) tokens are refused');
  throw invalid('not a compact JWS: characters outside base64url');
}

/** Maps jose's errors to Rampart codes; only a signed, well-formed token past its `exp` is "expired". */
function toRampartError(error: unknown): RampartError {
  if (error instanceof RampartError) return error;
  if (error instanceof errors.JWTExpired) {
    return new RampartError('GW_TOKEN_EXPIRED', {
      detail: `claim ${error.claim}: ${error.message}`,
      cause: error,
    });
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    return invalid(`claim ${error.claim} (${error.reason}): ${error.message}`, error);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return invalid('signature verification failed', error);
  if (error instanceof errors.JWKSNoMatchingKey)
    return invalid('no key in the issuer key set fits kid and alg', error);
  if (error instanceof errors.JOSEError) return invalid(`${error.code}: ${error.message}`, error);
  return invalid(`verification failed: ${error instanceof Error ? error.message : String(error)}`, error);
}

/**
 * Creates the verifier for JWT access tokens (RFC 9068) following the JWT BCP (RFC 8725):
 * allow-listed asymmetric algorithms, keys only from the issuer's key set, explicit `typ`,
 * exact `iss`, `aud`, and `exp`/`nbf`/`iat` with a small skew. Verified tokens are cached
 * until they expire.
 *
 * @example
 * const verifier = createAccessTokenVerifier({ issuer: 'https://127.0.0.1:8443/auth', audience: 'https://127.0.0.1:8443', jwks });
 * const claims = await verifier.verify(presentedToken(request.raw.rawHeaders).token);
 */
export function createAccessTokenVerifier(options: AccessTokenVerifierOptions): AccessTokenVerifier {
  const { issuer, audience, jwks } = options;
  if (issuer.length === 0) throw new TypeError('issuer must be the exact issuer identifier');
  if (audience.length === 0) throw new TypeError('audience must be this resource server identifier');
  const algorithms = checkAlgorithms(options.algorithms ?? DEFAULT_ALGORITHMS);
  const clockSkewSeconds = options.clockSkewSeconds ?? 30;
  if (!Number.isFinite(clockSkewSeconds) || clockSkewSeconds < 0 || clockSkewSeconds > 300) {
    throw new TypeError('clockSkewSeconds must be between 0 and 300');
  }
  const maxTokenBytes = options.maxTokenBytes ?? 8192;
  if (!Number.isInteger(maxTokenBytes) || maxTokenBytes < 64) {
    throw new TypeError('maxTokenBytes must be an integer of at least 64');
  }
  const requiredType = normalizeType(options.requiredType ?? 'at+jwt');
  const acceptBoundTokens = options.acceptBoundTokens === true;
  const now = options.now ?? Date.now;
  const cacheMaxEntries = options.cacheMaxEntries ?? 10_000;
  const cache =
    cacheMaxEntries === 0 ? undefined : new VerifiedTokenCache({ maxEntries: cacheMaxEntries, now });
  const policy = { algorithms: new Set<string>(algorithms), requiredType };

  async function verifyUncached(token: string): Promise<AccessTokenClaims> {
    let header: ProtectedHeaderParameters;
    try {
      header = decodeProtectedHeader(token);
    } catch (error) {
      throw invalid('protected header is not base64url-encoded JSON', error);
    }
    checkProtectedHeader(header, policy);
    const currentDate = new Date(now());
    const { payload } = await jwtVerify(token, (protectedHeader) => jwks.getKey(protectedHeader), {
      algorithms: [...algorithms],
      issuer,
      audience,
      typ: requiredType,
      clockTolerance: clockSkewSeconds,
      requiredClaims: REQUIRED_CLAIMS,
      currentDate,
    });
    // jose checks `iat` only when maxTokenAge is set; a token issued in the future is refused here.
    if (typeof payload.iat === 'number' && payload.iat > currentDate.getTime() / 1000 + clockSkewSeconds) {
      throw invalid('claim iat is in the future beyond the allowed clock skew');
    }
    const claims = toAccessTokenClaims(payload);
    if (claims.cnf !== undefined && !acceptBoundTokens) {
      throw invalid('token is bound to a key (cnf) and no proof-of-possession check is configured');
    }
    return claims;
  }

  return {
    cache,
    async verify(token) {
      try {
        checkShape(token, maxTokenBytes);
        const cached = cache?.get(token);
        if (cached !== undefined) return cached;
        const claims = await verifyUncached(token);
        cache?.set(token, claims);
        return claims;
      } catch (error) {
        throw toRampartError(error);
      }
    },
  };
}
