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
