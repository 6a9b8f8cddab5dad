import { isIP } from 'node:net';
import type { SqlValue, Store } from '@rampart/sdk';
import type { JsonValue } from './canonical.ts';

/**
 * The columns `audit_entries` keeps beside each event so that a search can use indexes: copies of
 * the event's own fields, taken when it is appended. They are an index, not evidence — the hash
 * covers the canonical event text only, and a search re-checks every row it returns against that
 * text (`@rampart/audit`'s `searchEvents`).
 */
export interface SearchColumns {
  /** The event's `time` as `Date#toISOString` writes it (UTC, milliseconds): ordered as text. */
  readonly time: string | null;
  readonly event_type: string | null;
  readonly outcome: string | null;
  readonly subject: string | null;
  readonly client_id: string | null;
  /** The IP literal in one spelling per address ({@link normalizeIp}). */
  readonly source_ip: string | null;
  readonly route: string | null;
  readonly trace_id: string | null;
  readonly request_id: string | null;
  readonly service: string | null;
}

/** The columns in the order `INSERT` and `UPDATE` statements name them. */
export const SEARCH_COLUMN_NAMES = [
  'time',
  'event_type',
  'outcome',
  'subject',
  'client_id',
  'source_ip',
  'route',
  'trace_id',
  'request_id',
  'service',
] as const satisfies readonly (keyof SearchColumns)[];

/** `search_columns` of a row whose columns are filled (0: appended before they existed). */
export const SEARCH_COLUMNS_VERSION = 1;

const LONGEST_VALUE = 256;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/i;

/**
 * `time` as `Date#toISOString` writes it, or `undefined` when it is not an RFC 3339 date-time with
 * a zone (or a date alone, read as midnight UTC). Two spellings of one instant give one string.
 */
export function normalizeTime(value: string): string | undefined {
  if (!RFC3339.test(value) && !/^\d{4}-\d{2}-\d{2}$/.test(value)) return undefined;
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) return undefined;
  const iso = new Date(ms).toISOString();
  return iso.length === 24 ? iso : undefined;
}

/** An IP literal in one spelling (IPv6 compressed, lower case), or `undefined` if it is none. */
export function normalizeIp(value: string): string | undefined {
  if (value.length > 45) return undefined;
  switch (isIP(value)) {
    case 4:
      return value;
    case 6:
      try {
        return new URL(`http://[${value}]/`).hostname.slice(1, -1);
      } catch {
        return undefined; // a zone (`fe80::1%eth0`): not an address a client connects from
      }
    default:
      return undefined;
  }
}

/** The search columns of one event; a field that is absent, not a string or out of shape is null. */
export function searchColumns(event: JsonValue): SearchColumns {
  const record: { readonly [key: string]: JsonValue | undefined } = isRecord(event) ? event : {};
  const text = (key: string): string | null => {
    const value = record[key];
    return typeof value === 'string' && value.length <= LONGEST_VALUE ? value : null;
  };
  const time = text('time');
  const ip = text('sourceIp');
  return {
    time: time === null ? null : (normalizeTime(time) ?? null),
    event_type: text('event'),
    outcome: text('outcome'),
    subject: text('subject'),
    client_id: text('clientId'),
    source_ip: ip === null ? null : (normalizeIp(ip) ?? null),
    route: text('route'),
    trace_id: text('traceId'),
    request_id: text('requestId'),
    service: text('service'),
  };
}

/** The values of {@link SEARCH_COLUMN_NAMES}, in order, for a statement. */
export function searchColumnValues(columns: SearchColumns): SqlValue[] {
  return SEARCH_COLUMN_NAMES.map((name) => columns[name]);
}

/** Rows filled per transaction while back-filling. */
const BACKFILL_PAGE = 1000;

/**
 * Fills the search columns of entries appended before they existed (`search_columns = 0`), a page
 * at a time, from each entry's stored event text. Idempotent, and safe to run from two replicas at
 * once (both write the same values). A row whose text is not JSON gets null columns: no search
 * finds it, `verifyLedger` names it.
 */
export async function backfillSearchColumns(store: Store): Promise<number> {
  const assignments = SEARCH_COLUMN_NAMES.map((name) => `${name} = ?`).join(', ');
  let filled = 0;
  for (;;) {
    const rows = await store.all<{ seq: unknown; event: unknown }>(
      'SELECT seq, event FROM audit_entries WHERE search_columns = 0 ORDER BY seq LIMIT ?',
      [BACKFILL_PAGE],
    );
    if (rows.length === 0) return filled;
    await store.transaction(async (tx) => {
      for (const { seq, event } of rows) {
        if (typeof seq !== 'number' && typeof seq !== 'bigint') continue;
        const columns = searchColumns(parseEvent(event));
        await tx.run(
          `UPDATE audit_entries SET ${assignments}, search_columns = ? WHERE seq = ? AND search_columns = 0`,
          [...searchColumnValues(columns), SEARCH_COLUMNS_VERSION, seq],
        );
      }
    });
    filled += rows.length;
    // A row whose seq is not a number cannot be updated by seq: stop rather than loop on it.
    if (rows.some((row) => typeof row.seq !== 'number' && typeof row.seq !== 'bigint')) return filled;
  }
}

function isRecord(value: JsonValue): value is { readonly [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A stored event's text as JSON, or null when it is not text or not JSON (its columns are then null). */
export function parseEvent(text: unknown): JsonValue {
  if (typeof text !== 'string') return null;
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return null;
  }
}
