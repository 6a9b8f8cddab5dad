import type { FileLocation, Finding } from './finding.ts';
import { findingFingerprint } from './fingerprint.ts';
import { ruleRegistry, type Rule } from './rule.ts';

export const SUPPRESSION_WITHOUT_REASON = 'scan/suppression-without-reason';

/** Rules of the scan itself, reported in the run of the module whose finding they concern. */
export const FRAMEWORK_RULES: ReadonlyMap<string, Rule> = ruleRegistry('scan', [
  {
    id: SUPPRESSION_WITHOUT_REASON,
    name: 'SuppressionWithoutReason',
    short: 'A suppression gives no reason',
    why: 'A finding silenced without a reason cannot be reviewed: nobody can later tell an accepted risk from a forgotten one. The suppression is refused and the finding it meant to hide is reported.',
    fix: 'write the reason after the rule id (`rampart-ignore <rule> <reason>`), or give the baseline entry a `reason`',
    severity: 'medium',
  },
]);

/**
 * The finding that refuses a suppression without a reason: at the comment (or the baseline file),
 * naming the rule and the fingerprint of the finding it meant to hide.
 */
export function suppressionWithoutReason(
  module: string,
  location: FileLocation,
  ruleId: string,
  fingerprint: string,
): Finding {
  const rule = FRAMEWORK_RULES.get(SUPPRESSION_WITHOUT_REASON);
  if (rule === undefined) throw new TypeError(`${SUPPRESSION_WITHOUT_REASON} is not registered`);
  return {
    ruleId: rule.id,
    module,
    severity: rule.severity,
    message: `the suppression of ${ruleId} (finding ${fingerprint}) gives no reason, so it is refused`,
    why: rule.why,
    fix: rule.fix,
    cwe: [],
    location,
    fingerprint: findingFingerprint(rule.id, location, fingerprint),
  };
}
