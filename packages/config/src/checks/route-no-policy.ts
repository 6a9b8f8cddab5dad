import type { Finding } from '../problem.ts';
import type { RampartConfig } from '../schema.ts';
import { eachRoute } from './each-route.ts';

/** CFG_ROUTE_NO_POLICY: every route names its policy — there is no default, not even "public". */
export function checkRouteNoPolicy(config: RampartConfig): Finding[] {
  const findings: Finding[] = [];
  for (const entry of eachRoute(config)) {
    if (entry.route.policy !== undefined) continue;
    findings.push({
      code: 'CFG_ROUTE_NO_POLICY',
      path: entry.path,
      anchor: 'map',
      message: `${entry.label} has no policy`,
      fix: 'add `policy: <name>` naming one under `policies`; for anonymous access name a policy with `public: true` explicitly',
    });
  }
  return findings;
}
