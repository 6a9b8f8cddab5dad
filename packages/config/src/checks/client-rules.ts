import type { DataPath, Finding } from '../problem.ts';
import { clientRuleProblems } from '../rules/client-rules.ts';
import type { RampartConfig } from '../schema.ts';

/**
 * `identity.clients`: the rules identity's admin API applies to the clients it creates
 * ({@link clientRuleProblems}) — CFG_INVALID_CLIENT for a broken rule, CFG_RESERVED_SCOPE (a
 * warning) for `admin` among a client's scopes.
 */
export function checkClientRules(config: RampartConfig): Finding[] {
  const findings: Finding[] = [];
  for (const [at, client] of (config.identity?.clients ?? []).entries()) {
    const base = ['identity', 'clients', at] as const;
    for (const problem of clientRuleProblems(client)) {
      const path: DataPath =
        problem.index === undefined || problem.index < 0
          ? [...base, problem.field]
          : [...base, problem.field, problem.index];
      const present = problem.field in client;
      findings.push({
        code: problem.severity === 'error' ? 'CFG_INVALID_CLIENT' : 'CFG_RESERVED_SCOPE',
        severity: problem.severity,
        path: present ? path : base,
        anchor: present ? 'value' : 'map',
        message: `client \`${client.id}\`, \`${problem.field}\`: ${problem.message}`,
        fix: problem.fix,
      });
    }
  }
  return findings;
}
