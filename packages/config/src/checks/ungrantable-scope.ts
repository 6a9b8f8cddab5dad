import type { Finding } from '../problem.ts';
import type { RampartConfig } from '../schema.ts';

/** Scopes identity grants whatever the clients list. */
const ALWAYS_GRANTABLE: readonly string[] = ['openid', 'offline_access'];

/**
 * CFG_UNGRANTABLE_SCOPE (a warning): a policy requires a scope that no client of
 * `identity.clients` lists. Identity grants only the scopes its clients are registered with (the
 * admin API refuses any other), so every route of that policy denies every caller.
 */
export function checkUngrantableScope(config: RampartConfig): Finding[] {
  const grantable = new Set([
    ...ALWAYS_GRANTABLE,
    ...(config.identity?.clients ?? []).flatMap((client) => client.scopes ?? []),
  ]);
  const findings: Finding[] = [];
  for (const [name, policy] of Object.entries(config.policies ?? {})) {
    for (const [index, scope] of (policy.scopes ?? []).entries()) {
      if (grantable.has(scope)) continue;
      findings.push({
        code: 'CFG_UNGRANTABLE_SCOPE',
        severity: 'warning',
        path: ['policies', name, 'scopes', index],
        anchor: 'value',
        message: `policy \`${name}\` requires scope \`${scope}\`, which no client under \`identity.clients\` can be granted: its routes deny every caller`,
        fix: `add \`${scope}\` to the scopes of the clients that should call these routes, or fix the spelling`,
      });
    }
  }
  return findings;
}
