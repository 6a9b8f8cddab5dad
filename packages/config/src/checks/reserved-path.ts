import type { Finding } from '../problem.ts';
import type { RampartConfig } from '../schema.ts';
import { eachRoute } from './each-route.ts';

/**
 * Path prefixes the gateway serves itself, before any route of rampart.yaml: `/auth` is identity
 * (the OAuth 2.0 / OpenID Connect issuer), `/console` the web console, `/audit` the audit
 * service's admin query API.
 */
export const RESERVED_PATH_PREFIXES: readonly string[] = Object.freeze(['auth', 'console', 'audit']);

const OWNERS: Readonly<Record<string, string>> = {
  auth: 'identity (the OAuth 2.0 / OpenID Connect issuer)',
  console: 'the console',
  audit: "the audit service's admin query API",
};

/**
 * CFG_RESERVED_PATH: a route whose first segment is a reserved prefix could never be reached (the
 * gateway hands those paths to identity, the console or the audit service first), and a reader of the file would
 * believe otherwise. Compared without regard to case, so `/Auth/…` cannot pass for something else.
 */
export function checkReservedPath(config: RampartConfig): Finding[] {
  const findings: Finding[] = [];
  for (const entry of eachRoute(config)) {
    const first = entry.route.path.split('/')[1]?.toLowerCase() ?? '';
    if (!RESERVED_PATH_PREFIXES.includes(first)) continue;
    const owner = OWNERS[first] ?? first;
    findings.push({
      code: 'CFG_RESERVED_PATH',
      path: [...entry.path, 'path'],
      anchor: 'value',
      message: `${entry.label} is under \`/${first}\`, which the gateway reserves for ${owner}`,
      fix: `move the route out of \`/${first}\`, e.g. under the service's name (\`/${entry.serviceName}/…\`)`,
    });
  }
  return findings;
}
