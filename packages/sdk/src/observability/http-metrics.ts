import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Metrics } from './metrics.ts';

/** The `route` label of a request that matched no route (404s, scanners): one series, not one per path. */
export const UNMATCHED_ROUTE = 'unmatched';

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * Counts and times every response of `app` (add it before the routes). The `route` label is the
 * route's template (`/orders/:id`), never the path a client sent; unknown methods count as `OTHER`.
 *
 * @example
 * registerHttpMetrics(app, metrics);
 */
export function registerHttpMetrics(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onResponse', (request, reply, done) => {
    const labels = httpLabels(request, reply);
    metrics.httpRequests.inc(labels);
    metrics.httpDuration.observe(labels, reply.elapsedTime / 1000);
    done();
  });
}

/** The bounded label set of one request. */
export function httpLabels(
  request: FastifyRequest,
  reply: FastifyReply,
): { method: string; route: string; status: string } {
  return {
    method: KNOWN_METHODS.has(request.method) ? request.method : 'OTHER',
    route: request.routeOptions.url ?? UNMATCHED_ROUTE,
    status: String(reply.statusCode),
  };
}

/**
 * A handler serving the registry in Prometheus text format, for `/metrics` on the admin port —
 * never on the public one.
 *
 * @example
 * adminApp.get('/metrics', metricsHandler(metrics));
 */
export function metricsHandler(
  metrics: Metrics,
): (request: FastifyRequest, reply: FastifyReply) => Promise<string> {
  return async (_request, reply) => {
    void reply.header('content-type', metrics.registry.contentType);
    void reply.header('cache-control', 'no-store');
    return metrics.registry.metrics();
  };
}

/**
 * The registry's exposition as `{ contentType, body }`, the shape `buildAdminApp({ metrics })` takes.
 *
 * @example
 * buildAdminApp({ logger, readiness, metrics: metricsExposition(metrics) });
 */
export function metricsExposition(metrics: Metrics): () => Promise<{ contentType: string; body: string }> {
  return async () => ({ contentType: metrics.registry.contentType, body: await metrics.registry.metrics() });
}
