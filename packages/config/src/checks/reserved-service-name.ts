import { COMPONENT_KINDS } from '../component-env.ts';
import { KUBERNETES_COMPONENT_PREFIX } from '../kubernetes-workloads.ts';
import type { Finding } from '../problem.ts';
import type { RampartConfig } from '../schema.ts';

/**
 * Names a service may not have: the platform's own components. Each shares a service's namespaces
 * — its log file (`.rampart/logs/<name>.log`), its PostgreSQL role and schema (`rampart_<name>`),
 * the callers lists (`callers: [gateway]`) — so a service named after one would take another's
 * credentials or data, or be confused with it.
 */
export const RESERVED_SERVICE_NAMES: readonly string[] = Object.freeze(
  COMPONENT_KINDS.filter((kind) => kind !== 'service'),
);

/**
 * CFG_RESERVED_NAME: a service named after a platform component (`identity`, `audit`…), or named
 * `rampart-…` — on Kubernetes the platform's components run as ServiceAccounts `rampart-<component>`
 * and a service as one of its own name, so such a service could take a component's identity.
 */
export function checkReservedServiceName(config: RampartConfig): Finding[] {
  return Object.keys(config.services).flatMap((name): Finding[] => {
    if (RESERVED_SERVICE_NAMES.includes(name)) {
      return [
        {
          code: 'CFG_RESERVED_NAME',
          path: ['services', name],
          anchor: 'key',
          message: `service \`${name}\` has the name of a platform component (${RESERVED_SERVICE_NAMES.join(', ')}), whose log, database role and caller name it would share`,
          fix: `rename the service, e.g. \`${name}-service\`, and its entries in other services' callers`,
        },
      ];
    }
    if (name.startsWith(KUBERNETES_COMPONENT_PREFIX)) {
      return [
        {
          code: 'CFG_RESERVED_NAME',
          path: ['services', name],
          anchor: 'key',
          message: `service \`${name}\` starts with \`${KUBERNETES_COMPONENT_PREFIX}\`, the prefix of the platform components' Kubernetes ServiceAccounts (rampart-gateway, rampart-identity…), whose mesh identity it could take`,
          fix: `rename the service, e.g. \`${name.slice(KUBERNETES_COMPONENT_PREFIX.length) || 'service'}\`, and its entries in other services' callers`,
        },
      ];
    }
    return [];
  });
}
