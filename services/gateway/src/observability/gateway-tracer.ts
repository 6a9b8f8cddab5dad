import {
  isSpanContextValid,
  trace,
  TraceFlags,
  type Context,
  type Span,
  type SpanOptions,
} from '@opentelemetry/api';
import { randomSpanId, randomTraceId } from './span-ids.ts';

/**
 * The gateway's tracer. Until the process registers an OpenTelemetry SDK it is the API's no-op:
 * spans record nothing and cost next to nothing; with one, they are exported as it decides.
 */
const tracer = trace.getTracer('rampart.gateway');

/**
 * Starts a span that always has ids of its own. With an SDK that is what `startSpan` does; the
 * no-op tracer instead echoes its parent's span context (or an invalid one at the root), which
 * would send the client's own span id upstream. So without an SDK the span becomes a non-recording
 * one with a fresh span id, continuing the parent's trace (or starting one), as the SDK's
 * `registerHttpTracing` does for services: logs, security events and upstream calls still correlate.
 */
export function startOwnSpan(name: string, options: SpanOptions, parent: Context): Span {
  const span = tracer.startSpan(name, options, parent);
  const own = span.spanContext();
  const parentSpan = trace.getSpanContext(parent);
  if (isSpanContextValid(own) && own.spanId !== parentSpan?.spanId) return span;
  return trace.wrapSpanContext({
    traceId: parentSpan?.traceId ?? randomTraceId(),
    spanId: randomSpanId(),
    traceFlags: parentSpan?.traceFlags ?? TraceFlags.NONE,
    ...(parentSpan?.traceState === undefined ? {} : { traceState: parentSpan.traceState }),
  });
}
