import type { Finding } from '../problem.ts';
import type { RampartConfig } from '../schema.ts';
import { suggest } from '../suggest.ts';

export const GATEWAY_CALLER = 'gateway';

/**
 * CFG_UNDECLARED_CALLER: each caller is `gateway` or a declared service other than the callee.
 * A service may not be named `gateway`, which would make its callers ambiguous.
 */
export function checkUndeclaredCaller(config: RampartConfig): Finding[] {
  const services = Object.keys(config.services);
  const findings: Finding[] = [];
  if (services.includes(GATEWAY_CALLER)) {
    findings.push({
      code: 'CFG_UNDECLARED_CALLER',
      path: ['services', GATEWAY_CALLER],
      anchor: 'key',
      message: '`gateway` is reserved for the gateway and cannot name a service',
      fix: 'rename the service',
    });
  }
  for (const [name, service] of Object.entries(config.services)) {
    for (const [index, caller] of (service.callers ?? []).entries()) {
      const path = ['services', name, 'callers', index];
      if (caller === name) {
        findings.push({
          code: 'CFG_UNDECLARED_CALLER',
          path,
          anchor: 'value',
          message: `service \`${name}\` lists itself as a caller`,
          fix: 'remove it: a service calls its own code directly, not over the mesh',
        });
        continue;
      }
      // An external upstream named here is CFG_EXTERNAL_IN_MESH's (external-service.ts).
      if (
        caller === GATEWAY_CALLER ||
        services.includes(caller) ||
        Object.hasOwn(config.external ?? {}, caller)
      )
        continue;
      const suggestion = suggest(caller, [GATEWAY_CALLER, ...services.filter((s) => s !== name)]);
      const shown = /^[a-z][a-z0-9-]{0,62}$/.test(caller) ? `\`${caller}\`` : `item ${index + 1}`;
      findings.push({
        code: 'CFG_UNDECLARED_CALLER',
        path,
        anchor: 'value',
        message: `caller ${shown} of service \`${name}\` is neither \`gateway\` nor a declared service${suggestion === undefined ? '' : ` — did you mean \`${suggestion}\`?`}`,
        fix:
          suggestion === undefined
            ? 'declare that service under `services`, or remove the caller'
            : `write \`${suggestion}\``,
      });
    }
  }
  return findings;
}
