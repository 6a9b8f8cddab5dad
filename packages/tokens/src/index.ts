export {
  formatAuthorization,
  parseAuthorization,
  readAuthorization,
  type AuthorizationOptions,
  type AuthorizationRefusal,
  type AuthorizationScheme,
  type ParsedAuthorization,
} from './authorization-header.ts';
export {
  CLOCK_SKEW_SECONDS,
  DEFAULT_TOKEN_LIFETIME_SECONDS,
  INTERNAL_TOKEN_ISSUER,
  INTERNAL_TOKEN_RENEW_MARGIN_SECONDS,
  MAX_ACT_DEPTH,
  MAX_SUBJECT_LENGTH,
  MAX_TOKEN_LENGTH,
  MAX_TOKEN_LIFETIME_SECONDS,
} from './internal-token-policy.ts';
export {
  importInternalTokenKey,
  importInternalTokenSigningKey,
  loadInternalTokenKeyPair,
  type InternalTokenKeyPair,
  type PublicKey,
  type SecretKey,
} from './internal-token-keys.ts';
export { signInternalToken, type InternalActor, type InternalTokenContent } from './sign-internal-token.ts';
export {
  verifyInternalToken,
  type InternalTokenRefusal,
  type InternalTokenVerification,
  type VerifiedInternalToken,
  type VerifyInternalTokenOptions,
} from './verify-internal-token.ts';
export {
  createInternalTokenMinter,
  type InternalPrincipal,
  type InternalTokenMinter,
  type InternalTokenMinterOptions,
} from './internal-token-minter.ts';
export {
  ACCESS_TOKEN_ALGORITHMS,
  DEFAULT_ACCESS_TOKEN_ALGORITHMS,
  checkAccessTokenAlgorithms,
  type AccessTokenAlgorithm,
} from './access-token-algorithms.ts';
export { toAccessTokenClaims, type AccessTokenClaims } from './access-token-claims.ts';
export {
  AccessTokenError,
  type AccessTokenErrorOptions,
  type AccessTokenRefusal,
} from './access-token-error.ts';
export { KEY_CARRYING_HEADERS, MAX_KID_LENGTH } from './access-token-header.ts';
export {
  AccessTokenPolicy,
  DEFAULT_CLOCK_SKEW_SECONDS,
  DEFAULT_MAX_TOKEN_BYTES,
  type AccessTokenPolicyOptions,
} from './access-token-policy.ts';
export { checkAccessTokenShape, verifyAccessToken, type AccessTokenKeys } from './verify-access-token.ts';
