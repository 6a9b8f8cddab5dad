import type { IdentityContext } from '../app.ts';
import { AdminError } from './admin-error.ts';
import type { AdminPrincipal } from './authenticate.ts';
import type { BodySpec } from './validate-body.ts';

/** The HTTP methods the admin API uses. */
export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

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

/** A handler's answer: a status and a JSON body (none for 204). */
export interface Reply {
  readonly status: number;
  readonly body?: unknown;
}

/** One operation of the admin API, as the dispatcher sees it. */
export interface Route {
  readonly method: Method;
  /** OpenAPI path template below `/admin`, e.g. `/users/{id}`. */
  readonly path: string;
  readonly query: readonly string[];
  readonly body: { readonly schema: string; readonly required: boolean } | undefined;
  run(call: AdminCall<unknown>): Promise<Reply>;
}

/** What a resource module writes to declare an operation (see {@link route}). */
export interface RouteDefinition<B> {
  readonly method: Method;
  readonly path: string;
  readonly query?: readonly string[];
  readonly body?: BodySpec<B>;
  readonly handle: (call: AdminCall<B>) => Promise<Reply>;
}

/**
 * Declares an operation. The body, when the route has a spec, is validated against its schema
 * before `handle` runs; a route without one refuses any body.
 *
 * @example
 * route({ method: 'DELETE', path: '/groups/{name}', handle: async (call) => ({ status: 204 }) });
 */
export function route<B = undefined>(definition: RouteDefinition<B>): Route {
  const spec = definition.body;
  return {
    method: definition.method,
    path: definition.path,
    query: definition.query ?? [],
    body: spec === undefined ? undefined : { schema: spec.schema, required: spec.required },
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
