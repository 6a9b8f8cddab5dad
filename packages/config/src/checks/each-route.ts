import type { RampartConfig, RouteConfig } from '../schema.ts';

export interface RouteEntry {
  /** The key under `services` or `external` that owns the route. */
  serviceName: string;
  /** `external`: an HTTPS upstream outside the mesh; `service`: a service in it. */
  owner: 'service' | 'external';
  route: RouteConfig;
  index: number;
  path: readonly ['services' | 'external', string, 'routes', number];
  /** `route \`GET /orders\` of service \`orders\`` */
  label: string;
}

/** Every route of every service, then of every external upstream, in file order. */
export function* eachRoute(config: RampartConfig): Generator<RouteEntry> {
  type Owners = Readonly<Record<string, { readonly routes?: readonly RouteConfig[] }>>;
  const owners: readonly (readonly ['services' | 'external', RouteEntry['owner'], Owners])[] = [
    ['services', 'service', config.services],
    ['external', 'external', config.external ?? {}],
  ];
  for (const [section, owner, entries] of owners) {
    for (const [serviceName, service] of Object.entries(entries)) {
      for (const [index, route] of (service.routes ?? []).entries()) {
        yield {
          serviceName,
          owner,
          route,
          index,
          path: [section, serviceName, 'routes', index],
          label: `route \`${route.method} ${route.path}\` of ${owner === 'service' ? 'service' : 'external upstream'} \`${serviceName}\``,
        };
      }
    }
  }
}
