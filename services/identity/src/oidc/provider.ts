import {
  errors,
  interactionPolicy,
  Provider,
  type AccessToken,
  type Client,
  type ClientCredentials,
  type Configuration,
  type JWK,
  type KoaContextWithOIDC,
  type RefreshToken,
} from 'oidc-provider';
import { clientSubject } from '@rampart/config';
import type { IdentitySettings } from '../settings.ts';
import { ASYMMETRIC_ALGS, ID_TOKEN_ALGS } from './client-metadata.ts';
import { clientSecretMatches } from './client-secrets.ts';
import { conformEndpoints } from './endpoint-conformance.ts';
import { addUserinfoAudience, findOwnAccessTokens, ownAccessTokens } from './own-access-tokens.ts';
import type { Revocations } from './revocations.ts';
import { renderErrorPage, renderLoggedOutPage, renderLogoutPage } from '../pages/provider-pages.ts';

/** What the provider needs to know of a user. */
export interface AccountView {
  readonly id: string;
  readonly username: string;
  readonly displayName: string | null;
  readonly email: string | null;
  readonly groups: readonly string[];
  readonly disabled: boolean;
}

export interface ProviderOptions {
  readonly settings: IdentitySettings;
  readonly adapter: NonNullable<Configuration['adapter']>;
  readonly clients: NonNullable<Configuration['clients']>;
  readonly jwks: readonly JWK[];
  readonly cookieKeys: readonly string[];
  readonly findAccount: (id: string) => Promise<AccountView | undefined>;
  /** Every scope a client may be granted (the union of the clients' scopes). */
  readonly scopes: readonly string[];
  /** The revocation feed: introspection consults it, revoking a client-credentials JWT writes to it. */
  readonly revocations: Pick<Revocations, 'covers' | 'revokeSubject'>;
}

/** Where oidc-provider serves each endpoint, below the issuer. */
export const ROUTES = {
  authorization: '/authorize',
  token: '/token',
  jwks: '/jwks',
  userinfo: '/me',
  introspection: '/token/introspection',
  revocation: '/token/revocation',
  end_session: '/session/end',
} as const;

/**
 * The second audience of access tokens granted `openid` (the first is the API, the gateway's
 * origin): the userinfo endpoint, which accepts exactly the tokens that name it.
 */
export function userinfoAudience(settings: IdentitySettings): string {
  return `${settings.issuer}${ROUTES.userinfo}`;
}

/** The scope of the admin API, granted only for its audience (`<issuer>/admin`). */
export const ADMIN_SCOPE = 'admin';

/** The audience (RFC 8707 resource) of admin API tokens. */
export function adminAudience(settings: IdentitySettings): string {
  return `${settings.issuer}/admin`;
}

/** Authentication context classes: a password alone, or a second factor / a passkey. */
export const ACR = { password: 'urn:rampart:acr:pwd', mfa: 'urn:rampart:acr:mfa' } as const;

const AUTHORIZATION_CODE_TTL = 60;
const INTERACTION_TTL = 10 * 60;
const ID_TOKEN_TTL = 10 * 60;

/**
 * The oidc-provider instance, configured to RFC 9700 (OAuth 2.0 Security BCP) and RFC 8725:
 * authorization code with PKCE (S256 only, always required), no implicit flow, no password grant,
 * `iss` in authorization responses, exact redirect URI matching, single-use short-lived codes,
 * refresh tokens rotated on every use, JWT access tokens (`at+jwt`, RFC 9068) for one audience
 * (RFC 8707) or opaque ones for the clients configured so (the gateway introspects them), DPoP
 * (RFC 9449) for clients that ask, asymmetric algorithms only.
 *
 * @example
 * const provider = createProvider({ settings, adapter, clients, jwks, cookieKeys, findAccount, scopes });
 * provider.callback()(req, res);
 */
export function createProvider(options: ProviderOptions): Provider {
  const { settings } = options;
  // oidc-provider asks for the account several times while serving one request (the grant, the
  // ID token, the access token's claims): one lookup per request, never shared across requests,
  // so a disabled or changed account takes effect at the next request.
  const lookups = new WeakMap<object, Map<string, Promise<AccountView | undefined>>>();
  const findAccount = (ctx: object, id: string): Promise<AccountView | undefined> => {
    let perRequest = lookups.get(ctx);
    if (perRequest === undefined) {
      perRequest = new Map();
      lookups.set(ctx, perRequest);
    }
    let found = perRequest.get(id);
    if (found === undefined) {
      found = options.findAccount(id);
      perRequest.set(id, found);
    }
    return found;
  };
  const accessTokenTtl = settings.accessTokenTtlSeconds;
  // Clients whose API tokens are opaque (`accessTokenFormat: opaque`): the gateway introspects them.
  const opaqueClients = new Set(
    settings.clients.filter((client) => client.accessTokenFormat === 'opaque').map((client) => client.id),
  );

  const configuration: Configuration = {
    adapter: options.adapter,
    clients: options.clients,
    jwks: { keys: [...options.jwks] },
    cookies: {
      keys: [...options.cookieKeys],
      // The SSO session cookie goes to identity alone, not to every application on the gateway's origin.
      long: { httpOnly: true, sameSite: 'lax', signed: true, path: settings.mountPath },
      short: { httpOnly: true, sameSite: 'lax', signed: true },
    },
    acrValues: [ACR.password, ACR.mfa],
    scopes: ['openid', 'offline_access', ADMIN_SCOPE, ...options.scopes],
    claims: {
      // This map replaces oidc-provider's defaults. The sign-in facts ride on `openid` so that
      // ID tokens carry them; userinfo never does (they are not account claims).
      openid: ['sub', 'acr', 'amr', 'auth_time', 'sid'],
      profile: ['name', 'preferred_username'],
      email: ['email'],
      groups: ['groups'],
    },
    responseTypes: ['code'],
    pkce: { required: () => true },
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
    discovery: {
      // RFC 8414 §2: introspection needs an authenticated client (public clients are refused with
      // invalid_client, endpoint-conformance.ts); a public client may revoke its own tokens.
      introspection_endpoint_auth_methods_supported: [
        'client_secret_basic',
        'client_secret_post',
        'private_key_jwt',
      ],
      revocation_endpoint_auth_methods_supported: [
        'client_secret_basic',
        'client_secret_post',
        'private_key_jwt',
        'none',
      ],
    },
    clientDefaults: {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'ES256',
    },
    // CORS for browser clients: an origin is allowed for a client only when one of its redirect
    // URIs lives there (a SPA calls the token endpoint from the origin it is redirected to).
    clientBasedCORS: (_ctx, origin, client) =>
      (client.redirectUris ?? []).some((uri) => URL.canParse(uri) && new URL(uri).origin === origin),
    extraClientMetadata: {
      properties: [
        'rampart_require_mfa',
        'rampart_first_party',
        'rampart_resource_server',
        'rampart_admin_client',
      ],
    },
    enabledJWA: {
      clientAuthSigningAlgValues: [...ASYMMETRIC_ALGS],
      idTokenSigningAlgValues: [...ID_TOKEN_ALGS],
      requestObjectSigningAlgValues: [...ASYMMETRIC_ALGS],
      userinfoSigningAlgValues: [...ID_TOKEN_ALGS],
      introspectionSigningAlgValues: [...ASYMMETRIC_ALGS],
      authorizationSigningAlgValues: [...ASYMMETRIC_ALGS],
      dPoPSigningAlgValues: [...ASYMMETRIC_ALGS],
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true, allowedPolicy: introspectionAllowed },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      dPoP: { enabled: true },
      registration: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx, form) => {
          ctx.body = renderLogoutPage(form);
        },
        postLogoutSuccessSource: (ctx) => {
          ctx.body = renderLoggedOutPage();
        },
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => settings.apiAudience,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource, client) => {
          if (resource === adminAudience(settings)) {
            // The admin API: only the `admin` scope, only for clients registered for it.
            if (client.metadata()['rampart_admin_client'] !== true) {
              throw new errors.InvalidTarget('this client may not request tokens for the admin API');
            }
            return {
              audience: resource,
              scope: ADMIN_SCOPE,
              accessTokenTTL: accessTokenTtl,
              accessTokenFormat: 'jwt',
              jwt: { sign: { alg: 'ES256' } },
            };
          }
          if (resource !== settings.apiAudience) {
            throw new errors.InvalidTarget('resource indicator is not an API of this deployment');
          }
          // Same audience, scopes and lifetime either way; an opaque token is only a random handle
          // to the stored token, which the gateway looks up at /internal/introspect.
          return opaqueClients.has(client.clientId)
            ? {
                audience: settings.apiAudience,
                scope: client.scope ?? '',
                accessTokenTTL: accessTokenTtl,
                accessTokenFormat: 'opaque',
              }
            : {
                audience: settings.apiAudience,
                scope: client.scope ?? '',
                accessTokenTTL: accessTokenTtl,
                accessTokenFormat: 'jwt',
                jwt: { sign: { alg: 'ES256' } },
              };
        },
      },
    },
    formats: {
      customizers: {
        // A client acting for itself is `client:<id>`, never its bare id, which services could take
        // for a user's (see @rampart/config principal-subject.ts). Users keep their account id.
        jwt: (_ctx, token, jwt) => {
          if (token.kind === 'ClientCredentials' && token.clientId !== undefined)
            jwt.payload['sub'] = clientSubject(token.clientId);
        },
      },
    },
    ttl: {
      AccessToken: accessTokenTtl,
      ClientCredentials: accessTokenTtl,
      AuthorizationCode: AUTHORIZATION_CODE_TTL,
      IdToken: ID_TOKEN_TTL,
      Interaction: INTERACTION_TTL,
      // Absolute, not sliding: a session ends at the same moment however often it is used.
      Session: (_ctx, session) => absoluteRemaining(settings, session.loginTs),
      Grant: settings.refreshTokenAbsoluteTtlSeconds,
      RefreshToken: (_ctx, token) => refreshTtl(settings, token.authTime ?? token.iat),
    },
    rotateRefreshToken: true,
    issueRefreshToken: (_ctx, client) => Promise.resolve(client.grantTypeAllowed('refresh_token')),
    allowOmittingSingleRegisteredRedirectUri: false,
    conformIdTokenClaims: true,
    routes: { ...ROUTES },
    interactions: {
      url: (_ctx, interaction) => `${settings.mountPath}/interaction/${interaction.uid}`,
      policy: interactionPolicyWithMfa(settings, findAccount),
    },
    extraTokenClaims: async (ctx, token) => {
      const accountId = 'accountId' in token ? token.accountId : undefined;
      if (accountId === undefined) return undefined;
      const account = await findAccount(ctx, accountId);
      const source = ctx.oidc.entities.AuthorizationCode ?? ctx.oidc.entities.RefreshToken;
      return {
        groups: [...(account?.groups ?? [])],
        // The token's family: gateways refuse it as soon as the grant is revoked (see revocations.ts).
        ...('grantId' in token ? { gid: token.grantId } : {}),
        ...(source?.amr === undefined ? {} : { amr: source.amr }),
        ...(source?.acr === undefined ? {} : { acr: source.acr }),
        ...(source?.authTime === undefined ? {} : { auth_time: source.authTime }),
      };
    },
    findAccount: async (ctx, sub) => {
      const account = await findAccount(ctx, sub);
      if (account === undefined || account.disabled) return undefined;
      return {
        accountId: account.id,
        claims: () => ({
          sub: account.id,
          preferred_username: account.username,
          ...(account.displayName === null ? {} : { name: account.displayName }),
          ...(account.email === null ? {} : { email: account.email }),
          groups: [...account.groups],
        }),
      };
    },
    renderError: (ctx, out) => {
      ctx.type = 'html';
      ctx.body = renderErrorPage(out.error, out.error_description);
    },
  };

  const provider = new Provider(settings.issuer, configuration);
  // The gateway terminates TLS and is the only peer that can reach identity (mTLS), so its
  // X-Forwarded-* fields are the truth about the client's scheme, host and address.
  provider.proxy = true;
  // Client secrets are stored as SHA-256 hashes; compare the presented one against the hash.
  provider.Client.prototype.compareClientSecret = function compareHashedSecret(
    this: { clientSecret?: string },
    actual: string,
  ) {
    return clientSecretMatches(this.clientSecret ?? '', actual);
  };
  // Every ID token carries `sid` (the session as this client knows it; claims_supported lists it),
  // not only for clients registered for back-channel logout, which identity does not offer.
  provider.Client.prototype.includeSid = () => true;
  // JWT access tokens: usable at userinfo when granted `openid`, introspectable and revocable.
  const fromJwt = ownAccessTokens(provider, options.jwks);
  addUserinfoAudience(provider, userinfoAudience(settings));
  findOwnAccessTokens(provider, fromJwt, userinfoAudience(settings));
  conformEndpoints(provider, { fromJwt, revocations: options.revocations, introspectionAllowed });
  return provider;
}

/**
 * oidc-provider's default prompts plus one login check: an existing session that was opened with
 * a password alone does not satisfy a request that needs MFA (a client with `requireMfa`, a user
 * in an MFA group, or the MFA class asked for in `acr_values`) — the user signs in again with a
 * second factor. Without it a password-only session would yield tokens for the console.
 */
function interactionPolicyWithMfa(
  settings: IdentitySettings,
  findAccount: (ctx: object, id: string) => Promise<AccountView | undefined>,
): interactionPolicy.DefaultPolicy {
  const policy = interactionPolicy.base();
  policy.get('login')?.checks.add(
    new interactionPolicy.Check('mfa_required', 'multi-factor authentication is required', async (ctx) => {
      const { session, params, client } = ctx.oidc;
      if (session?.accountId === undefined || session.acr === ACR.mfa)
        return interactionPolicy.Check.NO_NEED_TO_PROMPT;
      const acrValues = params?.['acr_values'];
      const asked = typeof acrValues === 'string' && acrValues.split(' ').includes(ACR.mfa);
      const byClient = client?.metadata()['rampart_require_mfa'] === true;
      const account = asked || byClient ? undefined : await findAccount(ctx, session.accountId);
      const byGroup = account?.groups.some((group) => settings.mfaRequiredGroups.includes(group)) ?? false;
      return asked || byClient || byGroup
        ? interactionPolicy.Check.REQUEST_PROMPT
        : interactionPolicy.Check.NO_NEED_TO_PROMPT;
    }),
  );
  return policy;
}

/** Seconds left of the absolute lifetime counted from the sign-in (the whole lifetime before one). */
function absoluteRemaining(settings: IdentitySettings, loginTs: number | undefined): number {
  const absolute = settings.refreshTokenAbsoluteTtlSeconds;
  if (loginTs === undefined) return absolute;
  return Math.max(1, loginTs + absolute - Math.floor(Date.now() / 1000));
}

/** Idle lifetime, never past the absolute lifetime counted from the original sign-in. */
function refreshTtl(settings: IdentitySettings, since: number | undefined): number {
  const idle = settings.refreshTokenIdleTtlSeconds;
  if (since === undefined) return idle;
  const left = since + settings.refreshTokenAbsoluteTtlSeconds - Math.floor(Date.now() / 1000);
  return Math.max(1, Math.min(idle, left));
}

/**
 * RFC 7662 §4: a client may introspect only its own tokens, unless it is registered as a resource
 * server (`rampart_resource_server`, e.g. the gateway's introspection client). Public clients never.
 */
function introspectionAllowed(
  _ctx: KoaContextWithOIDC,
  client: Client,
  token: AccessToken | ClientCredentials | RefreshToken,
): boolean {
  if (client.clientAuthMethod === 'none') return false;
  return token.clientId === client.clientId || client.metadata()['rampart_resource_server'] === true;
}
