import type { FastifyReply, FastifyRequest, RouteGenericInterface } from 'fastify';
import type { Principal } from './principal.ts';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A JSON Schema object (draft-07 keywords; `format` as in ajv-formats). */
export type JsonSchema = Readonly<Record<string, unknown>>;

/** What a route accepts: the same keys as a route's `schema` in rampart.yaml, plus `response`. */
export interface RouteSchema {
  readonly body?: JsonSchema;
  readonly query?: JsonSchema;
  readonly params?: JsonSchema;
  /**
   * Response schemas by status. Only the properties they declare are serialized, so a field
   * added to a returned object by mistake (a card number, a password hash) never leaves.
   */
  readonly response?: Readonly<Record<number, JsonSchema>>;
  /** Accepted request media types; default `application/json` only. */
  readonly contentTypes?: readonly string[];
  /** Largest accepted body; default 64 KiB. */
  readonly maxBodyBytes?: number;
}

/** A request that passed token verification: `principal` is always there. */
export type AuthenticatedRequest<G extends RouteGenericInterface = RouteGenericInterface> =
  FastifyRequest<G> & {
    readonly principal: Principal;
  };

interface RouteBase {
  readonly method: HttpMethod;
  /** `/orders/{id}` (as in rampart.yaml) or `/orders/:id`. */
  readonly url: string;
  readonly schema?: RouteSchema;
}

/**
 * A route that requires an internal token. For a route of this service in rampart.yaml, name only
 * `method` and `url`: the scopes are its policy's and the request schema is the route's (add
 * `schema.response` and anything rampart.yaml leaves out). `scopes` and a request schema that
 * differ from rampart.yaml's are refused. A route rampart.yaml does not declare is internal (for
 * other services only) and must name its `scopes` (`[]`: any token).
 */
export interface RouteDefinition<G extends RouteGenericInterface = RouteGenericInterface> extends RouteBase {
  readonly scopes?: readonly string[];
  /**
   * POST and PATCH only: refuse a request without an `Idempotency-Key` (400
   * `SDK_IDEMPOTENCY_KEY_MISSING`). Without it the key is still honoured when a client sends one.
   */
  readonly requireIdempotencyKey?: boolean;
  /** Returns the body to send (status 200), or sends through `reply` itself. May be async. */
  readonly handler: (request: AuthenticatedRequest<G>, reply: FastifyReply) => unknown;
}

/** A route anyone can call without a token. Use only where that is the point (health checks). */
export interface PublicRouteDefinition<
  G extends RouteGenericInterface = RouteGenericInterface,
> extends RouteBase {
  readonly handler: (request: FastifyRequest<G>, reply: FastifyReply) => unknown;
}

/** How a route is guarded; stored in Fastify's route config under `rampart`. */
export type RouteGuard =
  | {
      readonly auth: 'token';
      readonly scopes: readonly string[];
      readonly contentTypes: readonly string[];
      readonly requireIdempotencyKey: boolean;
    }
  | { readonly auth: 'public'; readonly contentTypes: readonly string[] };

/** Converts `{name}` path parameters (rampart.yaml syntax) to Fastify's `:name`. */
export function toFastifyPath(url: string): string {
  return url.replace(/\{([A-Za-z][A-Za-z0-9]*)\}/g, ':$1');
}

declare module 'fastify' {
  interface FastifyContextConfig {
    rampart?: RouteGuard;
  }
  interface FastifyRequest {
    /** The verified end user; `null` only on public routes. */
    principal: Principal | null;
  }
}
