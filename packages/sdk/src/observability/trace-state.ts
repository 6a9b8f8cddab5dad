import type { TraceState } from '@opentelemetry/api';

const MAX_MEMBERS = 32;
/** W3C Trace Context §3.3.1: `key` (simple or `tenant@system`) and `value`. */
const KEY = /^(?:[a-z][a-z0-9_\-*/]{0,255}|[a-z0-9][a-z0-9_\-*/]{0,240}@[a-z][a-z0-9_\-*/]{0,13})$/;
const VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;

/**
 * Parses a `tracestate` header into an immutable `TraceState`, strictly: a member with a bad
 * key or value, a repeated key, or more than 32 members makes the whole header `undefined`
 * (the spec allows dropping it). Empty members (`a=1,,b=2`) are skipped, as the spec asks.
 *
 * @example
 * parseTraceState('rampart=abc,other=1')?.get('rampart'); // 'abc'
 */
export function parseTraceState(header: string): TraceState | undefined {
  const entries: [string, string][] = [];
  for (const member of header.split(',')) {
    const trimmed = member.trim();
    if (trimmed === '') continue;
    const equals = trimmed.indexOf('=');
    if (equals < 0) return undefined;
    const key = trimmed.slice(0, equals);
    const value = trimmed.slice(equals + 1);
    if (!KEY.test(key) || !VALUE.test(value) || entries.some(([k]) => k === key)) return undefined;
    entries.push([key, value]);
  }
  if (entries.length === 0 || entries.length > MAX_MEMBERS) return undefined;
  return traceState(entries);
}

/** An immutable TraceState over ordered members (most recently updated first). */
function traceState(entries: readonly (readonly [string, string])[]): TraceState {
  return {
    get: (key) => entries.find(([k]) => k === key)?.[1],
    set: (key, value) => {
      const updated: (readonly [string, string])[] = [[key, value], ...entries.filter(([k]) => k !== key)];
      return traceState(updated.slice(0, MAX_MEMBERS));
    },
    unset: (key) => traceState(entries.filter(([k]) => k !== key)),
    serialize: () => entries.map(([k, v]) => `${k}=${v}`).join(','),
  };
}
