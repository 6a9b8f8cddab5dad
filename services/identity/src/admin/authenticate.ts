import { createLocalJWKSet, type JWK } from 'jose';
import {
  AccessTokenError,
  AccessTokenPolicy,
  readAuthorization,
  verifyAccessToken,
  type AccessTokenClaims,
  type AccessTokenKeys,
  type AccessTokenRefusal,
} from '@rampart/tokens';
import type { IdentityContext } from '../app.ts';
import { ADMIN_SCOPE, adminAudience } from '../oidc/provider.ts';
import { AdminError, type DenyReason } from './admin-error.ts';

/** Who is calling: a user with the `admin` role, through an admin client, with MFA. */
export interface AdminPrincipal {
  readonly userId: string;
  readonly clientId: string;
}

/** `amr` values that prove a second factor (RFC 8176): multiple factors, one-time password, hardware key. */
export const MFA_AMR: ReadonlySet<string> = new Set(['mfa', 'otp', 'hwk']);
/** The role a user needs, checked at every call so that revoking it takes effect at once. */
export const ADMIN_ROLE = 'admin';
/** Leeway for `exp`, `nbf` and `iat`, for clocks a little apart (RFC 8725 §3.10 asks for small). */
export const CLOCK_TOLERANCE_SECONDS = 30;

/** Longest admin token read: identity's own tokens stay far below it. */
const MAX_TOKEN_LENGTH = 4096;
const REALM = 'realm="rampart-admin"';
/** Public members per key type: the verifier never holds a private part. */
const PUBLIC_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  EC: ['kty', 'crv', 'x', 'y'],
  OKP: ['kty', 'crv', 'x'],
  RSA: ['kty', 'n', 'e'],
};

/** What a refusal of `verifyAccessToken` is in the audit (`admin.denied`); `keys_unavailable` is not a refusal. */
const DENY_REASONS: Readonly<Record<Exclude<AccessTokenRefusal, 'keys_unavailable'>, DenyReason>> = {
  malformed_token: 'malformed_token',
  algorithm_not_allowed: 'algorithm_not_allowed',
  key_in_header: 'key_in_header',
  unsupported_critical: 'unsupported_critical',
  wrong_token_type: 'wrong_token_type',
  unknown_key: 'unknown_key',
  bad_signature: 'bad_signature',
  token_expired: 'token_expired',
  token_not_yet_valid: 'token_not_yet_valid',
  wrong_issuer: 'wrong_issuer',
  wrong_audience: 'wrong_audience',
  invalid_claims: 'invalid_claims',
  sender_constrained: 'sender_constrained',
};

/**
 * Checks the bearer token of an admin API call (RFC 6750, RFC 9068). First the one access-token
 * verification of `@rampart/tokens`, under the admin policy: a compact JWS of at most 4096
 * characters, `typ: at+jwt`, ES256 only, no key in the header (`jku`, `x5u`, `jwk`, `x5c`), no
 * `crit`, a `kid` of one of identity's own published keys, issued by this issuer for the admin
 * audience, not expired nor issued in the future (30 s leeway), typed claims, and not
 * sender-constrained (a DPoP-bound token is refused as a bearer). Then the admin API's own
 * policy: a client allowed to get admin tokens, the `admin` scope, MFA in `amr`, and a user who
 * exists now, is enabled and has the `admin` role. Each refusal is an {@link AdminError} with its
 * `deny` reason (for the audit) and the RFC 6750 challenge.
 *
 * @example
 * const verifier = new AdminTokenVerifier(identity);
 * const admin = await verifier.authenticate(req.rawHeaders);
 */
export class AdminTokenVerifier {
  readonly #identity: IdentityContext;
  readonly #policy: AccessTokenPolicy;
  /** Identity's published keys, by `kid` and `alg`: never a key the token names. */
  readonly #keys: AccessTokenKeys;
  #keySet: { readonly version: string; readonly getKey: AccessTokenKeys } | undefined;

  constructor(identity: IdentityContext) {
    this.#identity = identity;
    const { settings } = identity;
    this.#policy = new AccessTokenPolicy({
      issuer: settings.issuer,
      audience: adminAudience(settings),
      // What identity signs access tokens with (provider.ts); nothing else is an admin token.
      algorithms: ['ES256'],
      clockSkewSeconds: CLOCK_TOLERANCE_SECONDS,
      maxTokenBytes: MAX_TOKEN_LENGTH,
      requiredType: 'at+jwt',
      acceptBoundTokens: false,
    });
    this.#keys = async (header) => (await this.#getKey())(header);
  }

  /** `rawHeaders` as Node gives them (`req.rawHeaders`): a repeated `Authorization` is refused. */
  async authenticate(rawHeaders: readonly string[]): Promise<AdminPrincipal> {
    const authorization = readAuthorization(rawHeaders);
    if (!authorization.ok && (authorization.reason === 'missing' || authorization.reason === 'empty')) {
      throw new AdminError(401, 'invalid_token', 'An access token is required (Authorization: Bearer).', {
        deny: 'missing_token',
        wwwAuthenticate: `Bearer ${REALM}`,
      });
    }
    if (!authorization.ok) throw invalidToken('malformed_token');
    const claims = await this.#verify(authorization.token);
    const { subject, clientId } = claims;
    if (!(await this.#isAdminClient(clientId))) throw invalidToken('not_admin_client', subject);
    if (!claims.scopes.includes(ADMIN_SCOPE)) {
      throw new AdminError(403, 'insufficient_scope', `The token must have the ${ADMIN_SCOPE} scope.`, {
        deny: 'insufficient_scope',
        subject,
        wwwAuthenticate: `Bearer ${REALM}, error="insufficient_scope", scope="${ADMIN_SCOPE}"`,
      });
    }
    if (!claims.amr.some((method) => MFA_AMR.has(method))) {
      throw new AdminError(403, 'mfa_required', 'The admin API needs a sign-in with a second factor.', {
        deny: 'mfa_required',
        subject,
        // RFC 9470: the client should send the user through a stronger sign-in.
        wwwAuthenticate: `Bearer ${REALM}, error="insufficient_user_authentication"`,
      });
    }
    const user = await this.#identity.accounts.findById(subject);
    if (user === undefined) throw invalidToken('unknown_subject', subject);
    if (user.disabled) throw accessDenied('account_disabled', subject);
    if (!user.roles.includes(ADMIN_ROLE)) throw accessDenied('not_admin', subject);
    return { userId: user.id, clientId };
  }

  /**
   * The shared verification, its refusal as the admin API's. Keys that cannot be read (the key
   * store failing) are not a verdict on the token: that error goes on, answered 500 and logged.
   */
  async #verify(token: string): Promise<AccessTokenClaims> {
    try {
      return await verifyAccessToken(token, this.#keys, this.#policy);
    } catch (error) {
      if (!(error instanceof AccessTokenError)) throw error;
      if (error.reason === 'keys_unavailable') throw error.cause instanceof Error ? error.cause : error;
      throw invalidToken(DENY_REASONS[error.reason], error.subject);
    }
  }

  /** The public parts of the published keys, rebuilt when the set changes (here or on another replica). */
  async #getKey(): Promise<AccessTokenKeys> {
    const { keys } = this.#identity;
    const version = await keys.version();
    if (this.#keySet?.version !== version) {
      const jwks = (await keys.privateJwks()).map(publicJwk);
      this.#keySet = { version, getKey: createLocalJWKSet({ keys: jwks }) };
    }
    return this.#keySet.getKey;
  }

  async #isAdminClient(clientId: string): Promise<boolean> {
    const client = await this.#identity.provider().Client.find(clientId);
    return client?.metadata()['rampart_admin_client'] === true;
  }
}

/** The public members of a signing key, with its kid, alg and use. */
export function publicJwk(jwk: JWK): JWK {
  const members = PUBLIC_MEMBERS[jwk.kty ?? ''];
  if (members === undefined) throw new TypeError(`signing key of unsupported type ${String(jwk.kty)}`);
  const source: Readonly<Record<string, unknown>> = jwk;
  const pub: Record<string, unknown> = { kid: jwk.kid, alg: jwk.alg, use: 'sig' };
  for (const member of members) pub[member] = source[member];
  return pub;
}

function invalidToken(deny: DenyReason, subject?: string): AdminError {
  return new AdminError(401, 'invalid_token', 'The access token is not valid for the admin API.', {
    deny,
    ...(subject === undefined || subject === '' ? {} : { subject }),
    wwwAuthenticate: `Bearer ${REALM}, error="invalid_token"`,
  });
}

function accessDenied(deny: DenyReason, subject: string): AdminError {
  return new AdminError(403, 'access_denied', 'This account may not use the admin API.', { deny, subject });
}
