import {
  context as contextApi,
  isSpanContextValid,
  ROOT_CONTEXT,
  trace,
  type Context,
  type SpanContext,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
} from '@opentelemetry/api';
import { parseTraceParent } from '@opentelemetry/core';
import { parseTraceState } from './trace-state.ts';

export const TRACEPARENT = 'traceparent';
export const TRACESTATE = 'tracestate';

/** Version 00 exactly: lower-case hex only, fixed lengths, nothing before or after. */
const TRACEPARENT_00 = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
const MAX_TRACESTATE_LENGTH = 512;

/** Incoming headers as Node and Fastify give them. */
export type IncomingHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * Parses a W3C Trace Context `traceparent` header strictly: version `00`, a 32-hex trace id and
 * a 16-hex parent id that are not all zeros, 2-hex flags, lower case, nothing else. Anything
 * else — another version, upper case, wrong lengths, surrounding spaces, several headers — is
 * `undefined`, and the request starts a new trace. The fields are read by `@opentelemetry/core`'s
 * `parseTraceParent`; the grammar check in front of it is ours, because core also takes future
 * versions with trailing fields, one space around the value, and (in its propagator) the first of
 * several headers — readings another hop might not share.
 *
 * @example
 * parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
 * // { traceId: '4bf9…4736', spanId: '00f0…02b7', traceFlags: 1, isRemote: true }
 */
export function parseTraceparent(value: string | readonly string[] | undefined): SpanContext | undefined {
  const header = typeof value === 'string' ? value : value?.length === 1 ? value[0] : undefined;
  if (header === undefined || !TRACEPARENT_00.test(header)) return undefined;
  const parsed = parseTraceParent(header);
  // All-zero trace and parent ids are invalid (isSpanContextValid), as the spec says.
  if (parsed === null || !isSpanContextValid(parsed)) return undefined;
  return { traceId: parsed.traceId, spanId: parsed.spanId, traceFlags: parsed.traceFlags, isRemote: true };
}

/**
 * Formats a span context as a version-00 `traceparent`.
 *
 * @example
 * formatTraceparent(trace.getSpanContext(ctx)!); // '00-…-…-01'
 */
export function formatTraceparent(spanContext: SpanContext): string {
  const flags = (spanContext.traceFlags & 0xff).toString(16).padStart(2, '0');
  return `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`;
}

const headerGetter: TextMapGetter<IncomingHeaders> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key.toLowerCase()] as string | string[] | undefined,
};

const headerSetter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

/**
 * A `TextMapPropagator` for W3C Trace Context on `parseTraceparent` and `parseTraceState` (it may
 * be installed as the global propagator). Not `@opentelemetry/core`'s `W3CTraceContextPropagator`
 * as a whole: its extract is as lenient as its parser (see `parseTraceparent`), and its inject
 * writes the flags as `0` and then the hex digits (three characters from 0x10 on) and an empty
 * `tracestate` header when the state is empty.
 */
export const w3cTraceContextPropagator: TextMapPropagator = {
  inject(ctx, carrier, setter) {
    const spanContext = trace.getSpanContext(ctx);
    if (spanContext === undefined || !isSpanContextValid(spanContext)) return;
    setter.set(carrier, TRACEPARENT, formatTraceparent(spanContext));
    const state = spanContext.traceState?.serialize();
    if (state !== undefined && state !== '') setter.set(carrier, TRACESTATE, state);
  },
  extract(ctx, carrier, getter) {
    const spanContext = parseTraceparent(getter.get(carrier, TRACEPARENT));
    if (spanContext === undefined) return ctx;
    const rawState = getter.get(carrier, TRACESTATE);
    const header = Array.isArray(rawState) ? rawState.join(',') : rawState;
    const traceState =
      typeof header === 'string' && header.length <= MAX_TRACESTATE_LENGTH
        ? parseTraceState(header)
        : undefined;
    const withState = traceState === undefined ? spanContext : { ...spanContext, traceState };
    return trace.setSpanContext(ctx, withState);
  },
  fields: () => [TRACEPARENT, TRACESTATE],
};

/**
 * The trace context of incoming headers, as an OpenTelemetry `Context` (`base` if there is none
 * or it is malformed).
 *
 * @example
 * const parent = extractTraceContext(request.headers);
 */
export function extractTraceContext(headers: IncomingHeaders, base: Context = ROOT_CONTEXT): Context {
  return w3cTraceContextPropagator.extract(base, headers, headerGetter);
}

/**
 * Writes `traceparent` (and `tracestate`) for `ctx` — by default the active context — into
 * outgoing headers. Writes nothing when the context holds no valid span.
 *
 * @example
 * const headers: Record<string, string> = {};
 * injectTraceContext(headers, tracer.contextOf(request));
 */
export function injectTraceContext(
  headers: Record<string, string>,
  ctx: Context = contextApi.active(),
): void {
  w3cTraceContextPropagator.inject(ctx, headers, headerSetter);
}
