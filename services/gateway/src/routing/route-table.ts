import {
  parseDuration,
  routeRateLimits,
  type PolicyConfig,
  type RampartConfig,
  type RateLimitConfig,
  type RouteConfig,
} from '@rampart/config';
import { RampartError } from '@rampart/errors';
import { compileCedarPolicySet, type CedarPolicySet } from '../authorization/cedar.ts';
import { ALLOWED_METHODS } from '../request/index.ts';
import { compileRequestValidators } from '../validation/request-validator.ts';
import { MethodNotAllowed } from './method-not-allowed.ts';
import { parseRouteTemplate } from './route-template.ts';

/** What the router found for a request; every later stage reads the route from here. */
export interface MatchedRoute {
  /** The service (key under `services`), or the external upstream (key under `external`), that owns the route. */
  readonly service: string;
  /** True when the owner is an `external` upstream: forwarded over pinned TLS, with no token at all. */
  readonly outsideMesh: boolean;
  readonly route: RouteConfig;
  /** The configured path, `/orders/{id}`: label metrics, limits and logs with it, never the raw path. */
  readonly template: string;
  /** Decoded path segments by parameter name; a frozen object without a prototype. */
  readonly params: Readonly<Record<string, string>>;
  /** The policy the route names, resolved at build. */
  readonly policy: PolicyConfig;
  /** The policy's `cedar` set, parsed and validated for this route at build. */
  readonly cedar: CedarPolicySet | undefined;
  /** `cache.ttl` in milliseconds; undefined when the route's answers are not cached. */
  readonly cacheTtlMs: number | undefined;
  /** What requests are counted against (`routeRateLimits`): its own limit, the defaults, or none. */
  readonly rateLimits: readonly RateLimitConfig[];
}

export interface RouteTable {
  /**
   * Finds the route for a canonical request's method and `segments`. Pass `trailingSlash` as
   * `request.path.endsWith('/')`: no configured route ends with a slash, so `/orders/` is not
   * `/orders` (the upstream could give it another meaning than the one the policy was written for).
   *
   * @throws RampartError `GW_ROUTE_NOT_FOUND` when no route has this path;
   *   `MethodNotAllowed` (`GW_METHOD_NOT_ALLOWED`, with `allowed`) when routes have it but not for this method.
   */
  match(method: string, segments: readonly string[], trailingSlash: boolean): MatchedRoute;
  /** Every route, in configuration order (for metrics, readiness and docs). */
  readonly routes: readonly RouteEntry[];
}

/** A configured route as the table holds it. */
export interface RouteEntry {
  readonly service: string;
  readonly outsideMesh: boolean;
  readonly method: string;
  readonly template: string;
  readonly route: RouteConfig;
  readonly policy: PolicyConfig;
  readonly cedar: CedarPolicySet | undefined;
  readonly cacheTtlMs: number | undefined;
  readonly rateLimits: readonly RateLimitConfig[];
  /** Parameter names by segment index; `undefined` at static positions. */
  readonly paramNames: readonly (string | undefined)[];
}

interface TrieNode {
  readonly statics: Map<string, TrieNode>;
  param: TrieNode | undefined;
  /** Routes ending at this node, by method. */
  readonly methods: Map<string, RouteEntry>;
}

/**
 * First segments the gateway serves itself before any route (`/auth`: identity; `/console`;
 * `/audit`: the audit API). The
 * config loader refuses routes there (`CFG_RESERVED_PATH`); the table refuses them again.
 */
const RESERVED_FIRST_SEGMENTS: ReadonlySet<string> = new Set(['auth', 'console', 'audit']);

const newNode = (): TrieNode => ({ statics: new Map(), param: undefined, methods: new Map() });

/**
 * Builds the router for a loaded configuration: a segment trie built once, and every route's
 * request schema compiled. Matching walks the trie — no regular expression, no string building.
 *
 * Each `cedar` policy set is parsed once per build (cedar-wasm's preparsed store) and validated
 * strictly against the entity model of every route that uses it.
 *
 * @throws TypeError when a route names no policy or one not under `policies`, two routes share a
 *   method and shape, a path is under `/auth` or `/console`, a cedar policy set does not parse or
 *   does not validate for a route that uses it, a path is malformed, or a request schema does not compile (fail closed: the
 *   config loader refuses all of these first; the table refuses them again rather than guess).
 * @example
 * const table = buildRouteTable(config);
 * const matched = table.match(request.method, request.segments, request.path.endsWith('/'));
 * // { service: 'orders', template: '/orders/{id}', params: { id: '42' }, route, policy }
 */
export function buildRouteTable(config: RampartConfig): RouteTable {
  const root = newNode();
  const routes: RouteEntry[] = [];
  const cedarSets = new Map<string, CedarPolicySet>();
  const cedarOf = (name: string, text: string): CedarPolicySet => {
    let set = cedarSets.get(name);
    if (set === undefined) {
      set = compileCedarPolicySet(name, text);
      cedarSets.set(name, set);
    }
    return set;
  };
  const owners = [
    ...Object.entries(config.services).map(([name, owner]) => ({ name, owner, outsideMesh: false })),
    ...Object.entries(config.external ?? {}).map(([name, owner]) => ({ name, owner, outsideMesh: true })),
  ];
  for (const { name: service, owner, outsideMesh } of owners) {
    for (const route of owner.routes ?? []) {
      const label = `${route.method} ${route.path} (${outsideMesh ? 'external' : 'service'} ${service})`;
      const policy = resolvePolicy(config, route, label);
      const template = parseRouteTemplate(route.path);
      const first = template[0];
      if (first?.kind === 'static' && RESERVED_FIRST_SEGMENTS.has(first.value.toLowerCase())) {
        throw new TypeError(
          `route ${label} is under /${first.value}, which the gateway reserves (identity, console): move it`,
        );
      }
      let node = root;
      for (const segment of template) {
        if (segment.kind === 'param') {
          node.param ??= newNode();
          node = node.param;
        } else {
          let next = node.statics.get(segment.value);
          if (next === undefined) {
            next = newNode();
            node.statics.set(segment.value, next);
          }
          node = next;
        }
      }
      const paramNames = template.map((s) => (s.kind === 'param' ? s.name : undefined));
      let cedar: CedarPolicySet | undefined;
      if (policy.cedar !== undefined && route.policy !== undefined) {
        cedar = cedarOf(route.policy, policy.cedar);
        cedar.checkRoute({ label, paramNames: paramNames.filter((n) => n !== undefined) });
      }
      const existing = node.methods.get(route.method);
      if (existing !== undefined) {
        throw new TypeError(
          `route ${label} duplicates ${existing.method} ${existing.template} (service ${existing.service})`,
        );
      }
      const entry: RouteEntry = Object.freeze({
        service,
        outsideMesh,
        method: route.method,
        template: route.path,
        route,
        policy,
        cedar,
        cacheTtlMs: route.cache === undefined ? undefined : parseDuration(route.cache.ttl),
        rateLimits: routeRateLimits(config, route),
        paramNames: Object.freeze(paramNames),
      });
      node.methods.set(route.method, entry);
      routes.push(entry);
    }
  }
  compileRequestValidators(routes.map((r) => r.route));
  Object.freeze(routes);

  return Object.freeze({
    routes,
    match(method: string, segments: readonly string[], trailingSlash: boolean): MatchedRoute {
      if (trailingSlash && segments.length > 0) {
        throw new RampartError('GW_ROUTE_NOT_FOUND', { detail: 'no route ends with "/"' });
      }
      const entry = find(root, segments, 0, method);
      if (entry !== undefined) return toMatched(entry, segments);
      const allowed = new Set<string>();
      collectAllowed(root, segments, 0, allowed);
      if (allowed.size === 0) {
        throw new RampartError('GW_ROUTE_NOT_FOUND', {
          detail: `no route for ${segments.length} segment(s)`,
        });
      }
      if (allowed.has('GET')) allowed.add('HEAD');
      const list = ALLOWED_METHODS.filter((m) => allowed.has(m));
      throw new MethodNotAllowed(list, `routes at this path allow ${list.join(', ')}`);
    },
  });
}

function resolvePolicy(config: RampartConfig, route: RouteConfig, label: string): PolicyConfig {
  const name = route.policy;
  if (name === undefined) throw new TypeError(`route ${label} names no policy: every route must`);
  const policies = config.policies ?? {};
  const policy = Object.hasOwn(policies, name) ? policies[name] : undefined;
  if (policy === undefined) {
    throw new TypeError(`route ${label} names policy "${name}", which is not under policies`);
  }
  return policy;
}

/** The route serving `method` at this node; `HEAD` falls back to `GET` when no `HEAD` route exists. */
function routeFor(node: TrieNode, method: string): RouteEntry | undefined {
  return node.methods.get(method) ?? (method === 'HEAD' ? node.methods.get('GET') : undefined);
}

/**
 * Depth-first, static child before parameter child, backtracking on a dead end. Each trie node is
 * visited at most once per request and never deeper than `segments.length`.
 */
function find(
  node: TrieNode,
  segments: readonly string[],
  i: number,
  method: string,
): RouteEntry | undefined {
  const segment = segments[i];
  if (segment === undefined) return routeFor(node, method);
  const child = node.statics.get(segment);
  if (child !== undefined) {
    const found = find(child, segments, i + 1, method);
    if (found !== undefined) return found;
  }
  return node.param !== undefined && segment !== '' ? find(node.param, segments, i + 1, method) : undefined;
}

function collectAllowed(node: TrieNode, segments: readonly string[], i: number, allowed: Set<string>): void {
  const segment = segments[i];
  if (segment === undefined) {
    for (const method of node.methods.keys()) allowed.add(method);
    return;
  }
  const child = node.statics.get(segment);
  if (child !== undefined) collectAllowed(child, segments, i + 1, allowed);
  if (node.param !== undefined && segment !== '') collectAllowed(node.param, segments, i + 1, allowed);
}

function toMatched(entry: RouteEntry, segments: readonly string[]): MatchedRoute {
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  entry.paramNames.forEach((name, i) => {
    const value = segments[i];
    if (name !== undefined && value !== undefined) params[name] = value;
  });
  return Object.freeze({
    service: entry.service,
    outsideMesh: entry.outsideMesh,
    route: entry.route,
    template: entry.template,
    params: Object.freeze(params),
    policy: entry.policy,
    cedar: entry.cedar,
    cacheTtlMs: entry.cacheTtlMs,
    rateLimits: entry.rateLimits,
  });
}
