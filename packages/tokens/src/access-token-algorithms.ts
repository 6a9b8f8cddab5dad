/** Asymmetric JWS algorithms an access token may be signed with. HMAC and `none` are never accepted. */
export const ACCESS_TOKEN_ALGORITHMS = [
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
  'PS256',
  'PS384',
  'PS512',
  'RS256',
  'RS384',
  'RS512',
] as const;

export type AccessTokenAlgorithm = (typeof ACCESS_TOKEN_ALGORITHMS)[number];

/** The default allow-list: ECDSA P-256, Ed25519 and RSA-PSS (RFC 8725 §3.2). */
export const DEFAULT_ACCESS_TOKEN_ALGORITHMS: readonly AccessTokenAlgorithm[] = Object.freeze([
  'ES256',
  'EdDSA',
  'PS256',
]);

const KNOWN: ReadonlySet<string> = new Set(ACCESS_TOKEN_ALGORITHMS);

function isAccessTokenAlgorithm(alg: string): alg is AccessTokenAlgorithm {
  return KNOWN.has(alg);
}

/**
 * Validates a configured allow-list (non-empty, asymmetric algorithms only); throws a `TypeError`
 * naming the fix.
 *
 * @example
 * checkAccessTokenAlgorithms(['ES256']); // ['ES256'], frozen
 * checkAccessTokenAlgorithms(['HS256']); // TypeError: algorithm "HS256" is not allowed for access tokens; …
 */
export function checkAccessTokenAlgorithms(algorithms: readonly string[]): readonly AccessTokenAlgorithm[] {
  if (algorithms.length === 0) throw new TypeError('algorithms must name at least one algorithm');
  const checked: AccessTokenAlgorithm[] = [];
  for (const alg of algorithms) {
    if (!isAccessTokenAlgorithm(alg)) {
      throw new TypeError(
        `algorithm ${JSON.stringify(alg)} is not allowed for access tokens; use one of ${ACCESS_TOKEN_ALGORITHMS.join(', ')}`,
      );
    }
    checked.push(alg);
  }
  return Object.freeze(checked);
}
