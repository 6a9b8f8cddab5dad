import { RampartError } from '@rampart/errors';

/** Limits on the request target. Both are checked before any decoding work is done per byte. */
export interface PathLimits {
  /** Longest accepted request target (path and query), in characters. Default 8192. */
  readonly maxTargetLength?: number;
  /** Most non-empty path segments accepted. Default 128. */
  readonly maxSegments?: number;
}

export const DEFAULT_PATH_LIMITS = Object.freeze({ maxTargetLength: 8192, maxSegments: 128 });

/**
 * The one reading of a request target. `path` and `segments` are decoded exactly once;
 * `target` is the same path re-encoded canonically plus the raw query: it is what forwarding
 * sends upstream, so the upstream reads exactly the path every gateway stage read.
 */
export interface CanonicalPath {
  /** Decoded path: `/` + segments joined by `/`, plus a trailing `/` when the target had one. */
  readonly path: string;
  /** Decoded, non-empty segments. None contains `/`, so `path` splits back unambiguously. */
  readonly segments: readonly string[];
  /** The raw query after `?` (without it), validated but not decoded; `''` when absent. */
  readonly query: string;
  /** Canonical origin-form target for the upstream request: encoded path and raw query. */
  readonly target: string;
}

// Characters allowed literally in a path segment: RFC 3986 pchar (unreserved, sub-delims,
// ':' and '@') minus ';', which some servers read as the start of path parameters.
const LITERAL = new Uint8Array(128);
for (const ch of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,=:@") {
  LITERAL[ch.charCodeAt(0)] = 1;
}

const SLASH = 0x2f;
const PERCENT = 0x25;
const QUESTION = 0x3f;
const HASH = 0x23;

// Fatal: invalid and overlong UTF-8 throw. ignoreBOM: a leading U+FEFF stays in the segment
// instead of being silently dropped (which would make `%EF%BB%BFadmin` read as `admin`).
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

function bad(detail: string): RampartError {
  return new RampartError('GW_BAD_PATH', { detail });
}

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

/** Reads the escape at `at` (which holds `%`) in `text`, before `end`; -1 when malformed. */
function escapeAt(text: string, at: number, end: number): number {
  if (at + 2 >= end) return -1;
  const high = hexValue(text.charCodeAt(at + 1));
  const low = hexValue(text.charCodeAt(at + 2));
  return high < 0 || low < 0 ? -1 : high * 16 + low;
}

function isControl(code: number): boolean {
  return code < 0x20 || (code >= 0x7f && code <= 0x9f);
}

/** The detail for a character that may not appear literally in a path. */
function literalReason(code: number): string {
  if (code === 0) return 'NUL';
  if (isControl(code)) return `control character U+${code.toString(16).padStart(4, '0')}`;
  if (code === 0x5c) return 'backslash';
  if (code === 0x3b) return "';' (path parameter)";
  if (code === HASH) return "'#' (fragment)";
  if (code > 0x7e) return 'non-ASCII character that is not percent-encoded';
  return `character '${String.fromCharCode(code)}' not allowed in a path`;
}

/** The detail for a byte that may not be produced by a percent-escape, or undefined if fine. */
function escapedReason(byte: number): string | undefined {
  switch (byte) {
    case SLASH:
      return "encoded '/'";
    case 0x5c:
      return 'encoded backslash';
    case 0x2e:
      return "encoded '.'";
    case 0x3b:
      return "encoded ';'";
    case QUESTION:
      return "encoded '?'";
    case HASH:
      return "encoded '#'";
    case 0:
      return 'encoded NUL';
    default:
      return byte < 0x20 || byte === 0x7f ? 'encoded control character' : undefined;
  }
}

/** Checks a decoded segment containing non-ASCII; linear in its length. */
function checkUnicodeSegment(segment: string): void {
  for (let k = 0; k < segment.length; k++) {
    const code = segment.charCodeAt(k);
    if (code >= 0x80 && code <= 0x9f) throw bad('encoded C1 control character');
    if (code === 0x2028 || code === 0x2029) throw bad('encoded line or paragraph separator');
  }
  // Compatibility forms fold into delimiters in some backends and filesystems (U+FF0F '／',
  // U+FF0E '．', U+2025 '‥', U+FE68 '﹨' ...): refuse what NFKC turns into one.
  const folded = segment.normalize('NFKC');
  if (folded === '.' || folded === '..') throw bad('Unicode form of a dot-segment');
  for (let k = 0; k < folded.length; k++) {
    const code = folded.charCodeAt(k);
    if (
      code === SLASH ||
      code === 0x5c ||
      code === PERCENT ||
      code === 0x3b ||
      code === QUESTION ||
      code === HASH
    ) {
      throw bad('Unicode character that folds to a URL delimiter');
    }
  }
}

/** Rejects a decoded segment that still holds an escape: the target was encoded twice. */
function checkNotDoubleEncoded(segment: string): void {
  let at = segment.indexOf('%');
  while (at !== -1) {
    if (escapeAt(segment, at, segment.length) !== -1) throw bad('double percent-encoding');
    at = segment.indexOf('%', at + 1);
  }
}

/**
 * Percent-encodes one decoded segment canonically: pchar characters (except ';') stay literal,
 * every other byte of its UTF-8 becomes an upper-case escape. `canonicalPath` of the result
 * gives the segment back.
 *
 * @example
 * encodeSegment('café au lait'); // 'caf%C3%A9%20au%20lait'
 */
export function encodeSegment(segment: string): string {
  let out = '';
  for (const byte of utf8Encoder.encode(segment)) {
    out +=
      byte < 0x80 && LITERAL[byte] === 1
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function checkQuery(raw: string, start: number): void {
  let bytes: Uint8Array | undefined;
  let count = 0;
  for (let i = start; i < raw.length; i++) {
    const code = raw.charCodeAt(i);
    if (code === PERCENT) {
      const byte = escapeAt(raw, i, raw.length);
      if (byte === -1) throw bad('malformed percent-escape in query');
      if (byte === 0) throw bad('encoded NUL in query');
      if (byte >= 0x80) {
        bytes ??= new Uint8Array(raw.length - start);
        bytes[count++] = byte;
      } else if (bytes !== undefined) {
        bytes[count++] = byte;
      }
      i += 2;
    } else if (code === HASH) {
      throw bad("'#' (fragment) in query");
    } else if (code <= 0x20 || code >= 0x7f) {
      throw bad(code > 0x9f ? 'non-ASCII character in query' : 'control character or space in query');
    } else if (bytes !== undefined) {
      bytes[count++] = code;
    }
  }
  // Only bytes from the first non-ASCII escape on are kept: everything before is ASCII.
  if (bytes !== undefined) {
    try {
      utf8.decode(bytes.subarray(0, count));
    } catch {
      throw bad('query escapes are not valid UTF-8');
    }
  }
}

/**
 * Parses an origin-form request target once: the path is percent-decoded exactly once into
 * segments, with every form that could be read two ways refused, and the query is validated but
 * kept raw. Duplicate slashes collapse; dot-segments are refused (see the README).
 *
 * @throws RampartError `GW_URI_TOO_LONG` over the length or segment limit, `GW_BAD_PATH` otherwise.
 * @example
 * canonicalPath('/caf%C3%A9//menu?lang=fr');
 * // { path: '/café/menu', segments: ['café', 'menu'], query: 'lang=fr', target: '/caf%C3%A9/menu?lang=fr' }
 */
export function canonicalPath(rawTarget: string, limits: PathLimits = {}): CanonicalPath {
  if (typeof rawTarget !== 'string') throw new TypeError('canonicalPath: rawTarget must be a string');
  const maxTargetLength = limits.maxTargetLength ?? DEFAULT_PATH_LIMITS.maxTargetLength;
  const maxSegments = limits.maxSegments ?? DEFAULT_PATH_LIMITS.maxSegments;
  if (rawTarget.length > maxTargetLength) {
    throw new RampartError('GW_URI_TOO_LONG', {
      detail: `target of ${rawTarget.length} characters exceeds ${maxTargetLength}`,
    });
  }
  if (rawTarget.length === 0) throw bad('empty target');
  if (rawTarget === '*') throw bad('asterisk-form target');
  if (rawTarget.charCodeAt(0) !== SLASH)
    throw bad('target is not origin-form (absolute-form or authority-form)');

  const queryAt = rawTarget.indexOf('?');
  const pathEnd = queryAt === -1 ? rawTarget.length : queryAt;
  const segments: string[] = [];
  const bytes = new Uint8Array(pathEnd);
  let count = 0; // bytes in the current segment
  let nonAscii = false;
  let hasPercent = false;

  const finishSegment = (): void => {
    if (count === 0) return; // empty segment: duplicate slash, collapsed
    let segment: string;
    if (nonAscii) {
      try {
        segment = utf8.decode(bytes.subarray(0, count));
      } catch {
        throw bad('escapes are not valid UTF-8');
      }
      checkUnicodeSegment(segment);
    } else {
      segment = String.fromCharCode(...bytes.subarray(0, count));
    }
    if (segment === '.' || segment === '..') throw bad('dot-segment');
    if (hasPercent) checkNotDoubleEncoded(segment);
    if (segments.length === maxSegments) {
      throw new RampartError('GW_URI_TOO_LONG', { detail: `more than ${maxSegments} path segments` });
    }
    segments.push(segment);
    count = 0;
    nonAscii = false;
    hasPercent = false;
  };

  for (let i = 1; i < pathEnd; i++) {
    const code = rawTarget.charCodeAt(i);
    if (code === SLASH) {
      finishSegment();
    } else if (code === PERCENT) {
      const byte = escapeAt(rawTarget, i, pathEnd);
      if (byte === -1) throw bad('malformed percent-escape');
      const reason = escapedReason(byte);
      if (reason !== undefined) throw bad(reason);
      if (byte >= 0x80) nonAscii = true;
      if (byte === PERCENT) hasPercent = true;
      bytes[count++] = byte;
      i += 2;
    } else if (code < 0x80 && LITERAL[code] === 1) {
      bytes[count++] = code;
    } else {
      throw bad(literalReason(code));
    }
  }
  const trailingSlash = pathEnd > 1 && rawTarget.charCodeAt(pathEnd - 1) === SLASH && count === 0;
  finishSegment();
  if (queryAt !== -1) checkQuery(rawTarget, queryAt + 1);

  const query = queryAt === -1 ? '' : rawTarget.slice(queryAt + 1);
  const tail = trailingSlash && segments.length > 0 ? '/' : '';
  const encoded = `/${segments.map(encodeSegment).join('/')}${tail}`;
  return Object.freeze({
    path: `/${segments.join('/')}${tail}`,
    segments: Object.freeze(segments),
    query,
    target: query === '' ? encoded : `${encoded}?${query}`,
  });
}
