/** Internal tokens are always issued by Rampart itself (the gateway, or the mesh by exchange). */
export const INTERNAL_TOKEN_ISSUER = 'rampart';
/** Longest lifetime an internal token may have. */
export const MAX_TOKEN_LIFETIME_SECONDS = 300;
/** Lifetime of the tokens the gateway mints, unless configured otherwise. */
export const DEFAULT_TOKEN_LIFETIME_SECONDS = 60;
/** A cached minted token is replaced this long before its `exp`, so none arrives already expired. */
export const INTERNAL_TOKEN_RENEW_MARGIN_SECONDS = 10;
/** Clock skew tolerated on `exp`, `nbf` and `iat`. */
export const CLOCK_SKEW_SECONDS = 30;
/** Tokens longer than this are rejected before any parsing. */
export const MAX_TOKEN_LENGTH = 4096;
/** Longest `act` chain (hops through services) a token may carry. */
export const MAX_ACT_DEPTH = 8;
/** Longest `sub` (and `act.sub`). */
export const MAX_SUBJECT_LENGTH = 255;
/** The only kind of internal token: PASETO v4.public (Ed25519, no algorithm header to attack). */
export const TOKEN_PREFIX = 'v4.public.';
