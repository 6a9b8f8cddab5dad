import {
  routeRateLimits,
  type PolicyConfig,
  type RampartConfig,
  type RateLimitConfig,
  type RouteConfig,
} from '@rampart/config';

type Cors = NonNullable<NonNullable<RampartConfig['gateway']>['cors']>;
export type JsonSchema = Readonly<Record<string, unknown>>;

/** One route of rampart.yaml as the probe attacks it. */
export interface SurfaceRoute {
  readonly service: string;
  readonly method: string;
  /** The template as written, `/orders/{id}`. */
  readonly path: string;
  readonly params: readonly string[];
  /** True when the policy says `public: true`: no token needed. */
  readonly public: boolean;
  readonly scopes: readonly string[];
  readonly groups: readonly string[];
  /** True when the policy has a condition the probe cannot satisfy or reason about (groups, MFA, Cedar). */
  readonly conditional: boolean;
  readonly limits: readonly RateLimitConfig[];
  readonly body?: JsonSchema;
  readonly query?: JsonSchema;
  readonly paramsSchema?: JsonSchema;
  readonly cached: boolean;
}

/** What rampart.yaml says a client can reach and under which rules. */
export interface AttackSurface {
  readonly routes: readonly SurfaceRoute[];
  readonly cors: Cors | undefined;
  /** `gateway.trustedProxies`: peers whose X-Forwarded-For the gateway believes. */
  readonly trustedProxies: readonly string[];
  /** The issuer whose tokens the gateway accepts (its key set is read for the key-confusion check). */
  readonly issuer: string;
}

/** `{name}` parameters of a route template, in order. */
export function templateParams(path: string): string[] {
  return [...path.matchAll(/\{([a-zA-Z][a-zA-Z0-9]*)\}/g)].map((m) => m[1] ?? '');
}

/**
 * The attack surface of a validated rampart.yaml against the gateway at `target`: every route with
 * its policy, limits and schemas. The issuer is `identity.issuer`, else Rampart's own at `/auth`.
 *
 * @example
 * const surface = attackSurface(config, new URL('https://127.0.0.1:8443'));
 * surface.routes.filter((r) => r.method === 'GET' && !r.public);
 */
export function attackSurface(config: RampartConfig, target: URL): AttackSurface {
  const routes: SurfaceRoute[] = [];
  for (const [service, svc] of Object.entries(config.services)) {
    for (const route of svc.routes ?? []) routes.push(surfaceRoute(config, service, route));
  }
  return {
    routes,
    cors: config.gateway?.cors,
    trustedProxies: config.gateway?.trustedProxies ?? [],
    issuer: config.identity?.issuer ?? `${target.origin}/auth`,
  };
}

function surfaceRoute(config: RampartConfig, service: string, route: RouteConfig): SurfaceRoute {
  const policy: PolicyConfig = route.policy === undefined ? {} : (config.policies?.[route.policy] ?? {});
  const schema = route.schema;
  return {
    service,
    method: route.method,
    path: route.path,
    params: templateParams(route.path),
    public: policy.public === true,
    scopes: policy.scopes ?? [],
    groups: policy.groups ?? [],
    conditional: (policy.groups?.length ?? 0) > 0 || policy.mfa === true || policy.cedar !== undefined,
    limits: routeRateLimits(config, route),
    ...(schema?.body === undefined ? {} : { body: schema.body }),
    ...(schema?.query === undefined ? {} : { query: schema.query }),
    ...(schema?.params === undefined ? {} : { paramsSchema: schema.params }),
    cached: route.cache !== undefined,
  };
}

/** `GET /orders/{id}`: how reports name a route. */
export function routeName(route: Pick<SurfaceRoute, 'method' | 'path'>): string {
  return `${route.method} ${route.path}`;
}

/** True for methods that change state (only with --allow-writes). */
export function isUnsafe(method: string): boolean {
  return !['GET', 'HEAD', 'OPTIONS', 'TRACE'].includes(method);
}
