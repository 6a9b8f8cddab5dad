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
  openAuditOutbox,
  AUDIT_OUTBOX_DIR,
  DEFAULT_MAX_OUTBOX_BYTES,
  DEFAULT_SEGMENT_BYTES,
  type AuditLogger,
  type AuditOutbox,
  type AuditOutboxOptions,
  type OutboxBatch,
  type OutboxPosition,
  type OutboxReadLimits,
} from './audit-outbox.ts';
export {
  createEventShipper,
  AUDIT_EVENTS_PATH,
  MAX_BATCH_BYTES,
  MAX_BATCH_EVENTS,
  type EventShipper,
  type EventShipperOptions,
  type ShipperTransport,
} from './event-shipper.ts';
export { createHttpEventSender, type HttpEventSenderOptions } from './http-event-sender.ts';
export { createNatsEventSender, type NatsEventSenderOptions } from './nats-event-sender.ts';
export type { EventSender, SendAnswer, SendFailure } from './event-sender.ts';
export {
  AUDIT_STREAM,
  AUDIT_SUBJECT_PREFIX,
  NATS_WORKLOAD,
  auditSubject,
  connectNats,
  natsTarget,
  type NatsConnectOptions,
  type NatsSettings,
} from './nats-connection.ts';
export { startAuditShipping, type AuditShipping, type AuditShippingOptions } from './audit-shipping.ts';
export {
  cleanUserAgent,
  replaceUnsafeText,
  CLIENT_ID as EVENT_CLIENT_ID,
  isIpLiteral,
  MAX_ROUTE_LENGTH as MAX_EVENT_ROUTE_LENGTH,
  MAX_SUBJECT_LENGTH as MAX_EVENT_SUBJECT_LENGTH,
  MAX_USER_AGENT_LENGTH,
  ROUTE as EVENT_ROUTE,
} from './event-fields.ts';
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
export { createTracer, registerHttpTracing, startSpanWithOwnIds, type ServiceTracer } from './tracing.ts';
export { randomSpanId, randomTraceId } from './span-ids.ts';
export {
  startTraceExport,
  registerTraceExportMetrics,
  rampartVersion,
  TRACE_EXPORT_DEFAULTS,
  type TraceExportLimits,
  type TraceExport,
  type TraceExportOptions,
} from './trace-export.ts';
export { runInTraceScope, currentTraceIds, type TraceIds } from './trace-scope.ts';
