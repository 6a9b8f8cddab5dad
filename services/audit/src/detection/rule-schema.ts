import { Type, type Static } from '@sinclair/typebox';

/** The fields of a stored event a rule may select on, group by or count (`StoredEvent`'s). */
export const EVENT_FIELDS = [
  'event',
  'service',
  'outcome',
  'reason',
  'peer',
  'subject',
  'requestId',
  'traceId',
  'clientId',
  'route',
  'sourceIp',
  'userAgent',
  'source',
] as const;
export type EventField = (typeof EVENT_FIELDS)[number];

const FieldName = Type.Union(
  EVENT_FIELDS.map((field) => Type.Literal(field)),
  { description: 'a field of the stored event' },
);

const Value = Type.String({ minLength: 1, maxLength: 256 });

/**
 * What one field must be: a value (equality), a list (any of them), or `{ prefix }` / `{ contains }`
 * (a string or a list of strings, any of which).
 */
const FieldCondition = Type.Union([
  Value,
  Type.Array(Value, { minItems: 1, maxItems: 100 }),
  Type.Object(
    { prefix: Type.Union([Value, Type.Array(Value, { minItems: 1, maxItems: 100 })]) },
    { additionalProperties: false },
  ),
  Type.Object(
    { contains: Type.Union([Value, Type.Array(Value, { minItems: 1, maxItems: 100 })]) },
    { additionalProperties: false },
  ),
]);
export type FieldCondition = Static<typeof FieldCondition>;

/** Every listed field must hold (AND); an event without the field does not match. */
const Match = Type.Object(
  Object.fromEntries(EVENT_FIELDS.map((field) => [field, Type.Optional(FieldCondition)])),
  { additionalProperties: false, minProperties: 1 },
);

/** Most events one group keeps in its window (and the largest `count` a rule may ask for). */
export const MAX_THRESHOLD_COUNT = 1000;

const Threshold = Type.Object(
  {
    count: Type.Integer({ minimum: 1, maximum: MAX_THRESHOLD_COUNT }),
    window: Type.String({ pattern: '^[1-9][0-9]*(s|m|h)$', description: 'a duration: 30s, 5m, 1h' }),
    groupBy: Type.Array(FieldName, { maxItems: 4, uniqueItems: true }),
    distinct: Type.Optional(FieldName),
    minDistinct: Type.Optional(
      Type.Object(
        Object.fromEntries(
          EVENT_FIELDS.map((field) => [
            field,
            Type.Optional(Type.Integer({ minimum: 2, maximum: MAX_THRESHOLD_COUNT })),
          ]),
        ),
        { additionalProperties: false, minProperties: 1 },
      ),
    ),
    ratio: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1 })),
  },
  { additionalProperties: false },
);

/** One detection rule as written in YAML. */
export const RuleSchema = Type.Object(
  {
    id: Type.String({ pattern: '^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$', maxLength: 64 }),
    title: Type.String({ minLength: 1, maxLength: 120 }),
    severity: Type.Union([
      Type.Literal('low'),
      Type.Literal('medium'),
      Type.Literal('high'),
      Type.Literal('critical'),
    ]),
    description: Type.String({ minLength: 1, maxLength: 4000 }),
    match: Match,
    threshold: Type.Optional(Threshold),
    quietDuring: Type.Optional(
      Type.Literal('adminWindow', {
        description:
          'adminWindow: events inside audit.adminWindow (rampart.yaml) are not matched; without one configured, every event is',
      }),
    ),
  },
  { additionalProperties: false },
);
export type RuleSource = Static<typeof RuleSchema>;
export type Severity = RuleSource['severity'];
export type MatchSource = Partial<Record<EventField, FieldCondition>>;
