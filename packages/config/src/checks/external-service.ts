import { externalServices, parseExternalUrl } from '../external-upstream.ts';
import type { Finding } from '../problem.ts';
import type { RampartConfig } from '../schema.ts';
import { GATEWAY_CALLER } from './undeclared-caller.ts';

/**
 * CFG_EXTERNAL_URL: an external upstream's `url` is https, in normalized form, without credentials,
 * query or fragment (`parseExternalUrl` says why nothing else is accepted).
 * CFG_EXTERNAL_IN_MESH: an external upstream used as if it were in the mesh — named like a service
 * (or `gateway`), or named in a service's `callers` — since it has no mesh identity to call with.
 * Its `ca` file is checked by `rampart check` and `rampart up` (they read files; this does not).
 */
export function checkExternalServices(config: RampartConfig): Finding[] {
  const findings: Finding[] = [];
  const externals = externalServices(config);
  const names = new Set(externals.map(([name]) => name));
  for (const [name, external] of externals) {
    const at = ['external', name];
    const parsed = parseExternalUrl(external.url);
    if (!parsed.ok) {
      findings.push({
        code: 'CFG_EXTERNAL_URL',
        path: [...at, 'url'],
        anchor: 'value',
        message:
          `the url of external upstream \`${name}\` ${parsed.reason}: the gateway reaches an upstream outside ` +
          'the mesh only over TLS verified against its pinned ca',
        fix: 'write https://host[:port][/base], e.g. https://partner.example.com:8443/api',
      });
    }
    if (Object.hasOwn(config.services, name) || name === GATEWAY_CALLER) {
      findings.push({
        code: 'CFG_EXTERNAL_IN_MESH',
        path: at,
        anchor: 'key',
        message:
          name === GATEWAY_CALLER
            ? '`gateway` is reserved for the gateway and cannot name an external upstream'
            : `\`${name}\` is both a service (in the mesh) and an external upstream (outside it)`,
        fix: 'give the external upstream a name of its own',
      });
    }
  }
  for (const [service, declared] of Object.entries(config.services)) {
    for (const [index, caller] of (declared.callers ?? []).entries()) {
      if (!names.has(caller) || caller === GATEWAY_CALLER) continue;
      findings.push({
        code: 'CFG_EXTERNAL_IN_MESH',
        path: ['services', service, 'callers', index],
        anchor: 'value',
        message:
          `caller \`${caller}\` of service \`${service}\` is an external upstream: it is outside the mesh, ` +
          'has no workload identity and can call no service',
        fix: `remove \`${caller}\` from the callers; for a partner to reach \`${service}\`, give it a route and an OAuth client`,
      });
    }
  }
  return findings;
}
