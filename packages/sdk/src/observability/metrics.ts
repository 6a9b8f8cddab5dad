import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { registerTraceExportMetrics } from './trace-export.ts';

export type HttpLabel = 'method' | 'route' | 'status';

/** One service's metrics, in a registry of its own (never prom-client's global one). */
export interface Metrics {
  readonly registry: Registry;
  /** `http_requests_total{method,route,status}`; `route` is the route template. */
  readonly httpRequests: Counter<HttpLabel>;
  /** `http_request_duration_seconds{method,route,status}`. */
  readonly httpDuration: Histogram<HttpLabel>;
  /** `security_events_total{event}`. */
  readonly securityEvents: Counter<'event'>;
  /** `audit_outbox_pending_events`: written to the audit outbox, not yet acknowledged. */
  readonly auditOutboxPending: Gauge;
  /** `audit_outbox_dropped_total{reason}`: `full` (the outbox is at its size bound) or `write_failed`. */
  readonly auditOutboxDropped: Counter<'reason'>;
  /** `audit_events_shipped_total`: events the audit service acknowledged (accepted or duplicate). */
  readonly auditEventsShipped: Counter;
  /**
   * `audit_ship_failures_total{reason}`: requests that delivered nothing: `unreachable`,
   * `server_error` (5xx), `client_error` (a 4xx that is not the batch's fault), `bad_answer` (a 2xx
   * without the receipt) — all sent again — and `refused` (the batch was refused as such).
   */
  readonly auditShipFailures: Counter<'reason'>;
  /** `audit_events_rejected_total{reason}`: set aside, never delivered: `refused` (a 4xx) or `corrupt` (an unreadable line). */
  readonly auditEventsRejected: Counter<'reason'>;
}

/** Request-duration buckets in seconds: 5 ms to 10 s, the range a service call lives in. */
export const HTTP_DURATION_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/**
 * Creates a service's Prometheus registry: default process metrics, HTTP request count and
 * duration, security-event count, the audit outbox's and — when the thread exports spans — the
 * trace export's counters, every series labelled `service="<name>"`. Labels hold only
 * bounded values — route templates, methods, status codes, event names — never a raw path, id or
 * user, so cardinality stays small and no personal data reaches the metrics.
 *
 * @example
 * const metrics = createMetrics('orders');
 * registerHttpMetrics(app, metrics);
 * adminApp.get('/metrics', metricsHandler(metrics));
 */
export function createMetrics(serviceName: string): Metrics {
  if (!/^[a-z][a-z0-9-]{0,62}$/.test(serviceName)) {
    throw new TypeError('serviceName must be a service name from rampart.yaml (lower case, digits, dashes)');
  }
  const registry = new Registry();
  registry.setDefaultLabels({ service: serviceName });
  collectDefaultMetrics({ register: registry });
  // The span export's counters, when this thread exports (`telemetry.traces`).
  registerTraceExportMetrics(registry);
  const labelNames: HttpLabel[] = ['method', 'route', 'status'];
  return {
    registry,
    httpRequests: new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests handled, by method, route template and status code.',
      labelNames,
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time from receiving a request to sending its response, in seconds.',
      labelNames,
      buckets: [...HTTP_DURATION_BUCKETS],
      registers: [registry],
    }),
    securityEvents: new Counter({
      name: 'security_events_total',
      help: 'Security events emitted, by event name.',
      labelNames: ['event'],
      registers: [registry],
    }),
    auditOutboxPending: new Gauge({
      name: 'audit_outbox_pending_events',
      help: 'Security events in the audit outbox, not yet acknowledged by the audit service.',
      registers: [registry],
    }),
    auditOutboxDropped: new Counter({
      name: 'audit_outbox_dropped_total',
      help: 'Security events not written to the audit outbox: full (at its size bound) or write_failed.',
      labelNames: ['reason'],
      registers: [registry],
    }),
    auditEventsShipped: new Counter({
      name: 'audit_events_shipped_total',
      help: 'Security events the audit service acknowledged (accepted or already held).',
      registers: [registry],
    }),
    auditShipFailures: new Counter({
      name: 'audit_ship_failures_total',
      help: 'Batches of security events the audit service did not take, to be sent again, by reason.',
      labelNames: ['reason'],
      registers: [registry],
    }),
    auditEventsRejected: new Counter({
      name: 'audit_events_rejected_total',
      help: 'Security events set aside undelivered: refused by the audit service, or corrupt in the outbox.',
      labelNames: ['reason'],
      registers: [registry],
    }),
  };
}
