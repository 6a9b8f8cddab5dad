import type { TraceState } from '@opentelemetry/api';
import { TraceState as OtelTraceState } from '@opentelemetry/core';

const MAX_MEMBERS = 32;
/** W3C Trace Context §3.3.1: `key` (simple or `tenant@system`) and `value`. */
const KEY = /^(?:[a-z][a-z0-9_\-*/]{0,255}|[a-z0-9][a-z0-9_\-*/]{0,240}@[a-z][a-z0-9_\-*/]{0,13})$/;
const VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;

/**
 * Parses a `tracestate` header into an immutable `TraceState` (`@opentelemetry/core`'s), strictly:
 * a member with a bad key or value, a repeated key, or more than 32 members makes the whole header
 * `undefined` (the spec allows dropping it). Empty members (`a=1,,b=2`) are skipped, as the spec
 * asks. Only the validation is ours: core's parser drops a bad member and keeps the rest, and
 * keeps the first 32 of a longer list, so a header could mean something else to the next hop.
 *
 * @example
 * parseTraceState('rampart=abc,other=1')?.get('rampart'); // 'abc'
 */
export function parseTraceState(header: string): TraceState | undefined {
  const keys = new Set<string>();
  for (const member of header.split(',')) {
    const trimmed = member.trim();
    if (trimmed === '') continue;
    const equals = trimmed.indexOf('=');
    if (equals < 0) return undefined;
    const key = trimmed.slice(0, equals);
    const value = trimmed.slice(equals + 1);
    if (!KEY.test(key) || !VALUE.test(value) || keys.has(key)) return undefined;
    keys.add(key);
  }
  if (keys.size === 0 || keys.size > MAX_MEMBERS) return undefined;
  return new OtelTraceState(header);
}
