import { RampartError } from '@rampart/errors';

/** Limits on the request's header block. */
export interface HeaderLimits {
  /** Most header fields accepted. Default 100. */
  readonly maxHeaderCount?: number;
  /** Largest header block accepted, counted as `name: value\r\n` per field. Default 16 KiB. */
  readonly maxHeaderBytes?: number;
}

export const DEFAULT_HEADER_LIMITS = Object.freeze({ maxHeaderCount: 100, maxHeaderBytes: 16 * 1024 });

// RFC 9110 §5.6.2 tchar.
const TOKEN = new Uint8Array(128);
for (const ch of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") {
  TOKEN[ch.charCodeAt(0)] = 1;
}

/**
 * Fields Node keeps only the first of, or that decide framing, routing or identity: a second
 * copy means two parsers may disagree on which one counts, so any duplicate is refused.
 */
const SINGLETONS = new Set([
  'content-length',
  'transfer-encoding',
  'host',
  'authorization',
  'proxy-authorization',
  'content-type',
]);

/**
 * Fields whose underscore spelling (`content_length`) CGI-style backends (`HTTP_CONTENT_LENGTH`)
 * read as the real one: refused even alone, since no client has a reason to send them.
 */
const NO_UNDERSCORE_ALIAS = new Set([
  'content-length',
  'transfer-encoding',
  'content-type',
  'proxy-authorization',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-real-ip',
]);

function bad(detail: string): RampartError {
  return new RampartError('GW_BAD_HEADER', { detail });
}

function isToken(name: string): boolean {
  if (name.length === 0) return false;
  for (let k = 0; k < name.length; k++) {
    const code = name.charCodeAt(k);
    if (code >= 0x80 || TOKEN[code] !== 1) return false;
  }
  return true;
}

function checkValue(value: string, index: number, name: string): void {
  for (let k = 0; k < value.length; k++) {
    const code = value.charCodeAt(k);
    if (code === 0x0d || code === 0x0a)
      throw bad(`${name} (field ${index}): CR or LF in value (obs-fold or splitting)`);
    if (code === 0) throw bad(`${name} (field ${index}): NUL in value`);
    if ((code < 0x20 && code !== 0x09) || code === 0x7f)
      throw bad(`${name} (field ${index}): control character in value`);
  }
}

function isContentLength(value: string): boolean {
  if (value.length === 0 || value.length > 15) return false;
  for (let k = 0; k < value.length; k++) {
    const code = value.charCodeAt(k);
    if (code < 0x30 || code > 0x39) return false;
  }
  return true;
}

/**
 * Refuses request-smuggling shapes and malformed fields, reading Node's `rawHeaders` (name,
 * value, name, value …) so that duplicates Node would merge or drop are still seen: Content-Length
 * with Transfer-Encoding, a second Content-Length (even an equal one), Transfer-Encoding other
 * than exactly `chunked`, names that are not tokens, underscore aliases of framing fields, values
 * with CR, LF, NUL or other controls, and more or larger fields than the limits.
 *
 * @throws RampartError `GW_HEADERS_TOO_LARGE` over a limit, `GW_BAD_HEADER` otherwise.
 * @example
 * checkHeaders(req.rawHeaders); // throws on ['Content-Length', '5', 'Transfer-Encoding', 'chunked']
 */
export function checkHeaders(rawHeaders: readonly string[], limits: HeaderLimits = {}): void {
  if (rawHeaders.length % 2 !== 0) {
    throw new TypeError('checkHeaders: rawHeaders must be name/value pairs, as IncomingMessage.rawHeaders');
  }
  const maxCount = limits.maxHeaderCount ?? DEFAULT_HEADER_LIMITS.maxHeaderCount;
  const maxBytes = limits.maxHeaderBytes ?? DEFAULT_HEADER_LIMITS.maxHeaderBytes;
  const fieldCount = rawHeaders.length / 2;
  if (fieldCount > maxCount) {
    throw new RampartError('GW_HEADERS_TOO_LARGE', {
      detail: `${fieldCount} header fields exceed ${maxCount}`,
    });
  }
  let size = 0;
  for (const part of rawHeaders) size += part.length + 2; // ': ' or '\r\n'
  if (size > maxBytes) {
    throw new RampartError('GW_HEADERS_TOO_LARGE', {
      detail: `header block of ${size} bytes exceeds ${maxBytes}`,
    });
  }

  const seen = new Set<string>();
  const spellings = new Map<string, string>(); // '-' spelling → the lower-case spelling seen
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] ?? '';
    const value = rawHeaders[i + 1] ?? '';
    const index = i / 2;
    if (!isToken(name))
      throw bad(`field ${index}: name is not a token (obs-fold, space or invalid character)`);
    const lower = name.toLowerCase();
    checkValue(value, index, lower);

    const dashed = lower.replaceAll('_', '-');
    if (dashed !== lower && NO_UNDERSCORE_ALIAS.has(dashed))
      throw bad(`${lower}: underscore alias of ${dashed}`);
    const earlier = spellings.get(dashed);
    if (earlier === undefined) spellings.set(dashed, lower);
    else if (earlier !== lower) throw bad(`${earlier} and ${lower} differ only by '_' and '-'`);

    if (SINGLETONS.has(lower)) {
      if (seen.has(lower)) throw bad(`duplicate ${lower}`);
      seen.add(lower);
    }
    if (lower === 'content-length' && !isContentLength(value))
      throw bad('content-length is not a decimal length');
    if (lower === 'transfer-encoding' && value !== 'chunked')
      throw bad("transfer-encoding other than exactly 'chunked'");
  }
  if (seen.has('content-length') && seen.has('transfer-encoding')) {
    throw bad('content-length together with transfer-encoding');
  }
}
