import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { maskCardNumbers } from './card-number.ts';

export type { Logger } from 'pino';

/** Keys whose values never reach a log, at the top level and one level down (`*.key`). */
export const REDACTED_KEYS = [
  'password',
  'token',
  'accessToken',
  'refreshToken',
  'idToken',
  'secret',
  'clientSecret',
  'apiKey',
  'authorization',
  'cookie',
  'cardNumber',
  'card_number',
  'pan',
  'cvv',
  'cvc',
  'expiry',
] as const;

const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
  ...REDACTED_KEYS.flatMap((key) => [key, `*.${key}`]),
];

export interface CreateLoggerOptions {
  /** Default `info`, or `RAMPART_LOG_LEVEL` when set by the caller. */
  readonly level?: string;
  /** Extra keys to redact, e.g. a service's `sensitive` fields. */
  readonly redact?: readonly string[];
  /** Where lines go; default stdout. Tests pass a stream to read them back. */
  readonly destination?: DestinationStream;
}

/**
 * A pino logger writing JSON lines, with secrets and card numbers removed: authorization and
 * cookie headers, keys such as `password`, `token`, `secret`, `cardNumber` (and any extra keys
 * given) become `[redacted]`, and Luhn-valid card numbers inside any string are masked.
 *
 * @example
 * const log = createLogger('orders', { redact: ['email', 'phone'] });
 * log.info({ orderId }, 'order created');
 */
export function createLogger(name: string, options: CreateLoggerOptions = {}): Logger {
  const extra = (options.redact ?? []).flatMap((key) => [key, `*.${key}`]);
  const config: LoggerOptions = {
    name,
    level: options.level ?? 'info',
    redact: { paths: [...new Set([...REDACTED_PATHS, ...extra])], censor: '[redacted]' },
    formatters: { log: (object) => maskDeep(object, 0) as Record<string, unknown> },
    serializers: { err: (error: Error) => maskDeep({ ...pino.stdSerializers.err(error) }, 0) },
    hooks: {
      logMethod(args, method) {
        const masked = args.map((arg: unknown) => (typeof arg === 'string' ? maskCardNumbers(arg) : arg));
        method.apply(this, masked as Parameters<typeof method>);
      },
    },
  };
  return options.destination === undefined ? pino(config) : pino(config, options.destination);
}

const MAX_DEPTH = 8;

function maskDeep(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return maskCardNumbers(value);
  if (typeof value !== 'object' || value === null || depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) return value.map((item: unknown) => maskDeep(item, depth + 1));
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = maskDeep(item, depth + 1);
  return out;
}

/** Class instances (errors, requests, replies) are left to pino's serializers. */
function isPlainObject(value: object): boolean {
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
