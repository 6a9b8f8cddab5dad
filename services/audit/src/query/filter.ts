import type { TSchema } from '@sinclair/typebox';
import { IncomingEvent } from '../ingest/event-schema.ts';
import { normalizeIp, normalizeTime } from '../ledger/search-columns.ts';

/** What a search selects: every field given must match (AND); a field left out matches anything. */
export interface SearchFilter {
  /** ISO 8601 (a date-time with `Z` or an offset, or a date: midnight UTC); events at or after it. */
  readonly from?: string;
  /** ISO 8601 as `from`; events strictly before it. */
  readonly to?: string;
  /** An event type (`login.failed`), or a prefix ending in a dot (`token.`: every `token.*`). */
  readonly event?: string;
  readonly outcome?: 'success' | 'failure' | 'unknown';
  /** The pseudonymous subject, `ps_…` (22 base64url characters). */
  readonly subject?: string;
  readonly clientId?: string;
  /** An IPv4 or IPv6 literal; any spelling of one IPv6 address matches it. */
  readonly sourceIp?: string;
  /** A route template with its method: `GET /orders/{id}`. */
  readonly route?: string;
  /** The W3C trace id: 32 lower-case hex digits. */
  readonly traceId?: string;
  readonly requestId?: string;
  /** The component that emitted the event (`gateway`, `identity`, `orders`…). */
  readonly service?: string;
}

export type SearchField = keyof SearchFilter;

/** A filter checked and put in the form the columns hold (times in UTC, one spelling per IP). */
export interface NormalizedFilter {
  readonly from?: string;
  readonly to?: string;
  readonly event?: { readonly exact: string } | { readonly prefix: string };
  readonly outcome?: string;
  readonly subject?: string;
  readonly clientId?: string;
  readonly sourceIp?: string;
  readonly route?: string;
  readonly traceId?: string;
  readonly requestId?: string;
  readonly service?: string;
}

/** A filter or paging value that cannot be searched for; `field` names it (`limit`, `subject`…). */
export class SearchFilterError extends TypeError {
  readonly field: string;
  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'SearchFilterError';
    this.field = field;
  }
}

const properties = IncomingEvent.properties;

/**
 * A field's shape, from the ingest schema: a value that could not be stored could not be found, so
 * it is refused with the reason rather than searched for.
 */
function shapeOf(schema: TSchema, what: string): (value: string) => string | undefined {
  const pattern = typeof schema['pattern'] === 'string' ? new RegExp(schema['pattern'], 'u') : undefined;
  const maxLength = typeof schema['maxLength'] === 'number' ? schema['maxLength'] : 256;
  return (value) => {
    if (value.length > maxLength) return `longer than ${maxLength} characters`;
    if (pattern !== undefined && !pattern.test(value)) return `must be ${what}`;
    return undefined;
  };
}

const EVENT_PREFIX = /^[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*\.$/;
const checkEventType = shapeOf(
  properties.event,
  'an event type (login.failed) or a prefix ending in a dot (token.)',
);
const OUTCOMES: readonly string[] = ['success', 'failure', 'unknown'];

const plainFields = {
  subject: shapeOf(properties.subject, 'a pseudonymous subject, ps_ and 22 base64url characters'),
  clientId: shapeOf(properties.clientId, 'a client id: letters, digits and . _ : - (1 to 128)'),
  route: shapeOf(properties.route, 'a route template with its method, e.g. "GET /orders/{id}"'),
  traceId: shapeOf(properties.traceId, 'a trace id: 32 lower-case hex digits'),
  requestId: shapeOf(properties.requestId, 'a request id: letters, digits and . _ : - (1 to 128)'),
  service: shapeOf(properties.service, 'a component name: lower case, digits and -'),
} as const;

const FIELDS: ReadonlySet<string> = new Set<SearchField>([
  'from',
  'to',
  'event',
  'outcome',
  'subject',
  'clientId',
  'sourceIp',
  'route',
  'traceId',
  'requestId',
  'service',
]);
const MAX_TIME_LENGTH = 40;

/**
 * Checks a filter strictly — an object with only the fields of {@link SearchFilter}, each a string
 * of its field's shape — and normalizes it. Anything else throws a {@link SearchFilterError}
 * naming the field.
 *
 * @example
 * parseSearchFilter({ event: 'token.', outcome: 'failure' }); // { event: { prefix: 'token.' }, outcome: 'failure' }
 */
export function parseSearchFilter(input: unknown): NormalizedFilter {
  if (input === undefined) return {};
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new SearchFilterError('filter', 'must be an object of search fields');
  }
  const given = new Map<string, string>();
  for (const [key, value] of Object.entries(input)) {
    if (!FIELDS.has(key)) throw new SearchFilterError(key, 'is not a search field');
    if (value === undefined) continue;
    if (typeof value !== 'string') throw new SearchFilterError(key, 'must be a string');
    if (!value.isWellFormed()) throw new SearchFilterError(key, 'must be well-formed Unicode');
    given.set(key, value);
  }
  const filter: { -readonly [K in keyof NormalizedFilter]: NormalizedFilter[K] } = {};
  for (const [key, value] of given) {
    switch (key) {
      case 'from':
      case 'to':
        filter[key] = time(key, value);
        break;
      case 'event': {
        const prefix = value.endsWith('.');
        const problem = prefix
          ? value.length > 64 || !EVENT_PREFIX.test(value)
            ? 'must be an event type (login.failed) or a prefix ending in a dot (token.)'
            : undefined
          : checkEventType(value);
        if (problem !== undefined) throw new SearchFilterError(key, problem);
        filter.event = prefix ? { prefix: value } : { exact: value };
        break;
      }
      case 'outcome':
        if (!OUTCOMES.includes(value))
          throw new SearchFilterError(key, 'must be success, failure or unknown');
        filter.outcome = value;
        break;
      case 'sourceIp': {
        const ip = normalizeIp(value);
        if (ip === undefined) throw new SearchFilterError(key, 'must be an IPv4 or IPv6 address');
        filter.sourceIp = ip;
        break;
      }
      case 'subject':
      case 'clientId':
      case 'route':
      case 'traceId':
      case 'requestId':
      case 'service': {
        const problem = plainFields[key](value);
        if (problem !== undefined) throw new SearchFilterError(key, problem);
        filter[key] = value;
        break;
      }
      default:
        throw new SearchFilterError(key, 'is not a search field');
    }
  }
  if (filter.from !== undefined && filter.to !== undefined && filter.from >= filter.to) {
    throw new SearchFilterError('to', 'must be later than from');
  }
  return filter;
}

function time(field: 'from' | 'to', value: string): string {
  const normalized = value.length <= MAX_TIME_LENGTH ? normalizeTime(value) : undefined;
  if (normalized === undefined) {
    throw new SearchFilterError(
      field,
      'must be an ISO 8601 time with a zone (2026-12-07T10:00:00Z, …+01:00) or a date (2026-12-07)',
    );
  }
  return normalized;
}
