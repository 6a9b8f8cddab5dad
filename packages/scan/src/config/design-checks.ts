import type { RampartConfig } from '@rampart/config';

/** A design finding on the data, before it is given a position. */
export interface DesignFinding {
  readonly ruleId: string;
  readonly path: readonly (string | number)[];
  /** What it is about, without positions: the fingerprint's key. */
  readonly key: string;
  readonly message: string;
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * `config/unsafe-route-without-rate-limit`: an unsafe route that relies on the gateway's defaults.
 * A route with `rateLimit: off` is `rampart check`'s CFG_RATE_LIMIT_OFF, not this.
 */
export function unsafeRoutesWithoutRateLimit(config: RampartConfig): DesignFinding[] {
  const findings: DesignFinding[] = [];
  for (const [name, service] of Object.entries(config.services)) {
    (service.routes ?? []).forEach((route, i) => {
      if (!UNSAFE.has(route.method) || route.rateLimit !== undefined) return;
      findings.push({
        ruleId: 'config/unsafe-route-without-rate-limit',
        path: ['services', name, 'routes', i],
        key: `${name}:${route.method} ${route.path}`,
        message: `${route.method} ${route.path} (service \`${name}\`) changes data and has no \`rateLimit\` of its own`,
      });
    });
  }
  return findings;
}

/**
 * `config/unreachable-service`: the services the gateway cannot reach along declared edges — a
 * service is reached when it has routes and lists `gateway` among its callers, or when a reached
 * service is among its callers.
 */
export function unreachableServices(config: RampartConfig): DesignFinding[] {
  const services = Object.entries(config.services);
  const reached = new Set<string>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const [name, service] of services) {
      if (reached.has(name)) continue;
      const callers = service.callers ?? [];
      const fromGateway = callers.includes('gateway') && (service.routes ?? []).length > 0;
      if (fromGateway || callers.some((caller) => reached.has(caller))) {
        reached.add(name);
        grew = true;
      }
    }
  }
  return services
    .filter(([name]) => !reached.has(name))
    .map(([name]) => ({
      ruleId: 'config/unreachable-service',
      path: ['services', name],
      key: name,
      message: `service \`${name}\` is reached by no declared path from the gateway`,
    }));
}
