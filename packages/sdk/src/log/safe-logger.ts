import {
  pino,
  type ChildLoggerOptions,
  type DestinationStream,
  type Level,
  type Logger,
  type LoggerOptions as PinoOptions,
} from 'pino';
import { currentTraceIds } from '../observability/trace-scope.ts';
import { Masker } from './masker.ts';

export type { Logger } from 'pino';

export interface CreateLoggerOptions {
  /**
   * Fields holding PII, from rampart.yaml's `sensitive` (`email`, `phone`, `address`, `name`):
   * a plain key matches that key at any depth, case and `_`/`-` aside; an entry with a `.` or `[`
   * is a pino redaction path (`req.body.email`, `*.card`). Their values are masked by kind
   * (`j***@e***.com`) when recognised, else `[redacted]`.
   */
  readonly sensitiveKeys?: readonly string[];
  /** Default `info`. */
  /** `trace` … `fatal`, or `silent`; anything else is a TypeError. Default `info`. */
  readonly level?: string;
  /** Where lines go; default stdout. Tests pass a stream to read lines back. */
  readonly destination?: DestinationStream;
  /** Longest string scanned per value (messages, stack traces included); the rest is dropped. Default 16 KiB. */
  readonly maxStringLength?: number;
  /**
   * Adds `traceId` and `spanId` of the current trace scope (`runInTraceScope`) to every line
   * logged inside one — for a component whose requests run in a scope rather than with a bound
   * request logger (identity). Default false: a line costs nothing more.
   */
  readonly traceScope?: boolean;
}

interface RequestLike {
  readonly method?: unknown;
  readonly url?: unknown;
  readonly host?: unknown;
  readonly ip?: unknown;
  readonly headers?: Record<string, unknown>;
  readonly socket?: { readonly remoteAddress?: unknown; readonly remotePort?: unknown } | null;
}

/**
 * A pino logger that never writes a secret or PII. Every value on its way to a line is masked
 * (see `maskText` and `Masker`): the message and its format arguments, the logged object at any
 * depth (keys included), errors with their stack and `cause` chain, child bindings, and the
 * `req`/`res` objects Fastify logs (only method, URL — masked —, host and peer are kept).
 * Configured `sensitiveKeys` and secret-like keys (`password`, `token`, `authorization`,
 * `cookie`, `apiKey`, `cardNumber`, `cvv`…) are masked by kind or redacted.
 *
 * Child loggers keep all of this: their bindings are masked, and so is the output of any
 * serializer or log formatter given to `child()`.
 *
 * @example
 * const log = createLogger('profiles', { sensitiveKeys: ['email', 'phone', 'address', 'name'] });
 * log.info({ user: { email: 'jane@example.com' } }, 'profile updated');
 * // … "user":{"email":"j***@e***.com"},"msg":"profile updated"
 */
export function createLogger(name: string, options: CreateLoggerOptions = {}): Logger {
  const keys = options.sensitiveKeys ?? [];
  const paths = keys.filter((key) => key.includes('.') || key.includes('['));
  const masker = new Masker({
    sensitiveKeys: keys.filter((key) => !paths.includes(key)),
    ...(options.maxStringLength === undefined ? {} : { maxStringLength: options.maxStringLength }),
  });
  const text = (value: unknown): unknown =>
    typeof value === 'string' ? masker.text(value) : masker.value(value);

  const own = new WeakSet<object>();
  const mark = <T extends object>(fn: T): T => {
    own.add(fn);
    return fn;
  };
  const maskOutput = (serialize: unknown): unknown =>
    typeof serialize !== 'function' || own.has(serialize)
      ? serialize
      : mark((value: unknown) => masker.value((serialize as (value: unknown) => unknown)(value)));

  const config: PinoOptions = {
    name,
    level: checkLevel(options.level ?? 'info'),
    formatters: {
      // pino calls `hasOwnProperty` on bindings: a masked copy gets a prototype back. The logger's
      // own name is kept even when `name` is a sensitive key.
      bindings: (bindings) => {
        const masked = maskBindings(bindings);
        return masked === bindings ? bindings : { ...masked, name };
      },
      log: (object) => masker.value(object) as Record<string, unknown>,
    },
    serializers: {
      msg: mark(text),
      err: mark((value: unknown) => (value instanceof Error ? masker.value(value) : value)),
      req: mark((request: RequestLike) => masker.value(serializeRequest(request))),
      res: mark((reply: { readonly statusCode?: unknown }) => ({ statusCode: reply.statusCode })),
    },
    hooks: {
      logMethod(args, method) {
        // Objects given to %o/%j/%O are masked with their keys, before pino formats them into the message.
        const first = typeof args[0] === 'string' ? 1 : 2;
        for (let i = first; i < args.length; i += 1) {
          const arg: unknown = args[i];
          if (typeof arg === 'object' && arg !== null) args[i] = masker.value(arg);
        }
        method.apply(this, args);
      },
    },
    ...(paths.length === 0 ? {} : { redact: { paths, censor: (value: unknown) => masker.sensitive(value) } }),
    // A fresh object each time: pino merges the line's fields into what the mixin returns.
    ...(options.traceScope === true ? { mixin: traceScopeFields } : {}),
  };
  const logger = options.destination === undefined ? pino(config) : pino(config, options.destination);

  // pino does not pass child bindings through `formatters.bindings`: mask them here, and the output
  // of serializers or a log formatter given to a child (Fastify gives its own). Grandchildren
  // inherit this `child`.
  const child: unknown = Reflect.get(logger, 'child');
  Object.defineProperty(logger, 'child', {
    value: function maskedChild(
      this: Logger,
      bindings: Record<string, unknown>,
      childOptions?: ChildOptions,
    ) {
      return Reflect.apply(child as (...args: unknown[]) => Logger, this, [
        maskBindings(bindings),
        maskChildOptions(childOptions),
      ]);
    },
  });
  function maskBindings(bindings: Record<string, unknown>): Record<string, unknown> {
    const masked = masker.value(bindings);
    return masked === bindings ? bindings : { ...(masked as Record<string, unknown>) };
  }
  function maskChildOptions(childOptions: ChildOptions | undefined): ChildOptions | undefined {
    if (childOptions === undefined) return childOptions;
    const out: ChildOptions = { ...childOptions };
    if (childOptions.serializers !== undefined) {
      out.serializers = Object.fromEntries(
        Object.entries(childOptions.serializers).map(([key, serialize]) => [key, maskOutput(serialize)]),
      ) as NonNullable<ChildOptions['serializers']>;
    }
    const log = childOptions.formatters?.log;
    if (log !== undefined) {
      out.formatters = {
        ...childOptions.formatters,
        log: (object) => masker.value(log(object)) as Record<string, unknown>,
      };
    }
    return out;
  }
  return logger;
}

type ChildOptions = ChildLoggerOptions;

/** The current trace scope's ids, for a line (pino's `mixin`). */
function traceScopeFields(): Record<string, string> {
  const ids = currentTraceIds();
  return ids === undefined ? {} : { traceId: ids.traceId, spanId: ids.spanId };
}

/** The fields Fastify's own request serializer keeps, from a Fastify request or a Node one. */
function serializeRequest(request: RequestLike): Record<string, unknown> {
  return {
    method: request.method,
    url: request.url,
    host: request.host ?? request.headers?.['host'],
    remoteAddress: request.ip ?? request.socket?.remoteAddress,
    remotePort: request.socket?.remotePort,
  };
}

const LEVELS: readonly string[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

function checkLevel(level: string): Level | 'silent' {
  if (!LEVELS.includes(level)) throw new TypeError(`log level "${level}" is not one of ${LEVELS.join(', ')}`);
  return level as Level | 'silent';
}
