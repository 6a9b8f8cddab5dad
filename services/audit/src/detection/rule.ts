import { parseDuration } from '@rampart/config';
import { EVENT_FIELDS, type EventField, type FieldCondition, type Severity } from './rule-schema.ts';

/** An event as the rules see it: the stored event's string fields (`StoredEvent`). */
export type DetectionEvent = { readonly time: string } & Partial<Readonly<Record<EventField, string>>>;

/** A rule ready to evaluate (`compileRule` of a validated source). */
export interface Rule {
  readonly id: string;
  readonly title: string;
  readonly severity: Severity;
  readonly description: string;
  /** The field conditions, as written: for tests and documentation (`eventNamesOf`). */
  readonly match: Readonly<Partial<Record<EventField, FieldCondition>>>;
  readonly matches: (event: DetectionEvent) => boolean;
  /** Absent: every matching event is an alert. */
  readonly threshold?: Threshold;
  /** Events inside this configured window do not match (`audit.adminWindow`). */
  readonly quietDuring?: 'adminWindow';
}

export interface Threshold {
  readonly count: number;
  readonly windowMs: number;
  readonly groupBy: readonly EventField[];
  /** Count distinct values of this field (among failures when `ratio` is set) instead of events. */
  readonly distinct?: EventField;
  /** And at least this many distinct values of each field among the counted events. */
  readonly minDistinct: readonly (readonly [EventField, number])[];
  /** Count only failures, and require failures / matching events ≥ ratio. */
  readonly ratio?: number;
}

/** What `compileRule` takes: a rule source that passed `RuleSchema`. */
export interface ValidRuleSource {
  readonly id: string;
  readonly title: string;
  readonly severity: Severity;
  readonly description: string;
  readonly match: Readonly<Partial<Record<EventField, FieldCondition>>>;
  readonly threshold?: {
    readonly count: number;
    readonly window: string;
    readonly groupBy: readonly EventField[];
    readonly distinct?: EventField;
    readonly minDistinct?: Readonly<Partial<Record<EventField, number>>>;
    readonly ratio?: number;
  };
  readonly quietDuring?: 'adminWindow';
}

/** The executable form of a validated rule. */
export function compileRule(source: ValidRuleSource): Rule {
  const tests = EVENT_FIELDS.flatMap((field) => {
    const condition = source.match[field];
    return condition === undefined ? [] : [fieldTest(field, condition)];
  });
  const matches = (event: DetectionEvent): boolean => tests.every((test) => test(event));
  const threshold = source.threshold;
  return {
    id: source.id,
    title: source.title,
    severity: source.severity,
    description: source.description,
    match: source.match,
    matches,
    ...(source.quietDuring === undefined ? {} : { quietDuring: source.quietDuring }),
    ...(threshold === undefined
      ? {}
      : {
          threshold: {
            count: threshold.count,
            windowMs: parseDuration(threshold.window),
            groupBy: threshold.groupBy,
            ...(threshold.distinct === undefined ? {} : { distinct: threshold.distinct }),
            minDistinct: EVENT_FIELDS.flatMap((field) => {
              const minimum = threshold.minDistinct?.[field];
              return minimum === undefined ? [] : [[field, minimum] as const];
            }),
            ...(threshold.ratio === undefined ? {} : { ratio: threshold.ratio }),
          },
        }),
  };
}

function fieldTest(field: EventField, condition: FieldCondition): (event: DetectionEvent) => boolean {
  const valueOf = (event: DetectionEvent): string | undefined => event[field];
  if (typeof condition === 'string') return (event) => valueOf(event) === condition;
  if (Array.isArray(condition)) {
    const allowed: ReadonlySet<string> = new Set(condition);
    return (event) => {
      const value = valueOf(event);
      return value !== undefined && allowed.has(value);
    };
  }
  if ('prefix' in condition) {
    const prefixes = [condition.prefix].flat();
    return (event) => {
      const value = valueOf(event);
      return value !== undefined && prefixes.some((prefix) => value.startsWith(prefix));
    };
  }
  const parts = [condition.contains].flat();
  return (event) => {
    const value = valueOf(event);
    return value !== undefined && parts.some((part) => value.includes(part));
  };
}
