import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

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
}

/** Request-duration buckets in seconds: 5 ms to 10 s, the range a service call lives in. */
export const HTTP_DURATION_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/**
 * Creates a service's Prometheus registry: default process metrics, HTTP request count and
 * duration, and security-event count, every series labelled `service="<name>"`. Labels hold only
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
  };
}
