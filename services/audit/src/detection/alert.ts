import type { Severity } from './rule-schema.ts';

/** Where an event sits in the audit trail: its ledger seq and its id. */
export interface EventRef {
  readonly seq: number;
  readonly id: string;
}

/** Most events an alert names as its evidence (the most recent ones counted). */
export const MAX_EVIDENCE = 50;

/** What a rule raises when it fires. */
export interface Alert {
  /** A random UUID. */
  readonly id: string;
  /** The rule's id. */
  readonly rule: string;
  readonly severity: Severity;
  readonly title: string;
  /** The time of the event that made the rule fire (ISO 8601, UTC). */
  readonly time: string;
  /** The rule's `groupBy` fields and their values for this alert (`{}` without grouping). */
  readonly group: Readonly<Record<string, string>>;
  /** What the threshold counted when it fired: events, failures or distinct values (1 without a threshold). */
  readonly count: number;
  /** The counted events, most recent last, at most `MAX_EVIDENCE`. */
  readonly evidence: readonly EventRef[];
}
