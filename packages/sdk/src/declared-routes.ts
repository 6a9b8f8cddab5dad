import { isDeepStrictEqual } from 'node:util';
import type { RouteGenericInterface } from 'fastify';
import type { RampartConfig, RouteConfig } from '@rampart/config';
import type { RouteDefinition, RouteSchema } from './route.ts';

/** The request-schema keys rampart.yaml declares for a route (`response` is the handler's alone). */
const YAML_SCHEMA_KEYS = ['body', 'query', 'params', 'contentTypes', 'maxBodyBytes'] as const;

/** A handler's route, resolved against rampart.yaml. */
export interface ResolvedRoute<D> {
  /** The definition to register: the request schema of rampart.yaml merged in. */
  readonly definition: D;
  /** The scopes a token needs, read from the configuration applied at the time of each request. */
  readonly scopes: () => readonly string[];
}

/**
 * Routes and scopes are declared once, in rampart.yaml. A service's handler names its route
 * (method and path); the SDK takes the request schema from the route and the scopes from its
 * policy. What cannot agree is refused, naming both sides:
 * - a handler that declares scopes or a request schema differing from rampart.yaml's (at once);
 * - a route of the service in rampart.yaml without a handler (at start, and on reload);
 * - a handler for a route rampart.yaml does not declare, unless the service has callers other than
 *   the gateway (an internal route, which then names its scopes itself).
 */
export interface DeclaredRoutes {
  /** @throws TypeError naming the handler and rampart.yaml's route when they disagree. */
  resolve<G extends RouteGenericInterface>(definition: RouteDefinition<G>): ResolvedRoute<RouteDefinition<G>>;
  /** Records a public (token-less) handler, so it counts as serving its route. */
  recordPublic(method: string, url: string): void;
  /** Why the handlers cannot serve `config` (empty when they can). */
  problems(config: RampartConfig): string[];
}

interface Registered {
  readonly method: string;
  readonly path: string;
  /** The rampart.yaml route when the handler was registered (undefined: an internal route). */
  readonly declared: RouteConfig | undefined;
}

/** `/orders/:id` → `/orders/{id}`: handlers may use either syntax; rampart.yaml uses braces. */
export function yamlPath(url: string): string {
  return url.replace(/:([A-Za-z][A-Za-z0-9]*)/g, '{$1}');
}

/**
 * @example
 * const routes = declaredRoutes('orders', () => currentConfig);
 * const { definition, scopes } = routes.resolve({ method: 'GET', url: '/orders', handler });
 */
export function declaredRoutes(serviceName: string, config: () => RampartConfig): DeclaredRoutes {
  const registered = new Map<string, Registered>();
  const routesOf = (c: RampartConfig): readonly RouteConfig[] =>
    (Object.hasOwn(c.services, serviceName) ? c.services[serviceName]?.routes : undefined) ?? [];
  const find = (c: RampartConfig, method: string, path: string): RouteConfig | undefined =>
    routesOf(c).find((route) => route.method === method && route.path === path);
  const policyScopes = (c: RampartConfig, route: RouteConfig): readonly string[] => {
    const policies = c.policies ?? {};
    const name = route.policy ?? '';
    return (Object.hasOwn(policies, name) ? policies[name]?.scopes : undefined) ?? [];
  };
  const where = (route: RouteConfig): string => {
    const index = routesOf(config()).indexOf(route);
    return `services.${serviceName}.routes[${index}] (${route.method} ${route.path}, policy \`${route.policy ?? ''}\`)`;
  };
  const record = (method: string, path: string, declared: RouteConfig | undefined): void => {
    const key = `${method} ${path}`;
    if (registered.has(key)) throw new TypeError(`two handlers for ${key} in service "${serviceName}"`);
    registered.set(key, { method, path, declared });
  };

  return {
    resolve(definition) {
      const path = yamlPath(definition.url);
      const label = `svc.route(${definition.method} ${path})`;
      const declared = find(config(), definition.method, path);
      if (declared === undefined) {
        if (definition.scopes === undefined) {
          throw new TypeError(
            `${label}: rampart.yaml declares no such route for service "${serviceName}", so the handler must name ` +
              'its scopes: declare the route under services.' +
              `${serviceName}.routes (the handler then names only method and path), or give \`scopes\` for a route only other services call`,
          );
        }
        record(definition.method, path, undefined);
        const scopes = [...definition.scopes];
        return { definition: { ...definition, scopes }, scopes: () => scopes };
      }
      const yamlScopes = policyScopes(config(), declared);
      if (definition.scopes !== undefined && !sameSet(definition.scopes, yamlScopes)) {
        throw new TypeError(
          `${label} demands scopes [${definition.scopes.join(', ')}] but rampart.yaml's ${where(declared)} requires ` +
            `[${yamlScopes.join(', ')}]: remove \`scopes\` from the handler, rampart.yaml decides`,
        );
      }
      const schema = mergeSchema(label, definition.schema, declared, where(declared));
      record(definition.method, path, declared);
      const scopes = (): readonly string[] => {
        const current = find(config(), declared.method, declared.path);
        return current === undefined ? yamlScopes : policyScopes(config(), current);
      };
      return {
        definition: { ...definition, scopes: yamlScopes, ...(schema === undefined ? {} : { schema }) },
        scopes,
      };
    },
    recordPublic(method, url) {
      record(method, yamlPath(url), undefined);
    },
    problems(c) {
      const problems: string[] = [];
      routesOf(c).forEach((route, index) => {
        const handler = registered.get(`${route.method} ${route.path}`);
        const at = `services.${serviceName}.routes[${index}]`;
        if (handler === undefined) {
          problems.push(
            `rampart.yaml declares ${route.method} ${route.path} for service "${serviceName}" (${at}), but no handler serves it: ` +
              `add svc.route({ method: '${route.method}', url: '${route.path}', handler }), or remove the route`,
          );
        } else if (handler.declared === undefined) {
          problems.push(
            `${route.method} ${route.path} is now declared in rampart.yaml (${at}), but its handler was registered as an internal route: restart service "${serviceName}"`,
          );
        } else if (!sameRequestSchema(handler.declared, route)) {
          problems.push(
            `the request schema of ${route.method} ${route.path} changed in rampart.yaml (${at}): restart service "${serviceName}" to apply it`,
          );
        }
      });
      const callers =
        (Object.hasOwn(c.services, serviceName) ? c.services[serviceName]?.callers : undefined) ?? [];
      const internalCallers = callers.some((caller) => caller !== 'gateway');
      for (const handler of registered.values()) {
        const route = find(c, handler.method, handler.path);
        if (handler.declared !== undefined && route === undefined) {
          problems.push(
            `svc.route(${handler.method} ${handler.path}) serves a route rampart.yaml no longer declares for service "${serviceName}": ` +
              'declare it again, or remove the handler and restart',
          );
        } else if (handler.declared === undefined && route === undefined && !internalCallers) {
          problems.push(
            `svc.route(${handler.method} ${handler.path}) is not a route of service "${serviceName}" in rampart.yaml, and only the gateway calls it: ` +
              `declare it under services.${serviceName}.routes (with its policy), or remove the handler`,
          );
        }
      }
      return problems;
    },
  };
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((x) => right.has(x));
}

function sameRequestSchema(a: RouteConfig, b: RouteConfig): boolean {
  return YAML_SCHEMA_KEYS.every((key) => isDeepStrictEqual(a.schema?.[key], b.schema?.[key]));
}

/** rampart.yaml's request schema, with what the handler adds where rampart.yaml says nothing. */
function mergeSchema(
  label: string,
  handler: RouteSchema | undefined,
  declared: RouteConfig,
  where: string,
): RouteSchema | undefined {
  const yaml = declared.schema;
  if (yaml === undefined) return handler;
  const merged: Record<string, unknown> = { ...handler };
  for (const key of YAML_SCHEMA_KEYS) {
    const value = yaml[key];
    if (value === undefined) continue;
    if (handler?.[key] !== undefined && !isDeepStrictEqual(handler[key], value)) {
      throw new TypeError(
        `${label} declares schema.${key}, which differs from rampart.yaml's ${where}: remove it from the handler, rampart.yaml decides`,
      );
    }
    merged[key] = value;
  }
  return merged;
}
