import type { JWTPayload } from 'jose';
import { CLIENT_SUBJECT_PREFIX, principalKindOf, type PrincipalKind } from '@rampart/config';
import { AccessTokenError } from './access-token-error.ts';

/**
 * What a verified access token says about the caller (RFC 9068 §2.2). Deeply frozen: whoever
 * reads it later (the gateway's pipeline stages, the admin API's checks) may not change it.
 */
export interface AccessTokenClaims {
  /** `sub`: the user's id, or `client:<client_id>` for a client's own token (client credentials). */
  readonly subject: string;
  /** Which kind of principal `subject` names; the two kinds' subjects never coincide. */
  readonly principalKind: PrincipalKind;
  /** `client_id`: the OAuth client the token was issued to. */
  readonly clientId: string;
  /** `scope`, split on spaces; empty when the token has none. */
  readonly scopes: readonly string[];
  /** `groups` (RFC 9068 §2.2.3.1, SCIM groups); empty when absent. */
  readonly groups: readonly string[];
  /** `amr`: authentication methods (e.g. `pwd`, `otp`, `hwk`); empty when absent. */
  readonly amr: readonly string[];
  /** `acr`: authentication context class, when the issuer set one. */
  readonly acr?: string;
  /** `exp`, in seconds since the epoch. */
  readonly expiresAt: number;
  /** `iat`, in seconds since the epoch. */
  readonly issuedAt: number;
  /** `jti`: the token's identifier, the handle for revocation. */
  readonly jti: string;
  /** `gid`: the grant (token family) a user's token belongs to; revoked as one (identity's feed). */
  readonly grantId?: string;
  /** `cnf` (RFC 7800): the key the token is bound to (DPoP `jkt`, mTLS `x5t#S256`). */
  readonly cnf?: Readonly<Record<string, unknown>>;
}

/** A claim that fails its type check. The signature was verified first, so `sub` (when a string) is the token's. */
function invalid(payload: JWTPayload, detail: string): AccessTokenError {
  const { sub } = payload;
  return new AccessTokenError('invalid_claims', detail, {
    ...(typeof sub === 'string' && sub.length > 0 ? { subject: sub } : {}),
  });
}

function requiredString(payload: JWTPayload, name: string): string {
  const value = payload[name];
  if (typeof value !== 'string' || value.length === 0) {
    throw invalid(payload, `claim ${name} must be a non-empty string`);
  }
  return value;
}

function optionalString(payload: JWTPayload, name: string): string | undefined {
  const value = payload[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalid(payload, `claim ${name} must be a string`);
  return value;
}

function stringList(payload: JWTPayload, name: string): readonly string[] {
  const value = payload[name];
  if (value === undefined) return Object.freeze([]);
  if (!Array.isArray(value) || !value.every((item): item is string => typeof item === 'string')) {
    throw invalid(payload, `claim ${name} must be an array of strings`);
  }
  return Object.freeze([...value]);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const member of Object.values(value)) deepFreeze(member);
    Object.freeze(value);
  }
  return value;
}

/**
 * The kind of principal a token acts for, from its `sub` (see `@rampart/config`'s
 * principal-subject): a client subject must be this very client's (`client:<client_id>`: a client
 * never acts as another), and a bare client id as `sub` — the un-namespaced shape, which a service
 * keying data by subject would take for a user — is refused.
 */
function principalKind(payload: JWTPayload, subject: string, clientId: string): PrincipalKind {
  const kind = principalKindOf(subject);
  if (kind === undefined) throw invalid(payload, 'claim sub is a malformed client subject');
  if (kind === 'client' && subject !== `${CLIENT_SUBJECT_PREFIX}${clientId}`)
    throw invalid(payload, 'claim sub names another client than client_id');
  if (kind === 'user' && subject === clientId)
    throw invalid(payload, 'claim sub is a client id outside the client namespace');
  return kind;
}

/**
 * Turns a verified JWT payload (or an RFC 7662 introspection answer's members) into
 * {@link AccessTokenClaims}, checking each claim's type; throws {@link AccessTokenError}
 * `invalid_claims`. Presence of `exp`, `iat`, `jti`, `sub` and `client_id` is also enforced by
 * jose's `requiredClaims` in `verifyAccessToken`; the checks here guard the types and emptiness
 * jose leaves alone.
 *
 * @example
 * const claims = toAccessTokenClaims({ sub, client_id: 'shop-web', jti, iat, exp, scope: 'orders:read' });
 * claims.scopes; // ['orders:read']
 */
export function toAccessTokenClaims(payload: JWTPayload): AccessTokenClaims {
  const { exp, iat } = payload;
  if (typeof exp !== 'number') throw invalid(payload, 'claim exp is required');
  if (typeof iat !== 'number') throw invalid(payload, 'claim iat is required');
  const scope = optionalString(payload, 'scope');
  const acr = optionalString(payload, 'acr');
  const grantId = optionalString(payload, 'gid');
  const cnf = payload['cnf'];
  if (cnf !== undefined && (typeof cnf !== 'object' || cnf === null || Array.isArray(cnf))) {
    throw invalid(payload, 'claim cnf must be an object');
  }
  const subject = requiredString(payload, 'sub');
  const clientId = requiredString(payload, 'client_id');
  const claims: AccessTokenClaims = {
    subject,
    principalKind: principalKind(payload, subject, clientId),
    clientId,
    scopes: Object.freeze(scope === undefined ? [] : scope.split(' ').filter((item) => item.length > 0)),
    groups: stringList(payload, 'groups'),
    amr: stringList(payload, 'amr'),
    ...(acr === undefined ? {} : { acr }),
    expiresAt: exp,
    issuedAt: iat,
    jti: requiredString(payload, 'jti'),
    ...(grantId === undefined ? {} : { grantId }),
    ...(cnf === undefined ? {} : { cnf: deepFreeze(structuredClone(cnf) as Record<string, unknown>) }),
  };
  return Object.freeze(claims);
}
