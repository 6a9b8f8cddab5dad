import { RampartError } from '@rampart/errors';
import { parseSearchFilter, SearchFilterError, type SearchField, type SearchFilter } from '../query/index.ts';

/** The filters every event operation takes, as `SearchFilter` names them. */
export const FILTER_PARAMS: readonly SearchField[] = [
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
];

/** A refused query: `AUDIT_BAD_QUERY` with the field named (shown to the client as `field`). */
export class BadQuery extends RampartError {
  readonly field: string;
  constructor(field: string, message: string) {
    super('AUDIT_BAD_QUERY', { detail: `${field}: ${message}` });
    this.name = 'BadQuery';
    this.field = field;
  }
}

/** Longest query string read (filters are short; a longer one is an attack or a mistake). */
const MAX_QUERY_LENGTH = 4096;

/**
 * The query of `rawUrl`, each parameter once and each one of `allowed`: a repeated or unknown one
 * is a {@link BadQuery} naming it.
 */
export function readQuery(rawUrl: string, allowed: readonly string[]): Map<string, string> {
  const at = rawUrl.indexOf('?');
  const text = at === -1 ? '' : rawUrl.slice(at + 1);
  if (text.length > MAX_QUERY_LENGTH)
    throw new BadQuery('query', `longer than ${MAX_QUERY_LENGTH} characters`);
  let params: URLSearchParams;
  try {
    params = new URLSearchParams(text);
  } catch {
    throw new BadQuery('query', 'is not a URL query');
  }
  const values = new Map<string, string>();
  for (const [name, value] of params) {
    const shown = name.length <= 32 && /^[A-Za-z]+$/.test(name) ? name : 'query';
    if (!allowed.includes(name))
      throw new BadQuery(shown, `is not a parameter of this operation (${allowed.join(', ')})`);
    if (values.has(name)) throw new BadQuery(name, 'is given more than once');
    if (!value.isWellFormed()) throw new BadQuery(name, 'must be well-formed Unicode');
    values.set(name, value);
  }
  return values;
}

/** The filter among `query`'s parameters, checked by the search's own parser. */
export function filterOf(query: ReadonlyMap<string, string>): SearchFilter {
  const filter: Record<string, string> = {};
  for (const name of FILTER_PARAMS) {
    const value = query.get(name);
    if (value !== undefined) filter[name] = value;
  }
  try {
    parseSearchFilter(filter);
  } catch (error) {
    if (error instanceof SearchFilterError)
      throw new BadQuery(error.field, error.message.slice(error.field.length + 2));
    throw error;
  }
  return filter;
}

/** `limit`: an integer from 1 to `max`, `fallback` when absent. */
export function limitOf(query: ReadonlyMap<string, string>, fallback: number, max: number): number {
  const raw = query.get('limit');
  if (raw === undefined) return fallback;
  const value = /^[1-9][0-9]{0,6}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(value >= 1 && value <= max)) throw new BadQuery('limit', `must be an integer from 1 to ${max}`);
  return value;
}

/** A seq given in the query or a header (`after`, `Last-Event-ID`): an integer ≥ 0. */
export function seqOf(field: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = /^(?:0|[1-9][0-9]{0,15})$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value)) throw new BadQuery(field, 'must be a seq: an integer ≥ 0');
  return value;
}

const CURSOR_PREFIX = 'v1.';

/** The opaque cursor for the page below `seq`. */
export function encodeCursor(seq: number): string {
  return Buffer.from(`${CURSOR_PREFIX}${seq}`, 'utf8').toString('base64url');
}

/** The seq a cursor names, or a {@link BadQuery} for anything this API did not hand out. */
export function decodeCursor(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const text =
    raw.length <= 64 && /^[A-Za-z0-9_-]+$/.test(raw) ? Buffer.from(raw, 'base64url').toString('utf8') : '';
  const match = /^v1\.([1-9][0-9]{0,15})$/.exec(text);
  const seq = match?.[1] === undefined ? Number.NaN : Number(match[1]);
  if (!Number.isSafeInteger(seq))
    throw new BadQuery('cursor', 'is not a cursor this API handed out (pass `next` back unchanged)');
  return seq;
}
