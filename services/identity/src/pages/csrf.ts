import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The hidden form field carrying the token. */
export const CSRF_FIELD = 'csrf';
/** The header carrying the token on JSON requests (the passkey script sets it). */
export const CSRF_HEADER = 'x-csrf-token';

/**
 * `__Secure-`: only an HTTPS response can set it. Not `__Host-`, which would force `Path=/` and so
 * send the token with every request to the gateway's origin (the APIs behind it included).
 */
const COOKIE = '__Secure-rampart-csrf';
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/**
 * The CSRF token for a page under `path`: the one the browser already holds for that path, or a
 * fresh 256-bit random one. Sets the cookie (Secure, HttpOnly, SameSite=Strict, scoped to `path`)
 * either way; the page puts the same value in a hidden field. See `interaction/README.md`.
 */
export function issueCsrfToken(req: IncomingMessage, res: ServerResponse, path: string): string {
  const held = cookieValues(req).find((value) => TOKEN_SHAPE.test(value));
  const token = held ?? randomBytes(32).toString('base64url');
  res.appendHeader('set-cookie', `${COOKIE}=${token}; Path=${path}; Secure; HttpOnly; SameSite=Strict`);
  return token;
}

/**
 * Whether a state-changing request comes from our own page: it is same-origin (below) AND the
 * token it presents (form field or header) equals, in constant time, a CSRF cookie the browser sent.
 */
export function csrfAccepted(req: IncomingMessage, presented: string | undefined, origin: string): boolean {
  if (!sameOrigin(req, origin)) return false;
  if (presented === undefined || !TOKEN_SHAPE.test(presented)) return false;
  const given = Buffer.from(presented);
  let match = false;
  for (const value of cookieValues(req)) {
    const held = Buffer.from(value);
    if (held.length === given.length && timingSafeEqual(held, given)) match = true;
  }
  return match;
}

/**
 * Same-origin check. A browser sends `Origin` with every POST, but as `null` when the page's
 * referrer policy is `no-referrer` (ours is): then `Sec-Fetch-Site: same-origin` must vouch for it.
 * Anything else — a foreign origin, `null` without fetch metadata, neither header — is refused.
 */
export function sameOrigin(req: IncomingMessage, origin: string): boolean {
  const header = req.headers.origin;
  if (header !== undefined && header !== 'null') return header === origin;
  return req.headers['sec-fetch-site'] === 'same-origin';
}

/** Every value of our cookie in the request (several paths may each hold one). */
function cookieValues(req: IncomingMessage): string[] {
  const values: string[] = [];
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === COOKIE) values.push(part.slice(eq + 1).trim());
  }
  return values;
}
