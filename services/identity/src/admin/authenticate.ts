import { createLocalJWKSet, errors, jwtVerify, type JWK, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { readAuthorization } from '@rampart/tokens';
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

const MAX_TOKEN_LENGTH = 4096;
const REALM = 'realm="rampart-admin"';
/** Public members per key type: the verifier never holds a private part. */
const PUBLIC_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  EC: ['kty', 'crv', 'x', 'y'],
  OKP: ['kty', 'crv', 'x'],
  RSA: ['kty', 'n', 'e'],
};

/**
 * Checks the bearer token of an admin API call (RFC 6750, RFC 9068): a JWT `at+jwt` signed with
 * ES256 by one of identity's own published keys (never a key named by the token), issued by this
 * issuer for the admin audience, not expired (30 s leeway), not sender-constrained (a DPoP-bound
 * token is refused as a bearer), from a client allowed to get admin tokens, with the `admin`
 * scope, with MFA in `amr`, and for a user who exists now, is enabled and has the `admin` role.
 * Each refusal is an {@link AdminError} with its `deny` reason (for the audit) and the RFC 6750
 * challenge.
 *
 * @example
 * const verifier = new AdminTokenVerifier(identity);
 * const admin = await verifier.authenticate(req.rawHeaders);
 */
export class AdminTokenVerifier {
  readonly #identity: IdentityContext;
  #keySet: { readonly version: string; readonly getKey: JWTVerifyGetKey } | undefined;

  constructor(identity: IdentityContext) {
    this.#identity = identity;
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
    if (!authorization.ok || authorization.token.length > MAX_TOKEN_LENGTH)
      throw invalidToken('malformed_token');
    const token = authorization.token;
    const payload = await this.#verify(token);
    const subject = payload.sub;
    if (payload['cnf'] !== undefined) throw invalidToken('sender_constrained', subject);
    const clientId = payload['client_id'];
    if (typeof clientId !== 'string' || !(await this.#isAdminClient(clientId))) {
      throw invalidToken('not_admin_client', subject);
    }
    const scope = payload['scope'];
    if (typeof scope !== 'string' || !scope.split(' ').includes(ADMIN_SCOPE)) {
      throw new AdminError(403, 'insufficient_scope', `The token must have the ${ADMIN_SCOPE} scope.`, {
        deny: 'insufficient_scope',
        subject,
        wwwAuthenticate: `Bearer ${REALM}, error="insufficient_scope", scope="${ADMIN_SCOPE}"`,
      });
    }
    const amr = payload['amr'];
    if (!Array.isArray(amr) || !amr.some((method) => typeof method === 'string' && MFA_AMR.has(method))) {
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

  async #verify(token: string): Promise<JWTPayload & { sub: string }> {
    const { settings } = this.#identity;
    try {
      const { payload } = await jwtVerify(token, await this.#getKey(), {
        algorithms: ['ES256'],
        typ: 'at+jwt',
        issuer: settings.issuer,
        audience: adminAudience(settings),
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['exp', 'iat', 'sub', 'jti', 'client_id'],
      });
      if (typeof payload.sub !== 'string' || payload.sub === '') throw invalidToken('malformed_token');
      return payload as JWTPayload & { sub: string };
    } catch (error) {
      if (error instanceof AdminError) throw error;
      throw joseRefusal(error);
    }
  }

  /** The public parts of the published keys, rebuilt when the set changes (here or on another replica). */
  async #getKey(): Promise<JWTVerifyGetKey> {
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

/** A jose failure as a refusal; the subject only when the signature was verified first. */
function joseRefusal(error: unknown): AdminError {
  if (error instanceof errors.JWTExpired) return invalidToken('token_expired', subjectOf(error.payload));
  if (error instanceof errors.JWTClaimValidationFailed) {
    const reasons: Readonly<Record<string, DenyReason>> = {
      nbf: 'token_not_yet_valid',
      iat: 'token_not_yet_valid',
      iss: 'wrong_issuer',
      aud: 'wrong_audience',
      typ: 'wrong_token_type',
    };
    return invalidToken(reasons[error.claim] ?? 'malformed_token', subjectOf(error.payload));
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return invalidToken('bad_signature');
  if (error instanceof errors.JWKSNoMatchingKey) return invalidToken('unknown_key');
  if (error instanceof errors.JOSEAlgNotAllowed) return invalidToken('algorithm_not_allowed');
  if (error instanceof errors.JOSEError) return invalidToken('malformed_token');
  throw error;
}

function subjectOf(payload: JWTPayload): string | undefined {
  return typeof payload.sub === 'string' ? payload.sub : undefined;
}
