import type { IncomingHttpHeaders } from 'node:http';
import { AdminError, invalidRequest } from './admin-error.ts';
import { readAtMost, type BodySource } from '../http/read-at-most.ts';

export type { BodySource };

/** The largest request body the admin API reads: 64 KiB. */
export const MAX_BODY_BYTES = 64 * 1024;

/** Keys that would reach an object's prototype if the parsed value were ever merged or spread. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** True when the request announces a body (a length above zero, or a transfer coding). */
export function hasBody(headers: IncomingHttpHeaders): boolean {
  const length = headers['content-length'];
  if (length !== undefined) return length !== '0';
  return headers['transfer-encoding'] !== undefined;
}

/**
 * Reads a JSON request body, or returns `undefined` when there is none. Refuses, before any work:
 * a media type other than `application/json` (415), a declared length above `limit` (413, without
 * reading a byte); and while reading: more bytes than `limit` (413, reading stops at once),
 * invalid UTF-8 or JSON (400), and any `__proto__`, `constructor` or `prototype` key at any depth
 * (400), so the value can be handled as plain data.
 *
 * @example
 * const body = await readJsonBody(req); // unknown: validate it against the route's schema next
 */
export async function readJsonBody(req: BodySource, limit = MAX_BODY_BYTES): Promise<unknown> {
  if (!hasBody(req.headers)) return undefined;
  if (!isJson(req.headers['content-type'])) {
    throw new AdminError(415, 'unsupported_media_type', 'The body must be application/json (UTF-8).');
  }
  const declared = req.headers['content-length'];
  if (declared !== undefined && !(/^\d{1,12}$/.test(declared) && Number(declared) <= limit)) {
    throw tooLarge(limit);
  }
  const bytes = await readAtMost(req, limit, () => tooLarge(limit));
  if (bytes.length === 0) return undefined;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw invalidRequest('The body is not valid UTF-8.');
  }
  return parseJsonSafely(text);
}

/**
 * `JSON.parse`, refusing `__proto__`, `constructor` and `prototype` keys anywhere (400), and
 * turning every parse failure (including absurd nesting) into a 400 without echoing the input.
 */
export function parseJsonSafely(text: string): unknown {
  try {
    return JSON.parse(text, (key, value: unknown) => {
      if (FORBIDDEN_KEYS.has(key)) throw new ForbiddenKey(key);
      return value;
    });
  } catch (error) {
    if (error instanceof ForbiddenKey) throw invalidRequest(`${error.key}: this key is not allowed.`);
    throw invalidRequest('The body is not valid JSON.');
  }
}

class ForbiddenKey extends Error {
  readonly key: string;
  constructor(key: string) {
    super('forbidden key');
    this.key = key;
  }
}

function isJson(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const [type = '', ...parameters] = contentType.split(';').map((part) => part.trim().toLowerCase());
  if (type !== 'application/json') return false;
  return parameters.every((parameter) => parameter === '' || /^charset="?utf-8"?$/.test(parameter));
}

function tooLarge(limit: number): AdminError {
  return new AdminError(413, 'request_too_large', `The body must be at most ${limit} bytes.`);
}
