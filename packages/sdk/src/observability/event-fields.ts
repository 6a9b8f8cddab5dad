import { isIP } from 'node:net';

/**
 * The shapes of a security event's fields. Each is a closed pattern that a token, a password, an
 * e-mail address or prose cannot fit, so a programmer passing the wrong value gets a `TypeError`
 * instead of writing it. The user agent is the exception: attacker-controlled, so it is cleaned and
 * bounded ({@link cleanUserAgent}), never refused.
 */

export const EVENT = /^[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+$/;
export const MAX_EVENT_LENGTH = 64;
/** An UPPER_SNAKE code or lower_snake words; no digits in a lower-case run, so no hex token fits. */
export const REASON = /^(?:[A-Z]+(?:_[A-Z0-9]+)*|[a-z]+(?:_[a-z]+)*)$/;
export const MAX_REASON_LENGTH = 64;
/** A SPIFFE ID or a service name. */
export const PEER = /^(?:spiffe:\/\/[a-z0-9.-]+(?:\/[A-Za-z0-9._-]+)+|[a-z][a-z0-9-]{0,62})$/;
export const MAX_PEER_LENGTH = 256;
export const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
export const TRACE_ID = /^[0-9a-f]{32}$/;
/** An OAuth client id as rampart.yaml's `identity.clients[].id` and the admin API take it. */
export const CLIENT_ID = /^[a-z][a-z0-9-]{0,62}$/;
/**
 * A route template: a method and a path as rampart.yaml writes it (parameters as `{name}`), e.g.
 * `GET /orders/{id}` — never a concrete path, which may hold an id or an e-mail address.
 */
export const ROUTE =
  /^(?:GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) \/(?:[A-Za-z0-9._~-]+|\{[A-Za-z][A-Za-z0-9]*\})?(?:\/(?:[A-Za-z0-9._~-]+|\{[A-Za-z][A-Za-z0-9]*\}))*$/;
export const MAX_ROUTE_LENGTH = 256;
/** IP literals only: no zone (`%eth0`), nothing around. */
const IP_CHARACTERS = /^[0-9A-Fa-f:.]{2,45}$/;
/** An event id: a random (version 4) UUID, lower case. */
export const EVENT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
/** `ps_` + 128 bits, base64url. */
export const PSEUDONYM = /^ps_[A-Za-z0-9_-]{22}$/;
export const MAX_SUBJECT_LENGTH = 1024;
export const MAX_USER_AGENT_LENGTH = 256;

/** An IPv4 or IPv6 literal as `node:net` reads it, without a zone. */
export function isIpLiteral(value: string): boolean {
  return IP_CHARACTERS.test(value) && isIP(value) !== 0;
}

/**
 * Control characters (C0, DEL, C1), line and paragraph separators, and the bidirectional
 * embeddings, overrides and isolates that could make a log line read other than it is.
 */
// eslint-disable-next-line no-control-regex -- removing control characters is the point
const UNSAFE_IN_TEXT = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * `value` with every control or bidirectional character replaced by `replacement`: safe to print
 * on a terminal or in a log line whatever wrote it.
 *
 * @example
 * replaceUnsafeText('ok\u001b[2J', '?'); // 'ok?[2J'
 */
export function replaceUnsafeText(value: string, replacement: string): string {
  return value.replace(UNSAFE_IN_TEXT, replacement);
}

/**
 * The user agent as it may be recorded: unsafe characters removed, lone surrogates replaced, at
 * most {@link MAX_USER_AGENT_LENGTH} UTF-16 units (a pair is never cut in half).
 *
 * @example
 * cleanUserAgent('curl/8.5\r\nX-Injected: 1'); // 'curl/8.5X-Injected: 1'
 */
export function cleanUserAgent(value: string): string {
  const cleaned = replaceUnsafeText(value, '').toWellFormed();
  if (cleaned.length <= MAX_USER_AGENT_LENGTH) return cleaned;
  const cut = cleaned.slice(0, MAX_USER_AGENT_LENGTH);
  const last = cut.charCodeAt(MAX_USER_AGENT_LENGTH - 1);
  return last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut;
}
