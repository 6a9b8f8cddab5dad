import type { ClientMetadata } from 'oidc-provider';
import type { IdentitySettings } from '../settings.ts';

type ClientConfig = IdentitySettings['clients'][number];

/** Signing algorithms accepted from clients (private_key_jwt, DPoP, request objects). */
export const ASYMMETRIC_ALGS = ['ES256', 'EdDSA', 'PS256'] as const;

/**
 * Algorithms of ID tokens (and signed userinfo): ES256 by default; RS256 for clients registered
 * for it (`idTokenSignedResponseAlg: RS256`), the one OpenID Connect requires every provider to
 * offer (Core §15.1). Identity keeps a signing key of each (keys/signing-keys.ts).
 */
export const ID_TOKEN_ALGS = ['ES256', 'RS256'] as const;

/**
 * The oidc-provider metadata of a client declared in rampart.yaml. Each client gets exactly the
 * grants it lists: no implicit flow, no password grant, `code` as the only response type.
 * Confidential clients authenticate with a secret whose hash `secretHashes` holds (set by
 * `rampart up`); public clients with PKCE alone.
 *
 * @example
 * clientMetadata({ id: 'shop-cli', type: 'confidential', grants: ['client_credentials'] }, 'sha256:…');
 */
export function clientMetadata(client: ClientConfig, secretHash: string | undefined): ClientMetadata {
  const confidential = client.type === 'confidential';
  if (!confidential && client.resourceServer === true) {
    throw new TypeError(
      `client ${client.id} is public and cannot be a resourceServer: introspection needs an authenticated client; make it confidential`,
    );
  }
  if (confidential && secretHash === undefined) {
    throw new TypeError(
      `client ${client.id} is confidential but has no secret: rampart up generates one in .rampart/clients/${client.id}.secret`,
    );
  }
  const usesCode = client.grants.includes('authorization_code');
  const redirectUris = client.redirectUris ?? [];
  return {
    client_id: client.id,
    ...(confidential ? { client_secret: secretHash, token_endpoint_auth_method: 'client_secret_basic' } : {}),
    ...(confidential ? {} : { token_endpoint_auth_method: 'none' }),
    grant_types: [...client.grants],
    response_types: usesCode ? ['code'] : [],
    redirect_uris: usesCode ? [...redirectUris] : [],
    // `web`: redirect URIs match exactly, port included. (`native` would let any loopback port
    // through, as RFC 8252 §7.3 requires for native apps; rampart.yaml clients are not those.)
    application_type: 'web',
    // Exact match, like redirect URIs (RP-Initiated Logout §3: registered values only).
    post_logout_redirect_uris: usesCode ? [...(client.postLogoutRedirectUris ?? [])] : [],
    scope: (client.scopes ?? []).join(' '),
    id_token_signed_response_alg: client.idTokenSignedResponseAlg ?? 'ES256',
    rampart_require_mfa: client.requireMfa === true,
    rampart_first_party: true,
    // May introspect every token (RFC 7662 §4), not only its own: an authenticated client only.
    rampart_resource_server: confidential && client.resourceServer === true,
  };
}

/** The client id of `rampart admin login`, one of the two clients that may obtain admin API tokens. */
export const ADMIN_CLI_CLIENT_ID = 'rampart-cli';

/** The client id of the web console the gateway serves at `/console/`, the other one. */
export const CONSOLE_CLIENT_ID = 'rampart-console';

/** Where the console comes back to after a sign-in: exactly this, on the gateway's public origin. */
export const CONSOLE_CALLBACK_PATH = '/console/callback';

/** Where the console is, and where a sign-out at identity may send the browser back to. */
export const CONSOLE_HOME_PATH = '/console/';

/**
 * The built-in client of `rampart admin login`: a native public client (RFC 8252) — authorization
 * code with PKCE, redirected back only to the CLI's own loopback listener
 * (`http://127.0.0.1:<any port>/callback`, §7.3), no refresh token (an admin signs in again when the
 * access token expires), MFA always required, and allowed to request the admin API audience (like
 * the console's, {@link consoleClient}).
 */
export function adminCliClient(): ClientMetadata {
  return {
    client_id: ADMIN_CLI_CLIENT_ID,
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code'],
    response_types: ['code'],
    redirect_uris: ['http://127.0.0.1/callback'],
    application_type: 'native',
    scope: 'openid profile admin',
    id_token_signed_response_alg: 'ES256',
    rampart_require_mfa: true,
    rampart_first_party: true,
    rampart_admin_client: true,
  };
}

/**
 * The built-in client of the web console (`apps/console`, served by the gateway at `/console/`): a
 * browser-based public client (OAuth 2.0 for Browser-Based Apps, §6.3: no backend holds a
 * secret) — authorization code with PKCE (S256, which identity always requires), redirected back
 * only to `<gateway origin>/console/callback`, matched exactly (`web`), MFA always required, and
 * allowed the admin API audience like `rampart-cli`.
 *
 * No refresh token: the console keeps its tokens in memory only, so a refresh token would only be
 * one more bearer secret an injected script could take away and use for the refresh token's whole
 * life (hours), where an access token is minutes. When the access token expires the console sends
 * the browser back through identity, whose own session (its cookie, path `/auth`, out of the
 * console's reach) signs the person in again without a password as long as that session lasts —
 * so the console's session is the access token's lifetime and ends with identity's.
 *
 * @example
 * consoleClient('https://127.0.0.1:8443').redirect_uris; // ['https://127.0.0.1:8443/console/callback']
 */
export function consoleClient(gatewayOrigin: string): ClientMetadata {
  return {
    client_id: CONSOLE_CLIENT_ID,
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code'],
    response_types: ['code'],
    redirect_uris: [`${gatewayOrigin}${CONSOLE_CALLBACK_PATH}`],
    post_logout_redirect_uris: [`${gatewayOrigin}${CONSOLE_HOME_PATH}`],
    application_type: 'web',
    scope: 'openid profile admin',
    id_token_signed_response_alg: 'ES256',
    rampart_require_mfa: true,
    rampart_first_party: true,
    rampart_admin_client: true,
  };
}

/** The clients identity always registers, whatever rampart.yaml says: the admin CLI's and the console's. */
export function builtinClients(gatewayOrigin: string): ClientMetadata[] {
  return [adminCliClient(), consoleClient(gatewayOrigin)];
}
