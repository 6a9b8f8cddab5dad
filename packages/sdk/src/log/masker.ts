import { DEFAULT_MAX_STRING_LENGTH, isMask, maskText, maskWhole } from './mask-text.ts';
import { REVEALING_KINDS, luhnDigits } from './patterns.ts';
import {
  KEY_CREDENTIAL,
  KEY_NORMAL,
  keySensitivity,
  normalizeKey,
  type KeySensitivity,
} from './sensitive-keys.ts';

export interface MaskerOptions {
  /** Keys whose values are PII wherever they appear (rampart.yaml's `sensitive`): `email`, `phone`… */
  readonly sensitiveKeys?: readonly string[];
  /** Longest string scanned; the rest is dropped and counted. Default 16 KiB. */
  readonly maxStringLength?: number;
  /** Deepest nesting walked (the top object is depth 0); deeper values become `[depth limit]`. Default 10. */
  readonly maxDepth?: number;
  /** Most entries kept per object or array; the rest are dropped and counted. Default 50. */
  readonly maxWidth?: number;
  /** Most values visited per call, whatever their shape. Default 5000. */
  readonly maxNodes?: number;
}

export const REDACTED = '[redacted]';

interface KeyInfo {
  readonly key: string;
  readonly sensitivity: KeySensitivity;
}

/** Keys seen are remembered (they repeat from line to line); past this many, they are recomputed. */
const KEY_CACHE_LIMIT = 4096;

/** Written by `#error` itself, not copied from the error's own properties. */
const ERROR_OWN_KEYS = new Set(['type', 'message', 'stack', 'name', 'cause', 'errors']);

/**
 * W3C Trace Context ids under the keys every component logs them with: kept as they are, so
 * `rampart logs --trace` finds each line of a request. Only the exact shapes (lower-case hex of
 * the fixed length) are kept; anything else under these keys is masked like any value. A random
 * hex id holds a run of digits now and then, which the card detector would otherwise take for a
 * card number and mask, breaking the correlation.
 */
const TRACE_ID_KEYS: ReadonlyMap<string, RegExp> = new Map([
  ['traceId', /^[0-9a-f]{32}$/],
  ['spanId', /^[0-9a-f]{16}$/],
  ['parentSpanId', /^[0-9a-f]{16}$/],
]);

/** Integers this large or larger are checked as card numbers (13 digits and up). */
const SMALLEST_CARD = 1e12;

/**
 * Masks secrets and PII in any value, as a logger needs: strings by `maskText`, values under
 * secret-like or configured keys by kind or as `[redacted]`, keys themselves, errors (message,
 * stack, own properties, `cause`), arrays and objects at any depth — with a cap on depth, width,
 * string length and values visited. Unchanged parts are returned as they were (no copy).
 */
export class Masker {
  readonly #sensitive: ReadonlySet<string>;
  readonly #maxStringLength: number;
  readonly #maxDepth: number;
  readonly #maxWidth: number;
  readonly #maxNodes: number;
  readonly #keys = new Map<string, KeyInfo>();
  readonly #ancestors: object[] = [];
  #budget = 0;

  constructor(options: MaskerOptions = {}) {
    this.#sensitive = new Set((options.sensitiveKeys ?? []).map(normalizeKey));
    this.#maxStringLength = options.maxStringLength ?? DEFAULT_MAX_STRING_LENGTH;
    this.#maxDepth = options.maxDepth ?? 10;
    this.#maxWidth = options.maxWidth ?? 50;
    this.#maxNodes = options.maxNodes ?? 5000;
    for (const [name, limit] of [
      ['maxStringLength', this.#maxStringLength],
      ['maxDepth', this.#maxDepth],
      ['maxWidth', this.#maxWidth],
      ['maxNodes', this.#maxNodes],
    ] as const) {
      if (!Number.isSafeInteger(limit) || limit < 1) {
        throw new TypeError(`${name} must be a positive integer, got ${String(limit)}`);
      }
    }
  }

  /** `maskText` with this masker's string limit. */
  text(text: string): string {
    return maskText(text, this.#maxStringLength);
  }

  /** The masked form of `value`; `value` itself when nothing in it needed masking. */
  value(value: unknown): unknown {
    const budget = this.#budget;
    this.#budget = this.#maxNodes;
    try {
      return this.#walk(value, 0);
    } finally {
      this.#budget = budget;
    }
  }

  /** The masked form of a value known to be sensitive (a configured path): by kind, else `[redacted]`. */
  sensitive(value: unknown): unknown {
    return this.#sensitiveValue(value, 2);
  }

  #walk(value: unknown, depth: number): unknown {
    switch (typeof value) {
      case 'string':
        return maskText(value, this.#maxStringLength);
      case 'number':
        return value >= SMALLEST_CARD && Number.isSafeInteger(value)
          ? maskCardInteger(String(value), value)
          : value;
      case 'bigint':
        return maskCardInteger(value.toString(), value);
      case 'object':
        break;
      case 'boolean':
      case 'undefined':
      case 'symbol':
      case 'function':
        return value;
    }
    if (value === null) return value;
    if ((this.#budget -= 1) < 0) return '[value limit]';
    if (depth >= this.#maxDepth) return '[depth limit]';
    if (this.#ancestors.includes(value)) return '[Circular]';
    if (value instanceof Date || value instanceof ArrayBuffer || ArrayBuffer.isView(value)) return value;
    if (value instanceof Map || value instanceof Set || value instanceof RegExp) return value;
    this.#ancestors.push(value);
    try {
      if (value instanceof Error) return this.#error(value, depth);
      if (Array.isArray(value)) return this.#array(value, depth);
      const toJSON: unknown = (value as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') return this.#walk(callToJSON(toJSON, value), depth + 1);
      return this.#object(value as Record<string, unknown>, depth);
    } finally {
      this.#ancestors.pop();
    }
  }

  #array(array: readonly unknown[], depth: number): unknown {
    let out: unknown[] | undefined;
    const length = Math.min(array.length, this.#maxWidth);
    for (let i = 0; i < length; i += 1) {
      const item = array[i];
      const masked = this.#walk(item, depth + 1);
      if (out === undefined && masked !== item) out = array.slice(0, i);
      out?.push(masked);
    }
    if (array.length <= length) return out ?? array;
    out ??= array.slice(0, length);
    out.push(`[${array.length - length} more items]`);
    return out;
  }

  #object(object: Record<string, unknown>, depth: number): unknown {
    let out: Record<string, unknown> | undefined;
    let count = 0;
    for (const key in object) {
      if (!Object.hasOwn(object, key)) continue;
      if (count === this.#maxWidth) {
        out ??= copyUntil(object, key);
        out['…'] = `${Object.keys(object).length - count} more keys`;
        break;
      }
      count += 1;
      const item = object[key];
      if (typeof item === 'string' && TRACE_ID_KEYS.get(key)?.test(item) === true) {
        if (out !== undefined) out[key] = item;
        continue;
      }
      const info = this.#keyInfo(key);
      const masked =
        info.sensitivity === KEY_NORMAL
          ? this.#walk(item, depth + 1)
          : this.#sensitiveValue(item, info.sensitivity);
      if (out === undefined) {
        if (masked === item && info.key === key) continue;
        out = copyUntil(object, key);
      }
      let name = info.key;
      for (let n = 2; name !== key && Object.hasOwn(out, name); n += 1) name = `${info.key}#${n}`;
      out[name] = masked;
    }
    return out ?? object;
  }

  #error(error: Error, depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    out['type'] = error.constructor.name === 'Error' ? error.name : error.constructor.name;
    out['message'] = maskText(error.message, this.#maxStringLength);
    if (typeof error.stack === 'string') out['stack'] = maskText(error.stack, this.#maxStringLength);
    const own: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    for (const key in error) {
      if (Object.hasOwn(error, key) && !ERROR_OWN_KEYS.has(key))
        own[key] = (error as unknown as Record<string, unknown>)[key];
    }
    Object.assign(out, this.#object(own, depth));
    if (error.cause !== undefined) out['cause'] = this.#walk(error.cause, depth + 1);
    if (error instanceof AggregateError && Array.isArray(error.errors)) {
      out['errors'] = this.#walk(error.errors, depth + 1);
    }
    return out;
  }

  #sensitiveValue(value: unknown, sensitivity: KeySensitivity): unknown {
    switch (typeof value) {
      case 'undefined':
      case 'boolean':
        return value;
      case 'string':
        return maskSensitiveString(value, sensitivity);
      case 'number':
      case 'bigint':
        return sensitivity === KEY_CREDENTIAL ? REDACTED : maskSensitiveString(value.toString(), sensitivity);
      case 'object':
        if (value === null) return value;
        if (Array.isArray(value)) {
          return value
            .slice(0, this.#maxWidth)
            .map((item: unknown) => this.#sensitiveValue(item, sensitivity));
        }
        return REDACTED;
      case 'symbol':
      case 'function':
        return REDACTED;
    }
  }

  #keyInfo(key: string): KeyInfo {
    const known = this.#keys.get(key);
    if (known !== undefined) return known;
    const info: KeyInfo = { key: maskText(key, 256), sensitivity: keySensitivity(key, this.#sensitive) };
    if (this.#keys.size < KEY_CACHE_LIMIT) this.#keys.set(key, info);
    return info;
  }
}

function maskSensitiveString(value: string, sensitivity: KeySensitivity): string {
  if (isMask(value)) return value;
  const whole = maskWhole(value);
  if (whole === null) return REDACTED;
  if (sensitivity === KEY_CREDENTIAL && REVEALING_KINDS.has(whole.kind)) return REDACTED;
  return whole.mask;
}

function maskCardInteger(digits: string, value: number | bigint): string | number | bigint {
  const first = digits.charCodeAt(0);
  if (digits.length < 13 || digits.length > 19 || first < 50 || first > 54 || !luhnDigits(digits))
    return value;
  return `**** ${digits.slice(-4)}`;
}

function callToJSON(toJSON: unknown, value: object): unknown {
  try {
    return (toJSON as (this: object) => unknown).call(value);
  } catch {
    return '[toJSON failed]';
  }
}

/** A null-prototype copy of `object`'s own enumerable entries before `stop` (a `__proto__` key stays data). */
function copyUntil(object: Record<string, unknown>, stop: string): Record<string, unknown> {
  const out = Object.create(null) as Record<string, unknown>;
  for (const key in object) {
    if (key === stop) break;
    if (Object.hasOwn(object, key)) out[key] = object[key];
  }
  return out;
}
