import type { Finding } from '../problem.ts';
import type { RampartConfig } from '../schema.ts';
import { GATEWAY_CALLER } from './undeclared-caller.ts';

/** CFG_UNREACHABLE_ROUTE: routes are served by the gateway, so a service with routes lets it call. */
export function checkUnreachableRoute(config: RampartConfig): Finding[] {
  const findings: Finding[] = [];
  for (const [name, service] of Object.entries(config.services)) {
    if ((service.routes ?? []).length === 0 || (service.callers ?? []).includes(GATEWAY_CALLER)) continue;
    findings.push({
      code: 'CFG_UNREACHABLE_ROUTE',
      path: ['services', name, 'routes'],
      anchor: 'key',
      message: `service \`${name}\` has routes, but \`gateway\` is not among its callers, so no request can reach them`,
      fix: 'add `gateway` to its `callers`, or remove the routes if only other services call it',
    });
  }
  return findings;
}
