import type { Finding } from '../problem.ts';
import type { RampartConfig } from '../schema.ts';
import { suggest } from '../suggest.ts';
import { eachRoute } from './each-route.ts';

/** CFG_UNKNOWN_POLICY: a route's policy is declared under `policies`. */
export function checkUnknownPolicy(config: RampartConfig): Finding[] {
  const declared = Object.keys(config.policies ?? {});
  const findings: Finding[] = [];
  for (const entry of eachRoute(config)) {
    const policy = entry.route.policy;
    if (policy === undefined || declared.includes(policy)) continue;
    const suggestion = suggest(policy, declared);
    findings.push({
      code: 'CFG_UNKNOWN_POLICY',
      path: [...entry.path, 'policy'],
      anchor: 'value',
      message: `${entry.label} names policy \`${policy}\`, which is not under \`policies\`${suggestion === undefined ? '' : ` — did you mean \`${suggestion}\`?`}`,
      fix:
        suggestion === undefined
          ? declared.length === 0
            ? `declare it under \`policies\``
            : `declare it under \`policies\`, or use one of ${declared.map((p) => `\`${p}\``).join(', ')}`
          : `write \`policy: ${suggestion}\``,
    });
  }
  return findings;
}
