import type { IdentitySettings } from '../settings.ts';
import { requestSchemas, responseSchemas } from './openapi-schemas.ts';
import type {
  HttpMethod,
  JsonSchema,
  OpenApiDocument,
  OpenApiOperation,
  OpenApiParameter,
  OpenApiPathItem,
  OpenApiRef,
  OpenApiResponse,
} from './openapi-types.ts';
import type { AdminTag, Method, Route } from './route.ts';

/** Where the document is served, below `/admin` (public: it describes the API, it holds no data). */
export const OPENAPI_PATH = '/openapi.json';

/** The document's own operation: the one route outside the table, served before authentication. */
const documentOperation: OpenApiOperation = {
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
};

const tags: Readonly<Record<AdminTag | 'meta', string>> = {
  users: 'Accounts, passwords, authenticators and sessions.',
  groups: 'Groups and their members.',
  clients: 'OAuth clients (applications).',
  keys: 'Token-signing keys.',
  meta: 'This document.',
};

const methods: Readonly<Record<Method, HttpMethod>> = {
  GET: 'get',
  POST: 'post',
  PUT: 'put',
  PATCH: 'patch',
  DELETE: 'delete',
};

const errorResponses = {
  '400': 'invalid_request (naming the field), or an account rule (weak_password, unknown_group…).',
  '401': 'invalid_token: missing, expired or otherwise invalid token (with WWW-Authenticate).',
  '403': 'insufficient_scope, mfa_required or access_denied (not an enabled admin).',
  '404': 'not_found.',
  '409': 'A conflict: username_taken, group_exists, client_exists, last_admin, read_only, no_secret.',
  '413': 'request_too_large: the body is over 64 KiB.',
  '415': 'unsupported_media_type: the body must be application/json.',
} as const;
type ErrorStatus = keyof typeof errorResponses;

const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
const json = (name: string) => ({ 'application/json': { schema: ref(name) } });

/**
 * The refusals an operation can answer: every one 401/403 (before anything is read), one with a
 * query or a body 400, one with a body 413/415, and its own (404, 409).
 */
function refusalsOf(route: Route): ErrorStatus[] {
  const refusals = new Set<ErrorStatus>(['401', '403', ...route.refusals]);
  if (Object.keys(route.query).length > 0 || route.body !== undefined) refusals.add('400');
  if (route.body !== undefined) ['413', '415'].forEach((code) => refusals.add(code as ErrorStatus));
  return [...refusals].sort();
}

function operationOf(route: Route): OpenApiOperation {
  const { success } = route;
  const responses: Record<string, OpenApiResponse | OpenApiRef> = {
    [String(success.status)]:
      success.schema === undefined
        ? { description: success.description }
        : { description: success.description, content: json(success.schema) },
  };
  for (const code of refusalsOf(route)) responses[code] = { $ref: `#/components/responses/${code}` };
  const parameters: OpenApiParameter[] = [
    ...Object.entries(route.pathParameters).map(([name, doc]) => ({
      name,
      in: 'path' as const,
      required: true,
      ...doc,
    })),
    ...Object.entries(route.query).map(([name, doc]) => ({ name, in: 'query' as const, ...doc })),
  ];
  return {
    operationId: route.operationId,
    tags: [route.tag],
    summary: route.summary,
    ...(route.description === undefined ? {} : { description: route.description }),
    ...(parameters.length === 0 ? {} : { parameters }),
    ...(route.body === undefined
      ? {}
      : { requestBody: { required: route.body.required, content: json(route.body.schema) } }),
    responses,
  };
}

/** The `paths` of the document: one path item per template, one operation per route. */
function pathsOf(routes: readonly Route[]): Record<string, OpenApiPathItem> {
  const paths: Record<string, Partial<Record<HttpMethod, OpenApiOperation>>> = {
    [OPENAPI_PATH]: { get: documentOperation },
  };
  const ids = new Set<string>([documentOperation.operationId]);
  for (const route of routes) {
    const item = (paths[route.path] ??= {});
    const method = methods[route.method];
    if (item[method] !== undefined) throw new TypeError(`${route.method} ${route.path} is declared twice`);
    if (ids.has(route.operationId)) throw new TypeError(`operationId ${route.operationId} is used twice`);
    ids.add(route.operationId);
    item[method] = operationOf(route);
  }
  return paths;
}

/**
 * The admin API's OpenAPI 3.1 document, generated from the operation table (`routes`, the same
 * list the dispatcher routes by): paths, operations, parameters, request bodies and responses are
 * declared once, in the resource modules. Request schemas are the ones the API enforces (compiled
 * by Ajv).
 *
 * @example
 * sendJson(res, 200, adminOpenApi(settings, adminRoutes));
 */
export function adminOpenApi(settings: IdentitySettings, routes: readonly Route[]): OpenApiDocument {
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
    tags: Object.entries(tags).map(([name, description]) => ({ name, description })),
    paths: pathsOf(routes),
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
      responses: Object.fromEntries(
        Object.entries(errorResponses).map(([status, description]) => [
          status,
          { description, content: json('Error') },
        ]),
      ),
    },
  };
}
