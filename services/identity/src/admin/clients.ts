import { errors, type ClientMetadata } from 'oidc-provider';
import type { IdentityContext } from '../app.ts';
import { builtinClients, clientMetadata } from '../oidc/client-metadata.ts';
import { generateClientSecret, hashClientSecret } from '../oidc/client-secrets.ts';
import { AdminError, invalidRequest, notFound } from './admin-error.ts';
import { audit } from './audit.ts';
import { ClientRegistry, type ApiClient } from './client-registry.ts';
import { checkClientRules, clientMetadataOf, type CreateClientBody } from './client-rules.ts';
import { CLIENT_ID_PATTERN } from './openapi-schemas.ts';
import { encodeCursor, pageRequest, pagingQuery } from './pagination.ts';
import { param, route, type AdminCall, type ParameterDoc, type Route } from './route.ts';
import { jsonBody } from './validate-body.ts';

type Source = 'config' | 'builtin' | 'api';

/** The path parameter `{id}`. */
const byId: Readonly<Record<'id', ParameterDoc>> = {
  id: { description: 'The client id.', schema: { type: 'string' } },
};

/** A client as the admin API shows it: never a secret or its hash. */
interface ClientView {
  readonly clientId: string;
  readonly source: Source;
  readonly type: 'confidential' | 'public';
  readonly grants: readonly string[];
  readonly redirectUris: readonly string[];
  readonly postLogoutRedirectUris: readonly string[];
  readonly scopes: readonly string[];
  readonly requireMfa: boolean;
  readonly firstParty: boolean;
  readonly authMethod: string;
  readonly idTokenSignedResponseAlg: string;
  readonly resourceServer: boolean;
  readonly disabled: boolean;
  readonly createdAt: string | null;
  readonly updatedAt: string | null;
}

/** Stands in for a rampart.yaml client's secret hash: the view never shows it anyway. */
const HIDDEN_SECRET = 'sha256:';

function clientView(metadata: ClientMetadata, source: Source, api?: ApiClient): ClientView {
  const authMethod = metadata.token_endpoint_auth_method ?? 'client_secret_basic';
  return {
    clientId: metadata.client_id,
    source,
    type: authMethod === 'none' ? 'public' : 'confidential',
    grants: [...(metadata.grant_types ?? [])],
    redirectUris: [...(metadata.redirect_uris ?? [])],
    postLogoutRedirectUris: [...(metadata.post_logout_redirect_uris ?? [])],
    scopes: (metadata.scope ?? '').split(' ').filter((scope) => scope !== ''),
    requireMfa: metadata['rampart_require_mfa'] === true,
    firstParty: metadata['rampart_first_party'] === true,
    authMethod,
    idTokenSignedResponseAlg: metadata.id_token_signed_response_alg ?? 'ES256',
    resourceServer: metadata['rampart_resource_server'] === true,
    disabled: api?.disabled === true,
    createdAt: api === undefined ? null : new Date(api.createdAt).toISOString(),
    updatedAt: api === undefined ? null : new Date(api.updatedAt).toISOString(),
  };
}

/** The read-only clients: rampart.yaml's and the built-in ones (`rampart admin login`, the console), by id. */
function staticClients(identity: IdentityContext): ClientView[] {
  const { settings } = identity;
  return [
    ...settings.clients.map((client) =>
      clientView(
        clientMetadata(client, client.type === 'confidential' ? HIDDEN_SECRET : undefined),
        'config',
      ),
    ),
    ...builtinClients(settings.apiAudience).map((client) => clientView(client, 'builtin')),
  ].sort((a, b) => (a.clientId < b.clientId ? -1 : 1));
}

function registryOf(identity: IdentityContext): ClientRegistry {
  return new ClientRegistry(identity.store, identity.revocations);
}

function readOnly(): AdminError {
  return new AdminError(
    409,
    'read_only',
    'This client is declared in rampart.yaml (or built in): change it there.',
  );
}

/** The API client named by `{id}`; 409 for a static one, 404 if there is none. */
async function loadApiClient(call: AdminCall<unknown>, registry: ClientRegistry): Promise<ApiClient> {
  const id = param(call, 'id');
  if (staticClients(call.identity).some((client) => client.clientId === id)) throw readOnly();
  const client = CLIENT_ID_PATTERN.test(id) ? await registry.find(id) : undefined;
  if (client === undefined) throw notFound('client');
  return client;
}

/** Refuses metadata oidc-provider would refuse (unsupported scope, bad key set…), before storing it. */
async function validateWithProvider(identity: IdentityContext, metadata: ClientMetadata): Promise<void> {
  try {
    await identity.provider().Client.validate(metadata);
  } catch (error) {
    if (error instanceof errors.InvalidClientMetadata || error instanceof errors.InvalidRedirectUri) {
      throw invalidRequest(`client metadata: ${error.error_description ?? 'is invalid'}.`);
    }
    throw error;
  }
}

/**
 * Clients (applications): list (rampart.yaml's and the console's read-only, then those created
 * here, by id), get, create (a generated secret returned once, or `private_key_jwt` keys), rotate
 * a secret (returned once; the old one stops working at once), disable or enable, and delete (with
 * its grants and refresh tokens). Disabling and deleting revoke at the gateways every access token
 * already issued to the client. Events `admin.client_created`, `admin.client_secret_rotated`,
 * `admin.client_updated` (reason `client_disabled` or `client_enabled`), `admin.client_deleted`.
 */
export const clientRoutes: readonly Route[] = [
  route({
    method: 'GET',
    path: '/clients',
    operationId: 'listClients',
    tag: 'clients',
    summary: 'List clients by id (rampart.yaml, built-in and API-created)',
    query: pagingQuery,
    success: { status: 200, schema: 'ClientList', description: 'A page of clients.' },
    handle: async ({ identity, query }) => {
      const { limit, after } = pageRequest(query);
      const fixed = staticClients(identity).filter((client) => after === null || client.clientId > after);
      const created = (await registryOf(identity).list(after, limit + 1)).map((client) =>
        clientView(client.metadata, 'api', client),
      );
      const merged = [...fixed, ...created].sort((a, b) => (a.clientId < b.clientId ? -1 : 1));
      const items = merged.slice(0, limit);
      const last = items.at(-1);
      const next = merged.length > limit && last !== undefined ? encodeCursor(last.clientId) : null;
      return { status: 200, body: { items, next } };
    },
  }),
  route({
    method: 'GET',
    path: '/clients/{id}',
    operationId: 'getClient',
    tag: 'clients',
    summary: 'Get a client',
    parameters: byId,
    success: { status: 200, schema: 'Client', description: 'The client.' },
    refusals: ['404'],
    handle: async (call) => {
      const id = param(call, 'id');
      const fixed = staticClients(call.identity).find((client) => client.clientId === id);
      if (fixed !== undefined) return { status: 200, body: fixed };
      const client = await loadApiClient(call, registryOf(call.identity));
      return { status: 200, body: clientView(client.metadata, 'api', client) };
    },
  }),
  route({
    method: 'POST',
    path: '/clients',
    operationId: 'createClient',
    tag: 'clients',
    summary: 'Create a client',
    description: 'A confidential client without `jwks` gets a generated secret (256 bits), returned once.',
    success: { status: 201, schema: 'ClientCreated', description: 'The client (and its secret).' },
    refusals: ['409'],
    body: jsonBody<CreateClientBody>('CreateClient'),
    handle: async ({ identity, admin, body }) => {
      checkClientRules(body);
      if (staticClients(identity).some((client) => client.clientId === body.clientId)) {
        throw new AdminError(409, 'client_exists', 'A client with that id exists.');
      }
      const secret =
        body.type === 'confidential' && body.jwks === undefined ? generateClientSecret() : undefined;
      const secretHash = secret === undefined ? undefined : hashClientSecret(secret);
      const metadata = clientMetadataOf(body, secretHash);
      await validateWithProvider(identity, metadata);
      const created = await registryOf(identity).insert(metadata, secretHash ?? null);
      audit(identity.events, admin, 'admin.client_created');
      const client = clientView(created.metadata, 'api', created);
      return { status: 201, body: secret === undefined ? { client } : { client, clientSecret: secret } };
    },
  }),
  route({
    method: 'POST',
    path: '/clients/{id}/secret',
    operationId: 'rotateClientSecret',
    tag: 'clients',
    summary: "Replace an API-created client's secret (the old one stops working at once)",
    parameters: byId,
    success: { status: 200, schema: 'ClientSecret', description: 'The new secret, shown once.' },
    refusals: ['404', '409'],
    body: jsonBody<Record<string, never>>('Empty', false),
    handle: async (call) => {
      const registry = registryOf(call.identity);
      const client = await loadApiClient(call, registry);
      const secret = generateClientSecret();
      if (!(await registry.rotateSecret(client.clientId, hashClientSecret(secret)))) {
        throw new AdminError(409, 'no_secret', 'This client does not authenticate with a secret.');
      }
      audit(call.identity.events, call.admin, 'admin.client_secret_rotated');
      return { status: 200, body: { clientSecret: secret } };
    },
  }),
  route({
    method: 'PATCH',
    path: '/clients/{id}',
    operationId: 'updateClient',
    tag: 'clients',
    summary: 'Disable or enable an API-created client',
    description:
      'Disabling deletes its grants and refresh tokens and makes the gateways refuse, within a second, ' +
      'every access token already issued to it; its registration and secret stay, for enabling it again.',
    parameters: byId,
    body: jsonBody<{ readonly disabled: boolean }>('UpdateClient'),
    success: { status: 200, schema: 'Client', description: 'The client as it now is.' },
    refusals: ['404', '409'],
    handle: async (call) => {
      const registry = registryOf(call.identity);
      const { clientId, disabled: before } = await loadApiClient(call, registry);
      const updated = await registry.setDisabled(clientId, call.body.disabled);
      if (updated === undefined) throw notFound('client');
      if (updated.disabled !== before) {
        const change = updated.disabled ? 'client_disabled' : 'client_enabled';
        audit(call.identity.events, call.admin, 'admin.client_updated', change);
      }
      return { status: 200, body: clientView(updated.metadata, 'api', updated) };
    },
  }),
  route({
    method: 'DELETE',
    path: '/clients/{id}',
    operationId: 'deleteClient',
    tag: 'clients',
    summary: 'Delete an API-created client (with its grants and refresh tokens)',
    parameters: byId,
    success: { status: 204, description: 'Deleted.' },
    refusals: ['404', '409'],
    handle: async (call) => {
      const registry = registryOf(call.identity);
      const client = await loadApiClient(call, registry);
      if (!(await registry.remove(client.clientId))) throw notFound('client');
      audit(call.identity.events, call.admin, 'admin.client_deleted');
      return { status: 204 };
    },
  }),
];
