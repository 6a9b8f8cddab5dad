import type { IdentityContext } from '../app.ts';
import { AdminError } from './admin-error.ts';
import type { AdminPrincipal } from './authenticate.ts';
import type { RequestSchemaName, ResponseSchemaName } from './openapi-schemas.ts';
import type { JsonSchema } from './openapi-types.ts';
import type { BodySpec } from './validate-body.ts';

/** The HTTP methods the admin API uses. */
export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** The document's groups of operations (described in `openapi.ts`). */
export type AdminTag = 'users' | 'groups' | 'clients' | 'keys';

/** The success statuses the admin API answers. */
export type SuccessStatus = 200 | 201 | 204;

/** Refusals an operation documents beyond those every operation (or every body) can answer. */
export type OwnRefusal = '404' | '409';

/** The names of a path template's parameters: `/users/{id}/sessions/{sessionId}` → `'id' | 'sessionId'`. */
export type PathParameterNames<P extends string> = P extends `${string}{${infer Name}}${infer Rest}`
  ? Name | PathParameterNames<Rest>
  : never;

/** What the document says of one path or query parameter. */
export interface ParameterDoc {
  readonly description: string;
  readonly schema: JsonSchema;
}

/** What a route's handler gets: the checked caller, path parameters, query and validated body. */
export interface AdminCall<B> {
  readonly identity: IdentityContext;
  readonly admin: AdminPrincipal;
  /** Decoded path parameters, by the names in the route's path template. */
  readonly params: Readonly<Record<string, string>>;
  /** Only the parameters the route declares (others are refused before the handler runs). */
  readonly query: URLSearchParams;
  readonly body: B;
}

/** A handler's answer: the operation's success status and a JSON body (none for 204). */
export interface Reply<S extends number = number> {
  readonly status: S;
  readonly body?: unknown;
}

/** The success answer of an operation, as documented: its status and body schema (none for 204). */
export interface Success<S extends SuccessStatus = SuccessStatus> {
  readonly status: S;
  readonly schema?: ResponseSchemaName;
  readonly description: string;
}

/**
 * One operation of the admin API: the single declaration that the dispatcher (`admin-api.ts`)
 * routes by and the OpenAPI document (`openapi.ts`) is generated from.
 */
export interface Route {
  readonly method: Method;
  /** OpenAPI path template below `/admin`, e.g. `/users/{id}`. */
  readonly path: string;
  readonly operationId: string;
  readonly tag: AdminTag;
  readonly summary: string;
  readonly description: string | undefined;
  /** One entry per `{name}` of the path template, in the template's order. */
  readonly pathParameters: Readonly<Record<string, ParameterDoc>>;
  /** The query parameters the operation takes; any other is refused (400). */
  readonly query: Readonly<Record<string, ParameterDoc>>;
  readonly body: { readonly schema: RequestSchemaName; readonly required: boolean } | undefined;
  readonly success: Success;
  readonly refusals: readonly OwnRefusal[];
  run(call: AdminCall<unknown>): Promise<Reply>;
}

/** Each `{name}` of a path template must be described; a template without one takes no `parameters`. */
type PathParameterDocs<P extends string> = [PathParameterNames<P>] extends [never]
  ? { readonly parameters?: undefined }
  : { readonly parameters: { readonly [K in PathParameterNames<P>]: ParameterDoc } };

/** What a resource module writes to declare an operation (see {@link route}). */
export type RouteDefinition<B, P extends string, S extends SuccessStatus> = PathParameterDocs<P> & {
  readonly method: Method;
  readonly path: P;
  readonly operationId: string;
  readonly tag: AdminTag;
  readonly summary: string;
  readonly description?: string;
  readonly query?: Readonly<Record<string, ParameterDoc>>;
  readonly body?: BodySpec<B>;
  readonly success: Success<S>;
  /** The operation's own refusals: 404 (names nothing), 409 (a conflict). */
  readonly refusals?: readonly OwnRefusal[];
  /** Answers with exactly the documented success status (checked by the compiler). */
  readonly handle: (call: AdminCall<B>) => Promise<Reply<NoInfer<S>>>;
};

/**
 * Declares an operation, once: how it is routed, documented and run. The body, when the route has
 * a spec, is validated against its schema before `handle` runs; a route without one refuses any body.
 *
 * @example
 * route({
 *   method: 'DELETE', path: '/widgets/{name}', operationId: 'deleteWidget', tag: 'groups',
 *   summary: 'Delete a widget', parameters: { name: widgetName },
 *   success: { status: 204, description: 'Deleted.' }, refusals: ['404'],
 *   handle: async (call) => ({ status: 204 }),
 * });
 */
export function route<B = undefined, P extends string = string, S extends SuccessStatus = SuccessStatus>(
  definition: RouteDefinition<B, P, S>,
): Route {
  const spec = definition.body;
  const { success } = definition;
  if ((success.status === 204) !== (success.schema === undefined)) {
    throw new TypeError(`${definition.operationId}: a 204 has no body schema, any other status has one`);
  }
  const names = [...definition.path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1] ?? '');
  const described: Readonly<Record<string, ParameterDoc>> = definition.parameters ?? {};
  const pathParameters: Record<string, ParameterDoc> = {};
  for (const name of names) {
    const doc = described[name];
    if (doc === undefined) throw new TypeError(`${definition.operationId}: describe the {${name}} parameter`);
    pathParameters[name] = doc;
  }
  if (Object.keys(described).length !== names.length) {
    throw new TypeError(`${definition.operationId}: parameters must be exactly those of ${definition.path}`);
  }
  return {
    method: definition.method,
    path: definition.path,
    operationId: definition.operationId,
    tag: definition.tag,
    summary: definition.summary,
    description: definition.description,
    pathParameters,
    query: definition.query ?? {},
    body: spec === undefined ? undefined : { schema: spec.schema, required: spec.required },
    success,
    refusals: definition.refusals ?? [],
    run: (call) => {
      if (spec === undefined) {
        if (call.body !== undefined)
          throw new AdminError(400, 'invalid_request', 'body: this operation takes none.');
        return definition.handle(call as AdminCall<B>);
      }
      return definition.handle({ ...call, body: spec.parse(call.body) });
    },
  };
}

/** A path parameter the route template declares (a programmer error if it does not). */
export function param(call: AdminCall<unknown>, name: string): string {
  const value = call.params[name];
  if (value === undefined) throw new TypeError(`route has no {${name}} parameter`);
  return value;
}

/** The outcome of {@link matchRoute}: a route with its decoded path parameters, or why there is none. */
export type RouteMatch =
  | { readonly kind: 'found'; readonly route: Route; readonly params: Readonly<Record<string, string>> }
  | { readonly kind: 'not_found' }
  | { readonly kind: 'method_not_allowed'; readonly allow: readonly Method[] };

/**
 * Finds the route for a method and a path below `/admin`. Segments are percent-decoded one by
 * one (an encoded `/` stays inside its segment); empty segments, a trailing slash and invalid
 * encodings match nothing.
 */
export function matchRoute(routes: readonly Route[], method: string, path: string): RouteMatch {
  const segments = splitPath(path);
  if (segments === undefined) return { kind: 'not_found' };
  const allow: Method[] = [];
  for (const candidate of routes) {
    const params = matchTemplate(candidate.path, segments);
    if (params === undefined) continue;
    if (candidate.method === method) return { kind: 'found', route: candidate, params };
    allow.push(candidate.method);
  }
  return allow.length === 0 ? { kind: 'not_found' } : { kind: 'method_not_allowed', allow };
}

function splitPath(path: string): string[] | undefined {
  if (!path.startsWith('/')) return undefined;
  const raw = path.slice(1).split('/');
  if (raw.some((segment) => segment === '')) return undefined;
  try {
    return raw.map((segment) => decodeURIComponent(segment));
  } catch {
    return undefined;
  }
}

function matchTemplate(template: string, segments: readonly string[]): Record<string, string> | undefined {
  const parts = template.slice(1).split('/');
  if (parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, part] of parts.entries()) {
    const segment = segments[index] ?? '';
    if (part.startsWith('{') && part.endsWith('}')) params[part.slice(1, -1)] = segment;
    else if (part !== segment) return undefined;
  }
  return params;
}
