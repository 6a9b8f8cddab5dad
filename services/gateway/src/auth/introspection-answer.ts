import type { JWTPayload } from 'jose';
import { RampartError } from '@rampart/errors';
import { AccessTokenError, toAccessTokenClaims, type AccessTokenClaims } from '@rampart/tokens';

/** What identity said of a token: its claims, or why it may not be used (a 401 code and a detail). */
export type IntrospectionOutcome =
  | { readonly kind: 'active'; readonly claims: AccessTokenClaims }
  | {
      readonly kind: 'refused';
      readonly code: 'GW_TOKEN_INVALID' | 'GW_TOKEN_EXPIRED';
      readonly detail: string;
    };

export interface ExpectedToken {
  /** The exact `iss`. */
  readonly issuer: string;
  /** This gateway's resource identifier; `aud` must name it. */
  readonly audience: string;
  /** Stands in for `jti`, which an opaque token does not reveal: its id is the token itself. */
  readonly tokenId: string;
  readonly nowSeconds: number;
}

function refused(detail: string, code: 'GW_TOKEN_INVALID' | 'GW_TOKEN_EXPIRED' = 'GW_TOKEN_INVALID') {
  return { kind: 'refused', code, detail: `introspection: ${detail}` } as const;
}

/**
 * Reads identity's RFC 7662 answer (`/internal/introspect`) into the same {@link AccessTokenClaims}
 * the JWT verifier returns, checking it as strictly as a JWT's claims: `active: true`, the exact
 * issuer, this gateway's audience, `exp` in the future, then each claim's type. An answer that is
 * not RFC 7662 at all (no boolean `active`) is identity failing, not a verdict on the token: it
 * throws `GW_INTROSPECTION_UNAVAILABLE`, so the request is refused and nothing is cached.
 *
 * @example
 * const outcome = readIntrospectionAnswer(await response.body.json(), { issuer, audience, tokenId, nowSeconds });
 */
export function readIntrospectionAnswer(answer: unknown, expected: ExpectedToken): IntrospectionOutcome {
  if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) {
    throw unavailable('the answer is not a JSON object');
  }
  const body = answer as Record<string, unknown>;
  const { active, iss, aud, exp, iat } = body;
  if (typeof active !== 'boolean') throw unavailable('the answer has no boolean "active"');
  if (!active) return refused('token not active (unknown, expired, revoked or not for this API)');
  if (iss !== expected.issuer) return refused('iss is not the expected issuer');
  const audiences = Array.isArray(aud) ? aud : [aud];
  if (!audiences.includes(expected.audience)) return refused('aud does not name this gateway');
  if (typeof exp !== 'number' || typeof iat !== 'number') return refused('exp and iat must be numbers');
  if (exp <= expected.nowSeconds) return refused('token expired', 'GW_TOKEN_EXPIRED');
  const payload: JWTPayload = { ...body, jti: expected.tokenId };
  try {
    return { kind: 'active', claims: toAccessTokenClaims(payload) };
  } catch (error) {
    return refused(error instanceof AccessTokenError ? error.detail : 'bad claims');
  }
}

function unavailable(detail: string): RampartError {
  return Object.assign(
    new RampartError('GW_INTROSPECTION_UNAVAILABLE', { detail: `introspection: ${detail}` }),
    { retryAfterSeconds: 1 },
  );
}
