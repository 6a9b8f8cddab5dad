import { invalidRequest } from './admin-error.ts';
import type { ParameterDoc } from './route.ts';

/** The most items one page holds. */
export const MAX_LIMIT = 100;
/** Items per page when `limit` is absent. */
export const DEFAULT_LIMIT = 50;

const MAX_CURSOR = 512;
const CURSOR = /^[A-Za-z0-9_-]+$/;

/** The query parameters of every list operation, as declared (and documented) once. */
export const pagingQuery: Readonly<Record<'limit' | 'after', ParameterDoc>> = {
  limit: {
    description: `Items per page (default ${DEFAULT_LIMIT}).`,
    schema: { type: 'integer', minimum: 1, maximum: MAX_LIMIT },
  },
  after: { description: 'The `next` cursor of the previous page.', schema: { type: 'string' } },
};

/** What a list call asks for: `limit` items after the key the `after` cursor stands for. */
export interface PageRequest {
  readonly limit: number;
  /** The sort key of the last item of the previous page, or null for the first page. */
  readonly after: string | null;
}

/** One page of a list: the items, and the cursor of the next page (null on the last). */
export interface Page<T> {
  readonly items: readonly T[];
  readonly next: string | null;
}

/**
 * Reads `limit` (1–100, default 50) and `after` (a cursor returned as `next` by the previous
 * page) from the query; 400 naming the parameter otherwise. Cursors are opaque to callers: the
 * base64url of the sort key (keyset pagination, stable while items are added or removed).
 *
 * @example
 * const { limit, after } = pageRequest(new URLSearchParams('limit=20'));
 */
export function pageRequest(query: URLSearchParams): PageRequest {
  const limitText = query.get('limit');
  let limit = DEFAULT_LIMIT;
  if (limitText !== null) {
    limit = /^\d{1,3}$/.test(limitText) ? Number(limitText) : 0;
    if (limit < 1 || limit > MAX_LIMIT)
      throw invalidRequest(`limit: must be an integer from 1 to ${MAX_LIMIT}.`);
  }
  const cursor = query.get('after');
  return { limit, after: cursor === null ? null : decodeCursor(cursor) };
}

/** The cursor standing for a sort key. */
export function encodeCursor(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string {
  const fail = () => invalidRequest('after: is not a cursor returned by this API.');
  if (cursor.length === 0 || cursor.length > MAX_CURSOR || !CURSOR.test(cursor)) throw fail();
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(cursor, 'base64url'));
  } catch {
    throw fail();
  }
}

/**
 * A page of an in-memory list already sorted by `keyOf` (ascending, unique keys): the items after
 * `request.after`, at most `request.limit` of them.
 */
export function pageOf<T>(sorted: readonly T[], keyOf: (item: T) => string, request: PageRequest): Page<T> {
  const { after, limit } = request;
  const rest = after === null ? sorted : sorted.filter((item) => keyOf(item) > after);
  const items = rest.slice(0, limit);
  const last = items.at(-1);
  return { items, next: rest.length > limit && last !== undefined ? encodeCursor(keyOf(last)) : null };
}
