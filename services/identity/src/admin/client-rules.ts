import type { ClientMetadata } from 'oidc-provider';
import { clientRuleProblems } from '@rampart/config';
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
  readonly resourceServer?: boolean;
  readonly requireMfa?: boolean;
  readonly firstParty?: boolean;
  readonly jwks?: { readonly keys: readonly Readonly<Record<string, string>>[] };
}

/**
 * The rules a schema cannot say, for a client created through the API: @rampart/config's
 * `clientRuleProblems`, the very rules `rampart check` applies to the clients of rampart.yaml (a
 * public client never has client_credentials; redirect URIs https or loopback http, exact, no
 * wildcard; an id shaped like a user's; …). The API refuses warnings too (`admin` among the scopes): nobody would read them.
 * Throws a 400 naming the field of the first problem.
 */
export function checkClientRules(body: CreateClientBody): void {
  const [problem] = clientRuleProblems({ ...body, id: body.clientId, hasKeys: body.jwks !== undefined });
  if (problem === undefined) return;
  const name = problem.field === 'id' ? 'clientId' : problem.field;
  const field = problem.index === undefined || problem.index < 0 ? name : `${name}[${problem.index}]`;
  throw invalidRequest(`${field}: ${problem.message}.`);
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
    rampart_resource_server: body.type === 'confidential' && body.resourceServer === true,
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
