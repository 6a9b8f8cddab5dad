import { randomUUID } from 'node:crypto';
import type { Alert, EventRef } from './alert.ts';
import { GroupWindow } from './group-window.ts';
import type { DetectionEvent, Rule, Threshold } from './rule.ts';
import type { WeeklyWindow } from './weekly-window.ts';

/** Default most groups one rule tracks; the least recently seen is dropped beyond it. */
export const DEFAULT_MAX_GROUPS = 4096;
/** An event dated further ahead of the detector's clock than this counts at clock + this. */
export const MAX_FUTURE_MS = 60_000;

export interface DetectorOptions {
  readonly rules: readonly Rule[];
  /** Most groups per rule (default 4096). */
  readonly maxGroups?: number;
  /** Milliseconds since the epoch (tests). */
  readonly now?: () => number;
  /**
   * `audit.adminWindow` (`weeklyWindow`): rules with `quietDuring: adminWindow` do not match events
   * whose time falls inside it. Absent: those rules match at any time.
   */
  readonly adminWindow?: WeeklyWindow;
}

export interface Detector {
  /** Runs one stored event through every rule, in arrival order; returns the alerts it raised. */
  evaluate(event: DetectionEvent, ref: EventRef): Alert[];
  /** Groups held now, per rule id, and how many were dropped to stay within `maxGroups`. */
  stats(): { readonly groups: Readonly<Record<string, number>>; readonly evictedGroups: number };
  /** The most events all windows together can hold: Σ over rules of maxGroups × the rule's cap. */
  readonly maxEntries: number;
}

/**
 * Most events one group of a rule keeps. Counting events, `count` is enough: the newest `count`
 * in the window are a crossing. Counting distinct values, twice the largest threshold (at least
 * 16), so repeats of one value cannot hide new ones; with a ratio four times, as the window also
 * holds the successes. A busier window counts its most recent events.
 */
export function groupCap(threshold: Threshold): number {
  const largest = Math.max(threshold.count, ...threshold.minDistinct.map(([, minimum]) => minimum));
  if (threshold.ratio !== undefined) return Math.max(16, largest * 4);
  if (threshold.distinct !== undefined || threshold.minDistinct.length > 0) return Math.max(16, largest * 2);
  return threshold.count;
}

interface RuleState {
  readonly rule: Rule;
  readonly threshold: Threshold;
  readonly cap: number;
  readonly groups: Map<string, GroupWindow>;
}

/**
 * The detection engine: each event is matched against every rule; a rule without a threshold
 * alerts on every match, a rule with one counts matches per group in a sliding window on the
 * events' own times and alerts once per group per window. Memory is bounded: at most `maxGroups`
 * groups per rule (least recently seen dropped first), each at most `groupCap` events.
 *
 * @example
 * const detector = createDetector({ rules: loadRules(SHIPPED_RULES_DIR) });
 * for (const alert of detector.evaluate(event, { seq, id: event.id })) notify(alert);
 */
export function createDetector(options: DetectorOptions): Detector {
  const maxGroups = options.maxGroups ?? DEFAULT_MAX_GROUPS;
  if (!Number.isSafeInteger(maxGroups) || maxGroups < 1) {
    throw new TypeError('maxGroups must be a positive integer');
  }
  const now = options.now ?? Date.now;
  const adminWindow = options.adminWindow;
  const everyMatch = options.rules.filter((rule) => rule.threshold === undefined);
  const windowed: RuleState[] = options.rules.flatMap((rule) =>
    rule.threshold === undefined
      ? []
      : [{ rule, threshold: rule.threshold, cap: groupCap(rule.threshold), groups: new Map() }],
  );
  let evictedGroups = 0;

  const timeOf = (event: DetectionEvent): number => {
    const clock = now();
    const t = Date.parse(event.time);
    if (Number.isNaN(t)) return clock;
    return Math.min(t, clock + MAX_FUTURE_MS);
  };

  return {
    maxEntries: windowed.reduce((sum, state) => sum + maxGroups * state.cap, 0),
    evaluate(event, ref) {
      const alerts: Alert[] = [];
      let t: number | undefined;
      // Inside the admin window (by the event's time, bounded like the windows'), such rules are quiet.
      const quiet = (rule: Rule): boolean =>
        rule.quietDuring === 'adminWindow' && adminWindow !== undefined && adminWindow((t ??= timeOf(event)));
      for (const rule of everyMatch) {
        if (rule.matches(event) && !quiet(rule)) alerts.push(alertOf(rule, event.time, {}, 1, [ref]));
      }
      for (const state of windowed) {
        if (!state.rule.matches(event) || quiet(state.rule)) continue;
        const group = groupOf(state.threshold, event);
        if (group === undefined) continue;
        t ??= timeOf(event);
        let window = state.groups.get(group.key);
        if (window === undefined) {
          window = new GroupWindow(state.threshold, state.cap);
          if (state.groups.size >= maxGroups) {
            const oldest = state.groups.keys().next();
            if (oldest.done !== true) state.groups.delete(oldest.value);
            evictedGroups += 1;
          }
        } else {
          state.groups.delete(group.key); // re-inserted last: the map's order is least recently seen first
        }
        state.groups.set(group.key, window);
        const crossing = window.add(event, t, ref);
        if (crossing !== undefined) {
          alerts.push(alertOf(state.rule, event.time, group.values, crossing.count, crossing.evidence));
        }
      }
      return alerts;
    },
    stats() {
      return {
        groups: Object.fromEntries(windowed.map((state) => [state.rule.id, state.groups.size])),
        evictedGroups,
      };
    },
  };
}

/** The event's group, or undefined when it lacks a `groupBy` field (it is not counted then). */
function groupOf(
  threshold: Threshold,
  event: DetectionEvent,
): { key: string; values: Record<string, string> } | undefined {
  const values: Record<string, string> = {};
  for (const field of threshold.groupBy) {
    const value = event[field];
    if (value === undefined) return undefined;
    values[field] = value;
  }
  return { key: threshold.groupBy.map((field) => values[field]).join('\u0000'), values };
}

function alertOf(
  rule: Rule,
  time: string,
  group: Record<string, string>,
  count: number,
  evidence: readonly EventRef[],
): Alert {
  return {
    id: randomUUID(),
    rule: rule.id,
    severity: rule.severity,
    title: rule.title,
    time,
    group,
    count,
    evidence,
  };
}
