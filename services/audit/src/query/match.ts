import type { JsonValue } from '../ledger/canonical.ts';
import { normalizeIp, normalizeTime } from '../ledger/search-columns.ts';
import type { NormalizedFilter } from './filter.ts';

/** A stored event as JSON: the SDK's fields and `source`, the sender's SPIFFE ID. */
export type StoredEventJson = { readonly [key: string]: JsonValue };

const EQUAL_FIELDS = ['outcome', 'subject', 'clientId', 'route', 'traceId', 'requestId', 'service'] as const;

/**
 * Whether `event` (as stored: its canonical text parsed) has every field `filter` asks for. The
 * search columns are copies outside the hash; this reads the event itself, so a row whose columns
 * were edited is never returned for a filter its event does not match.
 */
export function eventMatches(filter: NormalizedFilter, event: StoredEventJson): boolean {
  for (const field of EQUAL_FIELDS) {
    const wanted = filter[field];
    if (wanted !== undefined && event[field] !== wanted) return false;
  }
  if (filter.event !== undefined) {
    const type = event['event'];
    if (typeof type !== 'string') return false;
    if ('exact' in filter.event ? type !== filter.event.exact : !type.startsWith(filter.event.prefix)) {
      return false;
    }
  }
  if (filter.sourceIp !== undefined) {
    const ip = event['sourceIp'];
    if (typeof ip !== 'string' || normalizeIp(ip) !== filter.sourceIp) return false;
  }
  if (filter.from !== undefined || filter.to !== undefined) {
    const raw = event['time'];
    const time = typeof raw === 'string' ? normalizeTime(raw) : undefined;
    if (time === undefined) return false;
    if (filter.from !== undefined && time < filter.from) return false;
    if (filter.to !== undefined && time >= filter.to) return false;
  }
  return true;
}
