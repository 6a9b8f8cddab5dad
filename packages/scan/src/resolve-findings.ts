import type { Finding, FindingInput } from './finding.ts';
import { findingFingerprint } from './fingerprint.ts';
import { FRAMEWORK_RULES } from './framework-rules.ts';
import type { Rule } from './rule.ts';

/**
 * A module's reports as findings: each with its rule's why, fix and CWE and a stable fingerprint.
 * The same rule on the same logical thing twice in one place (two identical RUN lines) stays two
 * findings, the second fingerprinted as `<key>#2`. Throws a `TypeError` for a rule the module did
 * not declare (a programming error).
 *
 * @example
 * resolveFindings({ id: 'probe', rules: PROBE_RULES }, inputs); // Finding[], in input order
 */
export function resolveFindings(
  module: { readonly id: string; readonly rules: ReadonlyMap<string, Rule> },
  inputs: readonly FindingInput[],
): Finding[] {
  const seen = new Map<string, number>();
  return inputs.map((input) => {
    const rule = module.rules.get(input.ruleId) ?? FRAMEWORK_RULES.get(input.ruleId);
    if (rule === undefined) throw new TypeError(`module ${module.id} reported unknown rule ${input.ruleId}`);
    const base = findingFingerprint(input.ruleId, input.location, input.key);
    const occurrence = (seen.get(base) ?? 0) + 1;
    seen.set(base, occurrence);
    return {
      ruleId: rule.id,
      module: module.id,
      severity: input.severity ?? rule.severity,
      message: input.message,
      why: rule.why,
      fix: input.fix ?? rule.fix,
      cwe: input.cwe ?? rule.cwe ?? [],
      location: input.location,
      fingerprint:
        occurrence === 1
          ? base
          : findingFingerprint(input.ruleId, input.location, `${input.key}#${occurrence}`),
      ...(input.evidence === undefined ? {} : { evidence: input.evidence }),
      ...(input.reproduction === undefined ? {} : { reproduction: input.reproduction }),
    };
  });
}
