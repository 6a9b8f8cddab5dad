import type { PolicyConfig, RampartConfig, RouteConfig } from '@rampart/config';

type Method = RouteConfig['method'];

/** A config with these routes spread over services; every route uses policy `p` unless it names one. */
export function configWith(
  services: Readonly<Record<string, readonly (readonly [Method, string] | RouteConfig)[]>>,
  policies: Readonly<Record<string, PolicyConfig>> = { p: { scopes: ['read'] } },
): RampartConfig {
  return {
    version: 1,
    name: 'test',
    policies: { ...policies },
    services: Object.fromEntries(
      Object.entries(services).map(([name, routes], i) => [
        name,
        {
          entry: `${name}.ts`,
          port: 9000 + i,
          routes: routes.map((r): RouteConfig =>
            'path' in r ? r : { method: r[0], path: r[1], policy: 'p' },
          ),
        },
      ]),
    ),
  };
}
