import type { Finding } from '../problem.ts';
import { cedarParseProblem, cedarRouteProblem } from '../rules/cedar-policy.ts';
import type { RampartConfig } from '../schema.ts';
import { eachRoute } from './each-route.ts';

/**
 * CFG_INVALID_CEDAR: a policy's `cedar` set that does not parse (at the set), or that does not
 * validate strictly for a route using it (at that route's `policy`) — the same functions the
 * gateway runs when it builds its route table, so the gateway never refuses what this accepted.
 */
export function checkCedarPolicy(config: RampartConfig): Finding[] {
  const findings: Finding[] = [];
  const parses = new Map<string, boolean>();
  for (const [name, policy] of Object.entries(config.policies ?? {})) {
    if (policy.cedar === undefined) continue;
    const problem = cedarParseProblem(policy.cedar);
    parses.set(name, problem === undefined);
    if (problem === undefined) continue;
    findings.push({
      code: 'CFG_INVALID_CEDAR',
      path: ['policies', name, 'cedar'],
      anchor: 'value',
      message: `the cedar policy set of policy \`${name}\` does not parse: ${problem}`,
      fix: 'fix the Cedar syntax (https://docs.cedarpolicy.com/policies/syntax-policy.html); each policy ends with `;`',
    });
  }
  for (const entry of eachRoute(config)) {
    const name = entry.route.policy;
    if (name === undefined || parses.get(name) !== true) continue;
    const text = config.policies?.[name]?.cedar;
    if (text === undefined) continue;
    const params = [...entry.route.path.matchAll(/\{([A-Za-z][A-Za-z0-9]*)\}/gu)].map((m) => m[1] ?? '');
    const problem = cedarRouteProblem(text, params);
    if (problem === undefined) continue;
    findings.push({
      code: 'CFG_INVALID_CEDAR',
      path: [...entry.path, 'policy'],
      anchor: 'value',
      message: `policy \`${name}\` on ${entry.label}: ${problem}`,
      fix:
        'a policy sees principal.{sub, id, scopes, groups, amr, clientId}, resource.service and the ' +
        "route's path parameters (resource.<name>), context.{ip, mfa}",
    });
  }
  return findings;
}
