import canonicalize from 'canonicalize';

/** A JSON value as `JSON.parse` returns it: what an audit event is made of. */
export type JsonValue =
  string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/**
 * The RFC 8785 (JCS) serialization of `value`: object members sorted by UTF-16 code units, no
 * whitespace, numbers and strings as ECMAScript serializes them. The bytes that are hashed are the
 * UTF-8 encoding of this string. Throws a `TypeError` for what JCS cannot represent (NaN, Infinity,
 * a lone surrogate, a cycle).
 *
 * @example
 * canonicalJson({ b: 1, a: [true, 'x'] }); // '{"a":[true,"x"],"b":1}'
 */
export function canonicalJson(value: JsonValue): string {
  let text: string | undefined;
  try {
    text = canonicalize(value);
  } catch (cause) {
    throw new TypeError('an audit event must be JSON that RFC 8785 can canonicalize', { cause });
  }
  if (text === undefined) throw new TypeError('an audit event must be a JSON value');
  return text;
}

/**
 * The canonical text of the entry `{ seq, id, event }` whose event is already canonical text:
 * `{"event":<event>,"id":<id>,"seq":<seq>}` — exactly `canonicalJson({ seq, id, event })`, since the
 * three keys are already in JCS order, built without parsing the event again.
 */
export function entryText(seq: number, id: string, eventText: string): string {
  return `{"event":${eventText},"id":${canonicalJson(id)},"seq":${seq}}`;
}
