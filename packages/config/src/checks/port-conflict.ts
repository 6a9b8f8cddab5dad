import { DEFAULT_PORTS, replicaAdminPorts, serviceAdminPort, sidecarEgressPort } from '../ports.ts';
import { parseUpstream } from '../upstream.ts';
import type { Finding } from '../problem.ts';
import type { RampartConfig } from '../schema.ts';

/**
 * CFG_PORT_CONFLICT: every listener — `ports`, each service and admin port, and for a service behind
 * the sidecar its egress port and its upstream's, the admin port of each further replica of the
 * gateway and identity — has a port of its own.
 */
export function checkPortConflict(config: RampartConfig): Finding[] {
  const users: { port: number; who: string; path: (string | number)[] }[] = [];
  for (const [name, port] of Object.entries(DEFAULT_PORTS)) {
    const set = config.ports?.[name as keyof typeof DEFAULT_PORTS];
    users.push(
      set === undefined
        ? { port, who: `\`ports.${name}\` (its default)`, path: [] }
        : { port: set, who: `\`ports.${name}\``, path: ['ports', name] },
    );
  }
  for (const component of ['gateway', 'identity'] as const) {
    for (const [index, port] of replicaAdminPorts(config, component).entries()) {
      if (index === 0) continue;
      users.push({
        port,
        who: `${component} replica ${index + 1} (its admin port: ${component === 'gateway' ? '`ports.admin`' : '`ports.identityAdmin`'} + ${100 * index})`,
        path: [component, 'replicas'],
      });
    }
  }
  for (const [name, service] of Object.entries(config.services)) {
    users.push({ port: service.port, who: `service \`${name}\``, path: ['services', name, 'port'] });
    users.push({
      port: serviceAdminPort(service),
      who:
        service.adminPort === undefined
          ? `service \`${name}\` (its admin port: port + 1000)`
          : `service \`${name}\` (its \`adminPort\`)`,
      path: ['services', name, service.adminPort === undefined ? 'port' : 'adminPort'],
    });
    const egress = sidecarEgressPort(service);
    if (egress !== undefined) {
      users.push({
        port: egress,
        who:
          service.egressPort === undefined
            ? `service \`${name}\` (its egress port: port + 2000)`
            : `service \`${name}\` (its \`egressPort\`)`,
        path: ['services', name, service.egressPort === undefined ? 'port' : 'egressPort'],
      });
    }
    // The process behind a sidecar listens on the upstream's port (any loopback address of it).
    const upstream = service.upstream === undefined ? undefined : parseUpstream(service.upstream);
    if (upstream?.ok === true) {
      users.push({
        port: upstream.port,
        who: `service \`${name}\` (its \`upstream\`)`,
        path: ['services', name, 'upstream'],
      });
    }
  }
  const findings: Finding[] = [];
  const first = new Map<number, string>();
  for (const user of users) {
    const owner = first.get(user.port);
    // A derived admin port clashes whenever its service port does: report the service port once.
    if (owner !== undefined && findings.some((f) => f.path.join('.') === user.path.join('.'))) continue;
    if (owner === undefined) {
      first.set(user.port, user.who);
      continue;
    }
    findings.push({
      code: 'CFG_PORT_CONFLICT',
      path: user.path,
      anchor: 'value',
      message: `port ${user.port} of ${user.who} is already used by ${owner}`,
      fix: 'give each service, each `adminPort` and each entry under `ports` a port of its own',
    });
  }
  return findings;
}
