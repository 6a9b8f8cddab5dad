import { createPrivateKey, createPublicKey, type JsonWebKey } from 'node:crypto';
import { createLocalJWKSet, jwtVerify, type JWK, type JWTPayload } from 'jose';
import type { JWK as ProviderJwk } from 'oidc-provider';
import { clientSubject } from '@rampart/config';
import { Provider, type AccessToken, type ClientCredentials, type KoaContextWithOIDC } from 'oidc-provider';

/** Identity signs access tokens with ES256 alone (provider.ts, `jwt.sign`); ID tokens may differ. */
const ACCESS_TOKEN_ALGORITHMS = ['ES256'];
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/** Longer than any token identity signs; checked before anything is decoded. */
const MAX_JWT_LENGTH = 8192;
/** The sign-in facts `extraTokenClaims` adds to a token (provider.ts), kept as the model's `extra`. */
const EXTRA_CLAIMS = ['groups', 'amr', 'acr', 'auth_time', 'gid'] as const;

export type OwnAccessToken = AccessToken | ClientCredentials;

/** Whether `value` has the shape of a compact JWS (three base64url parts), without decoding it. */
export function isCompactJws(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_JWT_LENGTH && COMPACT_JWS.test(value);
}

/**
 * Reads identity's own JWT access tokens (RFC 9068) back into oidc-provider's models. oidc-provider
 * keeps no state for JWT access tokens, so it cannot find them; this verifies one the way a
 * resource server does — a key identity publishes (current, next, or retired and still published),
 * ES256, `typ: at+jwt`, this issuer, unexpired — and rebuilds the `AccessToken` (a user's token:
 * it names its grant, `gid`) or `ClientCredentials` (its subject is the client) it was issued from.
 * Anything else (another issuer, an ID token, a forged or expired token) is `undefined`. The
 * audience is left to the caller: the gateway, userinfo and introspection each decide what an
 * audience means to them.
 *
 * @example
 * const find = ownAccessTokens(provider, privateJwks);
 * const token = await find(presented); // AccessToken | ClientCredentials | undefined
 */
export function ownAccessTokens(
  provider: Provider,
  privateJwks: readonly ProviderJwk[],
): (value: unknown) => Promise<OwnAccessToken | undefined> {
  const keys = createLocalJWKSet({ keys: privateJwks.map(publicJwk) });
  return async (value) => {
    if (!isCompactJws(value)) return undefined;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(value, keys, {
        issuer: provider.issuer,
        typ: 'at+jwt',
        algorithms: ACCESS_TOKEN_ALGORITHMS,
        requiredClaims: ['jti', 'iat', 'exp', 'sub', 'client_id'],
      }));
    } catch {
      return undefined;
    }
    return toModel(provider, payload);
  };
}

/**
 * Makes oidc-provider's `AccessToken.find` know identity's JWT access tokens too, and lets the
 * userinfo endpoint accept the tokens meant for it. oidc-provider serves userinfo only to tokens
 * without an audience; identity's tokens always have one (the gateway), and those granted `openid`
 * name the userinfo endpoint as a second audience (see {@link addUserinfoAudience}). At userinfo,
 * a token naming it is shown to oidc-provider without its audience; any other token keeps its
 * audience and is refused there ("token audience prevents accessing the userinfo endpoint").
 */
export function findOwnAccessTokens(
  provider: Provider,
  fromJwt: (value: unknown) => Promise<OwnAccessToken | undefined>,
  userinfoAudience: string,
): void {
  const { AccessToken } = provider;
  const findStored = AccessToken.find.bind(AccessToken);
  const find = async (
    value: string,
    options?: { ignoreExpiration?: boolean },
  ): Promise<AccessToken | undefined> => {
    if (isCompactJws(value)) {
      const token = await fromJwt(value);
      return token?.kind === 'AccessToken' ? token : undefined;
    }
    return (await findStored(value, options)) as AccessToken | undefined;
  };
  AccessToken.find = async function findAccessToken<T>(
    value: string,
    options?: { ignoreExpiration?: boolean },
  ): Promise<T | undefined> {
    const token = await find(value, options);
    if (token !== undefined && currentRoute() === 'userinfo' && names(token.aud, userinfoAudience)) {
      token.aud = undefined;
    }
    return token as T | undefined;
  };
}

/**
 * Access tokens granted `openid` are for the API (the gateway) and for the userinfo endpoint: their
 * `aud` names both (RFC 9068 §3 allows several audiences; the gateway checks that `aud` contains
 * its own identifier, so it still refuses tokens that do not name it). Set as the token is issued,
 * for both formats: a JWT carries it, an opaque token's stored record does.
 */
export function addUserinfoAudience(provider: Provider, userinfoAudience: string): void {
  const prototype = provider.AccessToken.prototype as AccessToken & {
    getValueAndPayload: (this: AccessToken) => Promise<unknown>;
  };
  const issue = prototype.getValueAndPayload;
  prototype.getValueAndPayload = function withUserinfoAudience(this: AccessToken) {
    if (this.scopes.has('openid') && typeof this.aud === 'string' && this.aud !== userinfoAudience) {
      this.aud = [this.aud, userinfoAudience];
    }
    return issue.call(this);
  };
}

/** Whether an `aud` claim (one string or several) names `audience`. */
export function names(aud: string | readonly string[] | undefined, audience: string): boolean {
  return aud === audience || (Array.isArray(aud) && aud.includes(audience));
}

/** The route oidc-provider is serving (its request context is kept in an AsyncLocalStorage). */
function currentRoute(): string | undefined {
  return (Provider as unknown as { readonly ctx?: KoaContextWithOIDC }).ctx?.oidc.route;
}

async function toModel(provider: Provider, payload: JWTPayload): Promise<OwnAccessToken | undefined> {
  const { jti, iat, exp, sub, aud, scope } = payload;
  const clientId = payload['client_id'];
  const grantId = payload['gid'];
  if (typeof clientId !== 'string' || typeof sub !== 'string') return undefined;
  const client = await provider.Client.find(clientId);
  if (client === undefined) return undefined;
  const common = {
    client,
    jti,
    iat,
    exp,
    aud,
    ...(typeof scope === 'string' ? { scope } : {}),
    ...confirmation(payload['cnf']),
    extra: Object.fromEntries(
      EXTRA_CLAIMS.filter((name) => payload[name] !== undefined).map((name) => [name, payload[name]]),
    ),
  };
  if (typeof grantId === 'string') {
    return new provider.AccessToken({ ...common, accountId: sub, grantId, gty: 'jwt' });
  }
  // A client's own token names it in the client namespace (see provider.ts formats.customizers).
  return sub === clientSubject(clientId) ? new provider.ClientCredentials(common) : undefined;
}

function confirmation(cnf: unknown): { jkt?: string; 'x5t#S256'?: string } {
  if (typeof cnf !== 'object' || cnf === null) return {};
  const { jkt, 'x5t#S256': x5t } = cnf as Record<string, unknown>;
  return {
    ...(typeof jkt === 'string' ? { jkt } : {}),
    ...(typeof x5t === 'string' ? { 'x5t#S256': x5t } : {}),
  };
}

function publicJwk(jwk: ProviderJwk): JWK {
  const key = createPublicKey(createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' }));
  return {
    ...(key.export({ format: 'jwk' }) as JWK),
    ...(jwk.kid === undefined ? {} : { kid: jwk.kid }),
    ...(jwk.alg === undefined ? {} : { alg: jwk.alg }),
    use: 'sig',
  };
}
