import type { ClientMetadata } from 'oidc-provider';
import { ADMIN_SCOPE } from '../oidc/provider.ts';
import { invalidRequest } from './admin-error.ts';
import type { CLIENT_GRANTS } from './openapi-schemas.ts';

/** The body of `POST /clients` (schema `CreateClient`), already checked against its schema. */
export interface CreateClientBody {
  readonly clientId: string;
  readonly type: 'confidential' | 'public';
  readonly grants: readonly (typeof CLIENT_GRANTS)[number][];
  readonly redirectUris?: readonly string[];
  readonly postLogoutRedirectUris?: readonly string[];
  readonly scopes?: readonly string[];
  readonly idTokenSignedResponseAlg?: 'ES256' | 'RS256';
  readonly requireMfa?: boolean;
  readonly firstParty?: boolean;
  readonly jwks?: { readonly keys: readonly Readonly<Record<string, string>>[] };
}

/** Loopback hosts where plain http is allowed (RFC 8252 §7.3: IP literals, not `localhost`). */
const LOOPBACK = new Set(['127.0.0.1', '[::1]']);

/**
 * The rules a schema cannot say, for a client created through the API (RFC 9700):
 * - a public client has authorization_code (with PKCE, always required), may have refresh_token,
 *   never client_credentials, and no key set (it cannot keep a key);
 * - refresh_token only with authorization_code;
 * - redirect URIs exactly when authorization_code is granted, each https (or http on a loopback
 *   IP), absolute, without fragment, user info or wildcard, and written in normalized form (the
 *   provider compares them byte for byte, so what is registered is what must be sent); the same
 *   for post-logout redirect URIs, which only a client with authorization_code may have;
 * - never the `admin` scope (only the console may obtain admin tokens).
 * Throws a 400 naming the field.
 */
export function checkClientRules(body: CreateClientBody): void {
  const grants = new Set(body.grants);
  const code = grants.has('authorization_code');
  if (body.type === 'public') {
    if (grants.has('client_credentials'))
      throw invalidRequest('grants: a public client cannot use client_credentials.');
    if (!code) throw invalidRequest('grants: a public client needs authorization_code.');
    if (body.jwks !== undefined) throw invalidRequest('jwks: only for confidential clients.');
  }
  if (grants.has('refresh_token') && !code) {
    throw invalidRequest('grants: refresh_token needs authorization_code.');
  }
  const uris = body.redirectUris ?? [];
  if (code && uris.length === 0) throw invalidRequest('redirectUris: required with authorization_code.');
  if (!code && uris.length > 0) throw invalidRequest('redirectUris: only with authorization_code.');
  uris.forEach((uri, index) => {
    const problem = redirectUriProblem(uri);
    if (problem !== undefined) throw invalidRequest(`redirectUris[${index}]: ${problem}`);
  });
  const logoutUris = body.postLogoutRedirectUris ?? [];
  if (!code && logoutUris.length > 0)
    throw invalidRequest('postLogoutRedirectUris: only with authorization_code.');
  logoutUris.forEach((uri, index) => {
    const problem = redirectUriProblem(uri);
    if (problem !== undefined) throw invalidRequest(`postLogoutRedirectUris[${index}]: ${problem}`);
  });
  const adminAt = (body.scopes ?? []).indexOf(ADMIN_SCOPE);
  if (adminAt !== -1)
    throw invalidRequest(`scopes[${adminAt}]: the admin scope is reserved for the console.`);
}

/** Why a redirect URI is refused, or undefined if it is acceptable. */
export function redirectUriProblem(uri: string): string | undefined {
  if (uri.includes('#')) return 'must not have a fragment.';
  if (uri.includes('*')) return 'must not contain a wildcard.';
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return 'must be an absolute URL.';
  }
  if (url.username !== '' || url.password !== '') return 'must not contain user info.';
  if (url.protocol === 'http:') {
    if (!LOOPBACK.has(url.hostname)) return 'must use https (http only on 127.0.0.1 or [::1]).';
  } else if (url.protocol !== 'https:') {
    return 'must use https (http only on 127.0.0.1 or [::1]).';
  }
  if (url.href !== uri)
    return `must be written in normalized form (${url.href.length <= 200 ? url.href : 'as a URL parser writes it'}).`;
  return undefined;
}

/**
 * The oidc-provider metadata of a new API client: exactly its grants, `code` as the only response
 * type, ES256 ID tokens unless it asks for RS256, consent unless first-party. Confidential clients authenticate with
 * `private_key_jwt` when they registered keys, else with the secret whose hash is given.
 */
export function clientMetadataOf(body: CreateClientBody, secretHash: string | undefined): ClientMetadata {
  const code = body.grants.includes('authorization_code');
  const uris = body.redirectUris ?? [];
  const loopbackOnly = uris.length > 0 && uris.every((uri) => new URL(uri).protocol === 'http:');
  return {
    client_id: body.clientId,
    ...authentication(body, secretHash),
    grant_types: [...body.grants],
    response_types: code ? ['code'] : [],
    redirect_uris: [...uris],
    post_logout_redirect_uris: [...(body.postLogoutRedirectUris ?? [])],
    // Loopback redirect URIs are the native-app pattern of RFC 8252.
    application_type: loopbackOnly ? 'native' : 'web',
    scope: (body.scopes ?? []).join(' '),
    id_token_signed_response_alg: body.idTokenSignedResponseAlg ?? 'ES256',
    rampart_require_mfa: body.requireMfa === true,
    rampart_first_party: body.firstParty === true,
  };
}

function authentication(
  body: CreateClientBody,
  secretHash: string | undefined,
): Partial<Pick<ClientMetadata, 'token_endpoint_auth_method' | 'jwks' | 'client_secret'>> {
  if (body.type === 'public') return { token_endpoint_auth_method: 'none' };
  if (body.jwks !== undefined) {
    return {
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: body.jwks.keys.map((key) => ({ ...key })) },
    };
  }
  if (secretHash === undefined) throw new TypeError('a confidential client without keys needs a secret hash');
  return { token_endpoint_auth_method: 'client_secret_basic', client_secret: secretHash };
}
