/**
 * Why an access token was refused: a stable, machine-readable reason each caller maps onto its own
 * surface (the gateway onto `GW_TOKEN_INVALID` / `GW_TOKEN_EXPIRED` / `GW_KEYS_UNAVAILABLE`,
 * identity's admin API onto its `admin.denied` reasons).
 */
export type AccessTokenRefusal =
  /** Not a compact JWS within the size limit (JWE, wrong segments, bad base64url or JSON), or no `alg` / `kid`. */
  | 'malformed_token'
  /** `alg` is `none` or outside the policy's allow-list. */
  | 'algorithm_not_allowed'
  /** The header carries or points at a key (`jku`, `x5u`, `jwk`, `x5c`): keys come only from the key source. */
  | 'key_in_header'
  /** The header has `crit`: no extension is understood. */
  | 'unsupported_critical'
  /** `typ` is missing or not the required type (an ID token is `JWT`). */
  | 'wrong_token_type'
  /** The key source has no key for this `kid` and `alg`. */
  | 'unknown_key'
  /** The key source failed (key set not fetched, too old, store down): not a verdict on the token. */
  | 'keys_unavailable'
  /** The signature does not verify under the key the key source gave. */
  | 'bad_signature'
  /** `exp` is past, beyond the clock skew. */
  | 'token_expired'
  /** `nbf` or `iat` is in the future, beyond the clock skew. */
  | 'token_not_yet_valid'
  | 'wrong_issuer'
  | 'wrong_audience'
  /** A required claim is missing or of the wrong type, or `sub` names the wrong kind of principal. */
  | 'invalid_claims'
  /** The token is bound to a key (`cnf`) and the policy does not accept bound tokens. */
  | 'sender_constrained';

export interface AccessTokenErrorOptions {
  /** The token's `sub`, only once its signature has been verified (for an audit trail). */
  readonly subject?: string;
  readonly cause?: unknown;
}

/**
 * The one error `verifyAccessToken` throws for a token it refuses. `reason` is stable, `detail`
 * is a sentence for the log (it may name a header value, shortened, never the token); `subject`
 * is set only when the signature was verified, so it can be trusted as the token's subject.
 * A key source passed to `verifyAccessToken` throws it too, with `unknown_key` for a `kid` it
 * does not know.
 *
 * @example
 * throw new AccessTokenError('unknown_key', `kid "k9" not in the issuer key set`);
 */
export class AccessTokenError extends Error {
  readonly reason: AccessTokenRefusal;
  readonly detail: string;
  readonly subject: string | undefined;

  constructor(reason: AccessTokenRefusal, detail: string, options: AccessTokenErrorOptions = {}) {
    super(
      `access token refused (${reason}): ${detail}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'AccessTokenError';
    this.reason = reason;
    this.detail = detail;
    this.subject = options.subject;
  }
}
