import {
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type CryptoKey,
  type JWSHeaderParameters,
  type JWTPayload,
  type ProtectedHeaderParameters,
} from 'jose';
import { toAccessTokenClaims, type AccessTokenClaims } from './access-token-claims.ts';
import { AccessTokenError, type AccessTokenRefusal } from './access-token-error.ts';
import { checkProtectedHeader } from './access-token-header.ts';
import { AccessTokenPolicy } from './access-token-policy.ts';

/**
 * Where verification keys come from: the issuer's key set, looked up by the token's `kid` and
 * `alg` (jose's `createLocalJWKSet` fits, and so does the gateway's JWKS cache). Never a key the
 * token names or carries. Throw {@link AccessTokenError} `unknown_key` (or jose's
 * `JWKSNoMatchingKey`) when no key fits; any other failure is `keys_unavailable`.
 */
export type AccessTokenKeys = (header: JWSHeaderParameters) => Promise<CryptoKey>;

/** RFC 9068 §2.2: claims every JWT access token carries. `iss` and `aud` are required by jose's options. */
const REQUIRED_CLAIMS = ['exp', 'iat', 'jti', 'sub', 'client_id'];
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

function malformed(detail: string, cause?: unknown): AccessTokenError {
  return new AccessTokenError('malformed_token', detail, cause === undefined ? {} : { cause });
}

/**
 * Step 1 of {@link verifyAccessToken} alone, for a caller that looks a token up in a cache of
 * verified tokens first: throws {@link AccessTokenError} `malformed_token` unless `token` is a
 * non-empty compact JWS (three base64url segments) of at most `policy.maxTokenBytes`. Decodes
 * nothing.
 *
 * @example
 * checkAccessTokenShape(token, policy); // then: cache.get(token) ?? (await verifyAccessToken(token, keys, policy))
 */
export function checkAccessTokenShape(token: string, policy: AccessTokenPolicy): void {
  checkShape(token, policy.maxTokenBytes);
}

function checkShape(token: unknown, maxTokenBytes: number): asserts token is string {
  if (typeof token !== 'string' || token.length === 0) throw malformed('token is empty');
  // Length in UTF-16 units never exceeds length in UTF-8 bytes, and non-ASCII fails the shape below.
  if (token.length > maxTokenBytes) throw malformed(`token longer than ${maxTokenBytes} bytes`);
  if (COMPACT_JWS.test(token)) return;
  const segments = token.split('.');
  if (segments.length === 5) throw malformed('JWE (5 segments): encrypted tokens are not accepted');
  if (segments.length !== 3) throw malformed(`not a compact JWS: ${segments.length} segments instead of 3`);
  if (segments[2] === '') throw malformed('empty signature: unsigned (alg none) tokens are refused');
  throw malformed('not a compact JWS: characters outside base64url');
}

function decodeHeader(token: string): ProtectedHeaderParameters {
  try {
    return decodeProtectedHeader(token);
  } catch (error) {
    throw malformed('protected header is not base64url-encoded JSON', error);
  }
}

/** The key for `header`, with the key source's failures as refusals. */
async function keyFor(keys: AccessTokenKeys, header: JWSHeaderParameters): Promise<CryptoKey> {
  try {
    return await keys(header);
  } catch (error) {
    if (error instanceof AccessTokenError) throw error;
    if (error instanceof errors.JWKSNoMatchingKey) {
      throw new AccessTokenError('unknown_key', 'no key in the issuer key set fits kid and alg', {
        cause: error,
      });
    }
    if (error instanceof errors.JWKSMultipleMatchingKeys) {
      throw new AccessTokenError('unknown_key', 'more than one key in the issuer key set fits kid and alg', {
        cause: error,
      });
    }
    const message = error instanceof Error ? error.message : String(error);
    throw new AccessTokenError('keys_unavailable', `the key source failed: ${message}`, { cause: error });
  }
}

/** `sub` of a payload whose signature was verified, for the audit. */
function subjectOf(payload: JWTPayload): { subject?: string } {
  const { sub } = payload;
  return typeof sub === 'string' && sub.length > 0 ? { subject: sub } : {};
}

/** What a claim check jose failed means, by claim (`reason` is jose's: missing, invalid, check_failed). */
function claimRefusal(claim: string, reason: string): AccessTokenRefusal {
  if (claim === 'iss') return 'wrong_issuer';
  if (claim === 'aud') return 'wrong_audience';
  if (claim === 'typ') return 'wrong_token_type';
  if ((claim === 'nbf' || claim === 'iat') && reason === 'check_failed') return 'token_not_yet_valid';
  return 'invalid_claims';
}

/** Maps jose's errors to refusals; only a signed, well-formed token past its `exp` is "expired". */
function fromJose(error: unknown): AccessTokenError {
  if (error instanceof AccessTokenError) return error;
  if (error instanceof errors.JWTExpired) {
    return new AccessTokenError('token_expired', `claim ${error.claim}: ${error.message}`, {
      ...subjectOf(error.payload),
      cause: error,
    });
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    return new AccessTokenError(
      claimRefusal(error.claim, error.reason),
      `claim ${error.claim} (${error.reason}): ${error.message}`,
      { ...subjectOf(error.payload), cause: error },
    );
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return new AccessTokenError('bad_signature', 'signature verification failed', { cause: error });
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return new AccessTokenError('algorithm_not_allowed', error.message, { cause: error });
  }
  if (error instanceof errors.JOSEError) return malformed(`${error.code}: ${error.message}`, error);
  // jose throws a TypeError when the key it was given cannot verify this algorithm.
  const message = error instanceof Error ? error.message : String(error);
  return new AccessTokenError('bad_signature', `verification failed: ${message}`, { cause: error });
}

/**
 * Verifies a JWT access token (RFC 9068) under `policy`, following the JWT BCP (RFC 8725), and
 * returns its typed, deeply frozen claims. In order, each refusal an {@link AccessTokenError}
 * with its reason:
 *
 * 1. shape, before anything is decoded: a non-empty compact JWS of at most `maxTokenBytes`, base64url
 *    only — not a JWE, not unsigned (`malformed_token`);
 * 2. the protected header, before any key is looked up: `alg` present and allow-listed, never
 *    `none` (`algorithm_not_allowed`); no `jku`, `x5u`, `jwk`, `x5c` (`key_in_header`); no `crit`
 *    (`unsupported_critical`); `typ` the required type (`wrong_token_type`); `kid` present and at
 *    most 256 characters (`malformed_token`);
 * 3. the key from `keys` for that `kid` and `alg` (`unknown_key`, `keys_unavailable`) and the
 *    signature (`bad_signature`);
 * 4. the claims: exact `iss` (`wrong_issuer`), `aud` naming the audience (`wrong_audience`), `exp`
 *    (`token_expired`), `nbf` and `iat` not in the future (`token_not_yet_valid`), all with the
 *    clock skew; `exp`, `iat`, `jti`, `sub`, `client_id` present and typed, `sub` of the right
 *    principal kind (`invalid_claims`);
 * 5. a token bound to a key (`cnf`) only if the policy accepts bound tokens (`sender_constrained`).
 *
 * Once the signature is verified, the error carries the token's `subject`. Nothing else is ever
 * thrown for a token, whatever its content; a `TypeError` means `policy` is not an
 * {@link AccessTokenPolicy}.
 *
 * @example
 * const policy = new AccessTokenPolicy({ issuer, audience, algorithms: ['ES256'] });
 * const keys = createLocalJWKSet(publishedKeys);
 * try {
 *   const claims = await verifyAccessToken(token, keys, policy);
 *   claims.subject; claims.scopes;
 * } catch (error) {
 *   if (error instanceof AccessTokenError) refuse(error.reason, error.detail);
 *   else throw error;
 * }
 */
export async function verifyAccessToken(
  token: string,
  keys: AccessTokenKeys,
  policy: AccessTokenPolicy,
): Promise<AccessTokenClaims> {
  if (!(policy instanceof AccessTokenPolicy)) {
    throw new TypeError('policy must be an AccessTokenPolicy: new AccessTokenPolicy({ issuer, audience })');
  }
  checkShape(token, policy.maxTokenBytes);
  checkProtectedHeader(decodeHeader(token), policy);
  const currentDate = new Date(policy.now());
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, (header) => keyFor(keys, header), {
      algorithms: [...policy.algorithms],
      issuer: policy.issuer,
      audience: policy.audience,
      typ: policy.requiredType,
      clockTolerance: policy.clockSkewSeconds,
      requiredClaims: REQUIRED_CLAIMS,
      currentDate,
    }));
  } catch (error) {
    throw fromJose(error);
  }
  // jose checks `iat` only when maxTokenAge is set; a token issued in the future is refused here.
  if (
    typeof payload.iat === 'number' &&
    payload.iat > currentDate.getTime() / 1000 + policy.clockSkewSeconds
  ) {
    throw new AccessTokenError(
      'token_not_yet_valid',
      'claim iat is in the future beyond the allowed clock skew',
      subjectOf(payload),
    );
  }
  const claims = toAccessTokenClaims(payload);
  if (claims.cnf !== undefined && !policy.acceptBoundTokens) {
    throw new AccessTokenError(
      'sender_constrained',
      'token is bound to a key (cnf) and no proof-of-possession check is configured',
      { subject: claims.subject },
    );
  }
  return claims;
}
