import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { IncomingEvent } from './event-schema.ts';

const ajv = new Ajv({ allErrors: false, strict: true });
addFormats.default(ajv, ['uuid', 'date-time', 'ipv4', 'ipv6']);
const validate = ajv.compile<IncomingEvent>(IncomingEvent);

/** Largest event accepted from a message (an event of the SDK is well under 4 KiB). */
export const MAX_EVENT_BYTES = 16 * 1024;

/**
 * Parses and checks one event as it arrived outside an HTTP request (a NATS message): JSON, at most
 * {@link MAX_EVENT_BYTES}, and the event schema the HTTP ingest applies, formats included. Returns
 * the event, or why it is refused — never the value, which may be anything an attacker sent.
 *
 * @example
 * const checked = checkEvent(message.data);
 * if (!checked.ok) message.term(checked.reason);
 */
export function checkEvent(
  data: Uint8Array,
): { ok: true; event: IncomingEvent } | { ok: false; reason: string } {
  if (data.byteLength > MAX_EVENT_BYTES) return { ok: false, reason: 'too_large' };
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(data));
  } catch {
    return { ok: false, reason: 'not_json' };
  }
  if (!validate(value)) {
    const first = validate.errors?.[0];
    return {
      ok: false,
      reason: `schema: ${first?.instancePath ?? ''} ${first?.message ?? 'invalid'}`.trim(),
    };
  }
  return { ok: true, event: value };
}
