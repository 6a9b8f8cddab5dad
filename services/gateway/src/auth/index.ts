export { presentedToken, type PresentedToken } from './bearer.ts';
export { DPOP_ALGORITHMS, verifyDpopProof, type DpopRequest } from './dpop.ts';
export { createProofReplayCache, type ProofReplayCache } from './proof-replay.ts';
export {
  createJwksCache,
  type AuthLogger,
  type JwksCache,
  type JwksCacheOptions,
  type JwksCacheStats,
  type KeySource,
} from './jwks-cache.ts';
export {
  createAccessTokenVerifier,
  type AccessTokenVerifier,
  type AccessTokenVerifierOptions,
} from './verify-access-token.ts';
export {
  VerifiedTokenCache,
  type VerifiedTokenCacheOptions,
  type VerifiedTokenCacheStats,
} from './verified-token-cache.ts';
export {
  createRevocationFeed,
  type RevocableToken,
  type RevocationFeed,
  type RevocationFeedOptions,
} from './revocation-feed.ts';
export {
  createIntrospectionClient,
  isOpaqueToken,
  type IntrospectionClient,
  type IntrospectionClientOptions,
  type IntrospectionStats,
} from './introspection.ts';
