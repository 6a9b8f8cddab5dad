import type { SqlValue, Store } from '@rampart/sdk';
import { SEARCH_COLUMNS_MIGRATION } from '../ledger/schema.ts';
import { parseSearchFilter, SearchFilterError, type NormalizedFilter, type SearchFilter } from './filter.ts';
import { eventMatches, type StoredEventJson } from './match.ts';

/** Which page: keyset on `seq`, never an offset. */
export interface SearchPage {
  /** Only events with a seq below this one (the next page, newest first). */
  readonly before?: number;
  /** Only events with a seq above this one (the next page, oldest first; following a trail). */
  readonly after?: number;
  /** Most events returned: 1 to {@link MAX_SEARCH_LIMIT}; default {@link DEFAULT_SEARCH_LIMIT}. */
  readonly limit?: number;
  /** `newest` (default): highest seq first; `oldest`: lowest first. */
  readonly order?: 'newest' | 'oldest';
}

export const MAX_SEARCH_LIMIT = 1000;
export const DEFAULT_SEARCH_LIMIT = 100;

export interface SearchHit {
  readonly seq: number;
  readonly id: string;
  readonly event: StoredEventJson;
}

export interface SearchResult {
  readonly events: readonly SearchHit[];
  /** The page after this one (pass it as the next `page`, with the same filter); absent at the end. */
  readonly next?: { readonly before: number } | { readonly after: number };
}

interface Row {
  readonly seq: unknown;
  readonly id: unknown;
  readonly event: unknown;
}

/**
 * Searches the audit trail on `store` (the ledger's `audit_entries`, either engine): the events
 * matching every field of `filter`, newest first by default, one page at a time. Every value is a
 * bound parameter; each filter field has an index ending in `seq`. Each row returned is checked
 * against its stored event text, not only its search columns. Throws a {@link SearchFilterError}
 * (a `TypeError`) naming a bad filter or page field.
 *
 * @example
 * const page = await searchEvents(store, { event: 'login.failed', from: '2026-12-07' }, { limit: 50 });
 * const older = page.next === undefined ? undefined : await searchEvents(store, filter, page.next);
 */
export async function searchEvents(
  store: Store,
  filter: SearchFilter = {},
  page: SearchPage = {},
): Promise<SearchResult> {
  const normalized = parseSearchFilter(filter);
  const { before, after, limit, order } = parsePage(page);
  const bounds: Condition[] = [];
  if (before !== undefined) bounds.push({ sql: 'seq < ?', params: [before] });
  if (after !== undefined) bounds.push({ sql: 'seq > ?', params: [after] });
  const conditions = [...conditionsOf(normalized), ...bounds];
  let rows: Row[];
  if (normalized.event !== undefined && 'prefix' in normalized.event) {
    rows = await searchByPrefix(store, normalized.event.prefix, conditions, order, limit + 1);
  } else {
    rows = await select(store, conditions, order, limit + 1);
  }
  const events: SearchHit[] = [];
  for (const row of rows.slice(0, limit)) {
    const hit = toHit(row);
    if (hit !== undefined && eventMatches(normalized, hit.event)) events.push(hit);
  }
  const last = rows[limit - 1]?.seq;
  if (rows.length <= limit || typeof last !== 'number') return { events };
  return { events, next: order === 'newest' ? { before: last } : { after: last } };
}

interface Condition {
  readonly sql: string;
  readonly params: readonly SqlValue[];
}

/**
 * One page of rows matching every condition, in seq order. The inner query picks the seqs — on an
 * index `(column, seq)` that already holds them in order, or on the seq key — and only the page's
 * rows are then read whole.
 */
async function select(
  store: Store,
  conditions: readonly Condition[],
  order: 'newest' | 'oldest',
  count: number,
): Promise<Row[]> {
  const direction = order === 'newest' ? 'DESC' : 'ASC';
  const where = conditions.length === 0 ? '' : `WHERE ${conditions.map((c) => c.sql).join(' AND ')}`;
  // rampart-ignore code/sql-injection each condition's SQL is a constant fragment of this module with `?` placeholders; its values are bound (`params`)
  return store.all<Row>(
    `SELECT seq, id, event FROM audit_entries WHERE seq IN (
       SELECT seq FROM audit_entries ${where} ORDER BY seq ${direction} LIMIT ?
     ) ORDER BY seq ${direction}`,
    [...conditions.flatMap((c) => c.params), count],
  );
}

/** Most event types one prefix is expanded to; a wider prefix is read as one range. */
const MAX_PREFIX_TYPES = 64;

/**
 * An event-type prefix (`token.`) as the event types stored under it, each read in seq order on
 * its own index and merged here: a range over `(event_type, seq)` is not in seq order, and an
 * engine would sort every row of the range to find the newest.
 */
async function searchByPrefix(
  store: Store,
  prefix: string,
  conditions: readonly Condition[],
  order: 'newest' | 'oldest',
  count: number,
): Promise<Row[]> {
  const end = `${prefix.slice(0, -1)}/`; // '/' follows '.'
  const types: string[] = [];
  let from = prefix;
  let inclusive = true;
  while (types.length <= MAX_PREFIX_TYPES) {
    const row = await store.get<{ type: unknown }>(
      `SELECT MIN(event_type) AS type FROM audit_entries WHERE event_type ${inclusive ? '>=' : '>'} ? AND event_type < ?`,
      [from, end],
    );
    if (typeof row?.type !== 'string') break;
    types.push(row.type);
    from = row.type;
    inclusive = false;
  }
  if (types.length > MAX_PREFIX_TYPES) {
    return select(
      store,
      [...conditions, { sql: 'event_type >= ? AND event_type < ?', params: [prefix, end] }],
      order,
      count,
    );
  }
  const pages = await Promise.all(
    types.map((type) =>
      select(store, [...conditions, { sql: 'event_type = ?', params: [type] }], order, count),
    ),
  );
  const bySeq = (row: Row): number => (typeof row.seq === 'number' ? row.seq : 0);
  return pages
    .flat()
    .sort((a, b) => (order === 'newest' ? bySeq(b) - bySeq(a) : bySeq(a) - bySeq(b)))
    .slice(0, count);
}

/**
 * Whether `store` holds a ledger with the search columns (the audit service adds them when it
 * opens the ledger): a reader that must not write checks this instead of migrating.
 */
export async function searchable(store: Store): Promise<boolean> {
  try {
    const row = await store.get('SELECT id FROM _migrations WHERE id = ?', [SEARCH_COLUMNS_MIGRATION]);
    return row !== undefined;
  } catch {
    return false; // no _migrations table: not a ledger at all
  }
}

/** The highest seq stored (0 for an empty trail): where following new events starts. */
export async function lastSeq(store: Store): Promise<number> {
  const row = await store.get<{ seq: unknown }>('SELECT MAX(seq) AS seq FROM audit_entries');
  return typeof row?.seq === 'number' ? row.seq : 0;
}

function conditionsOf(filter: NormalizedFilter): Condition[] {
  const conditions: Condition[] = [];
  const where = (sql: string, value: SqlValue): void => {
    conditions.push({ sql, params: [value] });
  };
  if (filter.from !== undefined) where('time >= ?', filter.from);
  if (filter.to !== undefined) where('time < ?', filter.to);
  if (filter.event !== undefined && 'exact' in filter.event) where('event_type = ?', filter.event.exact);
  if (filter.outcome !== undefined) where('outcome = ?', filter.outcome);
  if (filter.subject !== undefined) where('subject = ?', filter.subject);
  if (filter.clientId !== undefined) where('client_id = ?', filter.clientId);
  if (filter.sourceIp !== undefined) where('source_ip = ?', filter.sourceIp);
  if (filter.route !== undefined) where('route = ?', filter.route);
  if (filter.traceId !== undefined) where('trace_id = ?', filter.traceId);
  if (filter.requestId !== undefined) where('request_id = ?', filter.requestId);
  if (filter.service !== undefined) where('service = ?', filter.service);
  return conditions;
}

function parsePage(input: unknown): {
  before: number | undefined;
  after: number | undefined;
  limit: number;
  order: 'newest' | 'oldest';
} {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new SearchFilterError('page', 'must be an object ({ before?, after?, limit?, order? })');
  }
  const known = new Set(['before', 'after', 'limit', 'order']);
  const values = new Map<string, unknown>();
  for (const [key, value] of Object.entries(input)) {
    if (!known.has(key))
      throw new SearchFilterError(key, 'is not a paging field (before, after, limit, order)');
    if (value !== undefined) values.set(key, value);
  }
  const seq = (field: string): number | undefined => {
    const value = values.get(field);
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      throw new SearchFilterError(field, 'must be a seq: an integer ≥ 0');
    }
    return value;
  };
  const limit = values.get('limit') ?? DEFAULT_SEARCH_LIMIT;
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1 || limit > MAX_SEARCH_LIMIT) {
    throw new SearchFilterError('limit', `must be an integer from 1 to ${MAX_SEARCH_LIMIT}`);
  }
  const order = values.get('order') ?? 'newest';
  if (order !== 'newest' && order !== 'oldest')
    throw new SearchFilterError('order', 'must be newest or oldest');
  return { before: seq('before'), after: seq('after'), limit, order };
}

function toHit(row: Row): SearchHit | undefined {
  const { seq, id, event } = row;
  if (typeof seq !== 'number' || typeof id !== 'string' || typeof event !== 'string') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(event);
  } catch {
    return undefined; // not JSON: tampering or damage, which `verifyLedger` names
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  return { seq, id, event: parsed as StoredEventJson };
}
