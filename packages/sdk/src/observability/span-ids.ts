import { randomFillSync } from 'node:crypto';
import { INVALID_SPANID, INVALID_TRACEID } from '@opentelemetry/api';

/**
 * Random bytes for ids, refilled 4 KiB at a time: one `randomBytes(8)` costs a system call
 * (about 5 µs where the gateway was measured), a slice of this pool about 0.1 µs.
 * Span and trace ids are not secrets, but they come from the CSPRNG all the same, so a client
 * cannot predict the span its request will be parented to upstream — with or without an
 * OpenTelemetry SDK (the trace export gives its provider these, not the SDK's `Math.random` ids).
 * One pool per thread (a gateway worker has its own).
 */
const pool = Buffer.allocUnsafe(4096);
let offset = pool.length;

function randomHex(bytes: number): string {
  if (offset + bytes > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const hex = pool.toString('hex', offset, offset + bytes);
  offset += bytes;
  return hex;
}

/**
 * 32 lower-case hex digits, never the invalid all-zero id.
 *
 * @example
 * randomTraceId(); // '4bf92f3577b34da6a3ce929d0e0e4736'
 */
export function randomTraceId(): string {
  let id = randomHex(16);
  while (id === INVALID_TRACEID) id = randomHex(16);
  return id;
}

/**
 * 16 lower-case hex digits, never the invalid all-zero id.
 *
 * @example
 * randomSpanId(); // '00f067aa0ba902b7'
 */
export function randomSpanId(): string {
  let id = randomHex(8);
  while (id === INVALID_SPANID) id = randomHex(8);
  return id;
}
