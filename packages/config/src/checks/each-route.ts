import type { RouteConfig, ServiceConfig } from '../schema.ts';
import type { RampartConfig } from '../schema.ts';

export interface RouteEntry {
  serviceName: string;
  service: ServiceConfig;
  route: RouteConfig;
  index: number;
  path: readonly ['services', string, 'routes', number];
  /** `route \`GET /orders\` of service \`orders\`` */
  label: string;
}

/** Every route of every service, in file order. */
export function* eachRoute(config: RampartConfig): Generator<RouteEntry> {
  for (const [serviceName, service] of Object.entries(config.services)) {
    for (const [index, route] of (service.routes ?? []).entries()) {
      yield {
        serviceName,
        service,
        route,
        index,
        path: ['services', serviceName, 'routes', index],
        label: `route \`${route.method} ${route.path}\` of service \`${serviceName}\``,
      };
    }
  }
}
