import { RampartError } from '@rampart/errors';

/** The request field of draft-ietf-httpapi-idempotency-key-header, in Node's lower case. */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';

/** Longest key accepted, in characters (between the quotes, unescaped). */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

/** An RFC 8941 sf-string: printable ASCII in double quotes, `"` and `\` escaped by a backslash. */
const SF_STRING = /^"((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*)"$/;

/**
 * The key of an `Idempotency-Key` field, or `undefined` when there is none. The draft makes the
 * field an RFC 8941 Item whose value is a String (`Idempotency-Key: "8e03978e-…"`); anything else —
 * a bare token, parameters, a list, two fields (which Node joins with a comma), an empty key, one
 * longer than 255 characters — is `SDK_IDEMPOTENCY_KEY_INVALID`. Leading and trailing spaces are
 * dropped, as RFC 8941 parsing does.
 *
 * @example
 * parseIdempotencyKey('"order-42"'); // 'order-42'
 * parseIdempotencyKey('order-42'); // throws SDK_IDEMPOTENCY_KEY_INVALID (not a String)
 */
export function parseIdempotencyKey(field: string | readonly string[] | undefined): string | undefined {
  if (field === undefined) return undefined;
  if (typeof field !== 'string') throw invalid('the field is sent more than once');
  const match = SF_STRING.exec(field.replace(/^ +| +$/g, ''));
  if (match?.[1] === undefined) throw invalid('the value is not one RFC 8941 String, e.g. "8e03978e-…"');
  const key = match[1].replace(/\\(["\\])/g, '$1');
  if (key.length === 0) throw invalid('the key is empty');
  if (key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    throw invalid(`the key is longer than ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`);
  }
  return key;
}

/**
 * The field value carrying `key`, for a client. A key that cannot be sent (empty, too long, not
 * printable ASCII) is a `TypeError`.
 *
 * @example
 * headers['idempotency-key'] = formatIdempotencyKey(`order-${orderId}`); // '"order-…"'
 */
export function formatIdempotencyKey(key: string): string {
  if (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH || !/^[\x20-\x7e]*$/.test(key)) {
    throw new TypeError(
      `an idempotency key is 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} printable ASCII characters (a UUID is ideal)`,
    );
  }
  return `"${key.replace(/["\\]/g, '\\$&')}"`;
}

function invalid(detail: string): RampartError {
  return new RampartError('SDK_IDEMPOTENCY_KEY_INVALID', { detail: `Idempotency-Key: ${detail}` });
}
