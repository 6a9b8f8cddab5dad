import type { Finding } from '../problem.ts';
import type { RampartConfig } from '../schema.ts';
import { classifyOverlap, parsePath, witnessPath } from '../route-shape.ts';
import { eachRoute, type RouteEntry } from './each-route.ts';

/**
 * CFG_DUPLICATE_ROUTE and CFG_AMBIGUOUS_ROUTE. The gateway serves every service's routes on one
 * path space, so routes are compared across services too. Each route is reported once per code,
 * against the first earlier route it clashes with.
 */
export function checkRouteOverlap(config: RampartConfig): Finding[] {
  const routes = [...eachRoute(config)].map((entry) => ({ entry, segments: parsePath(entry.route.path) }));
  const findings: Finding[] = [];
  for (const [j, later] of routes.entries()) {
    let duplicateOf: RouteEntry | undefined;
    let ambiguousWith: { entry: RouteEntry; witness: string } | undefined;
    for (const earlier of routes.slice(0, j)) {
      if (earlier.entry.route.method !== later.entry.route.method) continue;
      const overlap = classifyOverlap(earlier.segments, later.segments);
      if (overlap === 'duplicate') duplicateOf ??= earlier.entry;
      if (overlap === 'ambiguous') {
        ambiguousWith ??= { entry: earlier.entry, witness: witnessPath(earlier.segments, later.segments) };
      }
    }
    const path = [...later.entry.path, 'path'];
    if (duplicateOf !== undefined) {
      findings.push({
        code: 'CFG_DUPLICATE_ROUTE',
        path,
        anchor: 'value',
        message: `${later.entry.label} duplicates ${duplicateOf.label}`,
        fix: 'remove one of them; parameter names do not make two routes different',
      });
    }
    if (ambiguousWith !== undefined && duplicateOf === undefined) {
      const { entry, witness } = ambiguousWith;
      findings.push({
        code: 'CFG_AMBIGUOUS_ROUTE',
        path,
        anchor: 'value',
        message: `${later.entry.label} and ${entry.label} both match \`${witness}\`, and neither is more specific`,
        fix: 'make one route static wherever the other is, or give them distinct static segments',
      });
    }
  }
  return findings;
}
