import type { IdentitySettings } from '../settings.ts';
import { requestSchemas, responseSchemas, type RequestSchemaName } from './openapi-schemas.ts';
import type {
  JsonSchema,
  OpenApiDocument,
  OpenApiOperation,
  OpenApiParameter,
  OpenApiRef,
  OpenApiResponse,
} from './openapi-types.ts';

/** Where the document is served, below `/admin` (public: it describes the API, it holds no data). */
export const OPENAPI_PATH = '/openapi.json';

type ErrorStatus = '400' | '401' | '403' | '404' | '409' | '413' | '415';

const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
const json = (name: string) => ({ 'application/json': { schema: ref(name) } });

const pathParam = (
  name: string,
  description: string,
  schema: JsonSchema = { type: 'string' },
): OpenApiParameter => ({
  name,
  in: 'path',
  required: true,
  description,
  schema,
});
const userId = pathParam('id', 'The user id.', { type: 'string', format: 'uuid' });
const memberId = pathParam('userId', 'The user id.', { type: 'string', format: 'uuid' });
const groupName = pathParam('name', 'The group name.');
const clientId = pathParam('id', 'The client id.');
const paging: readonly OpenApiParameter[] = [
  {
    name: 'limit',
    in: 'query',
    description: 'Items per page (default 50).',
    schema: { type: 'integer', minimum: 1, maximum: 100 },
  },
  {
    name: 'after',
    in: 'query',
    description: 'The `next` cursor of the previous page.',
    schema: { type: 'string' },
  },
];

interface OperationSpec {
  readonly id: string;
  readonly tag: string;
  readonly summary: string;
  readonly description?: string;
  readonly parameters?: readonly OpenApiParameter[];
  readonly body?: { readonly schema: RequestSchemaName; readonly required: boolean };
  /** The success status and its body schema (none for 204). */
  readonly ok: readonly [status: string, schema: string | undefined, description: string];
  readonly errors?: readonly ErrorStatus[];
}

function operation(spec: OperationSpec): OpenApiOperation {
  const [status, schema, description] = spec.ok;
  const errors = new Set<ErrorStatus>(['401', '403', ...(spec.errors ?? [])]);
  if (spec.body !== undefined) ['400', '413', '415'].forEach((code) => errors.add(code as ErrorStatus));
  const responses: Record<string, OpenApiResponse | OpenApiRef> = {
    [status]: schema === undefined ? { description } : { description, content: json(schema) },
  };
  for (const code of [...errors].sort()) responses[code] = { $ref: `#/components/responses/${code}` };
  return {
    operationId: spec.id,
    tags: [spec.tag],
    summary: spec.summary,
    ...(spec.description === undefined ? {} : { description: spec.description }),
    ...(spec.parameters === undefined ? {} : { parameters: spec.parameters }),
    ...(spec.body === undefined
      ? {}
      : { requestBody: { required: spec.body.required, content: json(spec.body.schema) } }),
    responses,
  };
}

const errorResponse = (description: string): OpenApiResponse => ({ description, content: json('Error') });

/**
 * The admin API's OpenAPI 3.1 document. Request schemas are the ones the API enforces (compiled by
 * Ajv), and a test checks that every route is documented here and every documented one exists.
 *
 * @example
 * sendJson(res, 200, adminOpenApi(settings));
 */
export function adminOpenApi(settings: IdentitySettings): OpenApiDocument {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Rampart identity admin API',
      version: '1',
      description:
        'Users, groups, clients (applications), authenticators, sessions and signing keys. Every call ' +
        'needs an access token for this audience with the `admin` scope, obtained with MFA by a user with ' +
        'the `admin` role. Every change is recorded as a security event. One-time passwords and client ' +
        'secrets are returned once and stored only as hashes.',
    },
    servers: [{ url: `${settings.issuer}/admin` }],
    security: [{ adminToken: ['admin'] }],
    tags: [
      { name: 'users', description: 'Accounts, passwords, authenticators and sessions.' },
      { name: 'groups', description: 'Groups and their members.' },
      { name: 'clients', description: 'OAuth clients (applications).' },
      { name: 'keys', description: 'Token-signing keys.' },
      { name: 'meta', description: 'This document.' },
    ],
    paths: {
      '/openapi.json': {
        get: {
          operationId: 'getOpenApi',
          tags: ['meta'],
          summary: 'This document',
          security: [],
          responses: {
            '200': {
              description: 'The OpenAPI document.',
              content: { 'application/json': { schema: { type: 'object' } } },
            },
          },
        },
      },
      '/users': {
        get: operation({
          id: 'listUsers',
          tag: 'users',
          summary: 'List users by username',
          parameters: paging,
          ok: ['200', 'UserList', 'A page of users.'],
          errors: ['400'],
        }),
        post: operation({
          id: 'createUser',
          tag: 'users',
          summary: 'Create a user',
          description: 'Without a password, a one-time password is generated and returned once.',
          body: { schema: 'CreateUser', required: true },
          ok: ['201', 'UserCreated', 'The user (and its one-time password).'],
          errors: ['409'],
        }),
      },
      '/users/{id}': {
        get: operation({
          id: 'getUser',
          tag: 'users',
          summary: 'Get a user',
          parameters: [userId],
          ok: ['200', 'User', 'The user.'],
          errors: ['404'],
        }),
        patch: operation({
          id: 'updateUser',
          tag: 'users',
          summary: 'Change a user',
          description:
            'Disabling signs the user out everywhere. The last enabled admin cannot be disabled or demoted.',
          parameters: [userId],
          body: { schema: 'UpdateUser', required: true },
          ok: ['200', 'User', 'The changed user.'],
          errors: ['404', '409'],
        }),
        delete: operation({
          id: 'deleteUser',
          tag: 'users',
          summary: 'Delete a user (and sign them out everywhere)',
          parameters: [userId],
          ok: ['204', undefined, 'Deleted.'],
          errors: ['404', '409'],
        }),
      },
      '/users/{id}/password-reset': {
        post: operation({
          id: 'resetPassword',
          tag: 'users',
          summary: 'Replace the password with a one-time password (and sign out everywhere)',
          parameters: [userId],
          body: { schema: 'Empty', required: false },
          ok: ['200', 'OneTimePassword', 'The one-time password, shown once.'],
          errors: ['404'],
        }),
      },
      '/users/{id}/devices': {
        get: operation({
          id: 'listDevices',
          tag: 'users',
          summary: "A user's TOTP status and passkeys",
          parameters: [userId],
          ok: ['200', 'Devices', 'The authenticators.'],
          errors: ['404'],
        }),
      },
      '/users/{id}/devices/totp': {
        delete: operation({
          id: 'removeTotp',
          tag: 'users',
          summary: 'Remove the TOTP factor and its recovery codes',
          parameters: [userId],
          ok: ['204', undefined, 'Removed.'],
          errors: ['404'],
        }),
      },
      '/users/{id}/devices/passkeys/{credentialId}': {
        delete: operation({
          id: 'removePasskey',
          tag: 'users',
          summary: 'Remove one passkey',
          parameters: [userId, pathParam('credentialId', 'The credential id (base64url).')],
          ok: ['204', undefined, 'Removed.'],
          errors: ['404'],
        }),
      },
      '/users/{id}/sessions': {
        get: operation({
          id: 'listSessions',
          tag: 'users',
          summary: "A user's sign-in sessions",
          parameters: [userId, ...paging],
          ok: ['200', 'SessionList', 'A page of sessions.'],
          errors: ['400', '404'],
        }),
        delete: operation({
          id: 'revokeAllSessions',
          tag: 'users',
          summary: 'Sign the user out everywhere (sessions, grants, refresh tokens)',
          parameters: [userId],
          ok: ['200', 'SessionsRevoked', 'How many sessions were ended.'],
          errors: ['404'],
        }),
      },
      '/users/{id}/sessions/{sessionId}': {
        delete: operation({
          id: 'revokeSession',
          tag: 'users',
          summary: 'End one session (and the grants made through it)',
          parameters: [userId, pathParam('sessionId', 'The session id (sid).')],
          ok: ['204', undefined, 'Ended.'],
          errors: ['404'],
        }),
      },
      '/groups': {
        get: operation({
          id: 'listGroups',
          tag: 'groups',
          summary: 'List groups by name',
          parameters: paging,
          ok: ['200', 'GroupList', 'A page of groups.'],
          errors: ['400'],
        }),
        post: operation({
          id: 'createGroup',
          tag: 'groups',
          summary: 'Create a group',
          body: { schema: 'CreateGroup', required: true },
          ok: ['201', 'Group', 'The group.'],
          errors: ['409'],
        }),
      },
      '/groups/{name}': {
        delete: operation({
          id: 'deleteGroup',
          tag: 'groups',
          summary: 'Delete a group and its memberships',
          parameters: [groupName],
          ok: ['204', undefined, 'Deleted.'],
          errors: ['404'],
        }),
      },
      '/groups/{name}/members/{userId}': {
        put: operation({
          id: 'addGroupMember',
          tag: 'groups',
          summary: 'Add a user to a group',
          parameters: [groupName, memberId],
          ok: ['204', undefined, 'The user is a member.'],
          errors: ['404'],
        }),
        delete: operation({
          id: 'removeGroupMember',
          tag: 'groups',
          summary: 'Remove a user from a group',
          parameters: [groupName, memberId],
          ok: ['204', undefined, 'Removed.'],
          errors: ['404'],
        }),
      },
      '/clients': {
        get: operation({
          id: 'listClients',
          tag: 'clients',
          summary: 'List clients by id (rampart.yaml, built-in and API-created)',
          parameters: paging,
          ok: ['200', 'ClientList', 'A page of clients.'],
          errors: ['400'],
        }),
        post: operation({
          id: 'createClient',
          tag: 'clients',
          summary: 'Create a client',
          description:
            'A confidential client without `jwks` gets a generated secret (256 bits), returned once.',
          body: { schema: 'CreateClient', required: true },
          ok: ['201', 'ClientCreated', 'The client (and its secret).'],
          errors: ['409'],
        }),
      },
      '/clients/{id}': {
        get: operation({
          id: 'getClient',
          tag: 'clients',
          summary: 'Get a client',
          parameters: [clientId],
          ok: ['200', 'Client', 'The client.'],
          errors: ['404'],
        }),
        delete: operation({
          id: 'deleteClient',
          tag: 'clients',
          summary: 'Delete an API-created client (with its grants and refresh tokens)',
          parameters: [clientId],
          ok: ['204', undefined, 'Deleted.'],
          errors: ['404', '409'],
        }),
      },
      '/clients/{id}/secret': {
        post: operation({
          id: 'rotateClientSecret',
          tag: 'clients',
          summary: "Replace an API-created client's secret (the old one stops working at once)",
          parameters: [clientId],
          body: { schema: 'Empty', required: false },
          ok: ['200', 'ClientSecret', 'The new secret, shown once.'],
          errors: ['404', '409'],
        }),
      },
      '/keys': {
        get: operation({
          id: 'listKeys',
          tag: 'keys',
          summary: 'List signing keys (never key material)',
          ok: ['200', 'KeyList', 'The keys.'],
        }),
      },
      '/keys/rotate': {
        post: operation({
          id: 'rotateKeys',
          tag: 'keys',
          summary: 'Rotate: the published next key starts signing, a new next key is published',
          body: { schema: 'Empty', required: false },
          ok: ['200', 'KeysRotated', 'The keys after the rotation.'],
        }),
      },
    },
    components: {
      securitySchemes: {
        adminToken: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT (RFC 9068)',
          description: `An access token for the audience ${settings.issuer}/admin with the admin scope, obtained with MFA.`,
        },
      },
      schemas: { ...requestSchemas, ...responseSchemas },
      responses: {
        '400': errorResponse(
          'invalid_request (naming the field), or an account rule (weak_password, unknown_group…).',
        ),
        '401': errorResponse(
          'invalid_token: missing, expired or otherwise invalid token (with WWW-Authenticate).',
        ),
        '403': errorResponse('insufficient_scope, mfa_required or access_denied (not an enabled admin).'),
        '404': errorResponse('not_found.'),
        '409': errorResponse(
          'A conflict: username_taken, group_exists, client_exists, last_admin, read_only, no_secret.',
        ),
        '413': errorResponse('request_too_large: the body is over 64 KiB.'),
        '415': errorResponse('unsupported_media_type: the body must be application/json.'),
      },
    },
  };
}
