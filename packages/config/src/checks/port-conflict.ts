import type { Finding } from '../problem.ts';
import type { RampartConfig } from '../schema.ts';

/** The gateway's port when `ports.gateway` is not set (DESIGN.md). */
export const DEFAULT_GATEWAY_PORT = 8443;

/** CFG_PORT_CONFLICT: every listener — `ports` and each service — has a port of its own. */
export function checkPortConflict(config: RampartConfig): Finding[] {
  const users: { port: number; who: string; path: (string | number)[] }[] = [];
  if (config.ports?.gateway === undefined) {
    users.push({ port: DEFAULT_GATEWAY_PORT, who: 'the gateway (its default port)', path: [] });
  }
  for (const [name, port] of Object.entries(config.ports ?? {})) {
    users.push({ port, who: `\`ports.${name}\``, path: ['ports', name] });
  }
  for (const [name, service] of Object.entries(config.services)) {
    users.push({ port: service.port, who: `service \`${name}\``, path: ['services', name, 'port'] });
  }
  const findings: Finding[] = [];
  const first = new Map<number, string>();
  for (const user of users) {
    const owner = first.get(user.port);
    if (owner === undefined) {
      first.set(user.port, user.who);
      continue;
    }
    findings.push({
      code: 'CFG_PORT_CONFLICT',
      path: user.path,
      anchor: 'value',
      message: `port ${user.port} of ${user.who} is already used by ${owner}`,
      fix: 'give each service and each entry under `ports` a port of its own',
    });
  }
  return findings;
}
