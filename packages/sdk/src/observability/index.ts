export { createMetrics, HTTP_DURATION_BUCKETS, type Metrics, type HttpLabel } from './metrics.ts';
export {
  registerHttpMetrics,
  metricsHandler,
  metricsExposition,
  httpLabels,
  UNMATCHED_ROUTE,
} from './http-metrics.ts';
export {
  createSecurityEvents,
  fileSink,
  logSink,
  pseudonym,
  type SecurityEvent,
  type SecurityEventInput,
  type SecurityEventSink,
  type SecurityEvents,
  type SecurityEventsOptions,
  type SecurityOutcome,
  type EventLogger,
} from './security-events.ts';
export {
  parseTraceparent,
  formatTraceparent,
  extractTraceContext,
  injectTraceContext,
  w3cTraceContextPropagator,
  TRACEPARENT,
  TRACESTATE,
  type IncomingHeaders,
} from './trace-context.ts';
export { parseTraceState } from './trace-state.ts';
export { createTracer, registerHttpTracing, type ServiceTracer } from './tracing.ts';
