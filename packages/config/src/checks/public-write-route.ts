import type { Finding } from '../problem.ts';
import type { RampartConfig } from '../schema.ts';
import { eachRoute } from './each-route.ts';

const WRITE_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * CFG_PUBLIC_WRITE_ROUTE (a warning): a POST, PUT, PATCH or DELETE route whose policy is
 * `public: true` changes data for anyone on the internet, with no token to trace or revoke.
 */
export function checkPublicWriteRoute(config: RampartConfig): Finding[] {
  const findings: Finding[] = [];
  for (const entry of eachRoute(config)) {
    const name = entry.route.policy;
    if (name === undefined || !WRITE_METHODS.has(entry.route.method)) continue;
    if (config.policies?.[name]?.public !== true) continue;
    findings.push({
      code: 'CFG_PUBLIC_WRITE_ROUTE',
      severity: 'warning',
      path: [...entry.path, 'policy'],
      anchor: 'value',
      message: `${entry.label} changes data and its policy \`${name}\` is public: anyone can call it without a token`,
      fix: 'give it a policy that requires a token (scopes), or keep the public route read-only; if it must stay open (a sign-up form), give it a tight `rateLimit`',
    });
  }
  return findings;
}
