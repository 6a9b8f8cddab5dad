import { trace, type Context, type Span, type SpanOptions } from '@opentelemetry/api';
import { startSpanWithOwnIds } from '@rampart/sdk';

/**
 * The gateway's tracer. Until the thread registers an OpenTelemetry SDK (`telemetry.traces`: each
 * worker's `startTraceExport`) it is the API's no-op: spans record nothing and cost next to
 * nothing; with one, they are exported as it decides.
 */
const tracer = trace.getTracer('rampart.gateway');

/**
 * Starts a span that always has ids of its own (`startSpanWithOwnIds` of the SDK): without an SDK,
 * a non-recording one with a fresh span id, continuing the parent's trace (or starting one), so
 * logs, security events and upstream calls still correlate and the client's span id never goes
 * upstream.
 */
export function startOwnSpan(name: string, options: SpanOptions, parent: Context): Span {
  return startSpanWithOwnIds(tracer, name, options, parent);
}
