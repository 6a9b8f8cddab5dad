export type { Alert, EventRef } from './alert.ts';
export { MAX_EVIDENCE } from './alert.ts';
export {
  createDetector,
  groupCap,
  DEFAULT_MAX_GROUPS,
  MAX_FUTURE_MS,
  type Detector,
  type DetectorOptions,
} from './detector.ts';
export {
  DetectionRuleError,
  loadConfiguredRules,
  loadRules,
  parseRule,
  SHIPPED_RULES_DIR,
} from './load-rules.ts';
export {
  weeklyWindow,
  WEEKDAYS,
  type WeeklyWindow,
  type WeeklyWindowSource,
  type Weekday,
} from './weekly-window.ts';
export type { DetectionEvent, Rule, Threshold } from './rule.ts';
export { EVENT_FIELDS, RuleSchema, type EventField, type Severity } from './rule-schema.ts';
export { alertOutputs, type AlertOutputs } from './alert-outputs.ts';
