import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fastify, type FastifyInstance } from 'fastify';
import { register as globalRegistry } from 'prom-client';
import {
  createMetrics,
  type Metrics,
  metricsExposition,
  metricsHandler,
  registerHttpMetrics,
} from '../../src/observability/index.ts';

async function appWithMetrics(): Promise<{ app: FastifyInstance; metrics: Metrics }> {
  const metrics = createMetrics('orders');
  const app = fastify();
  registerHttpMetrics(app, metrics);
  app.get('/orders/:id', () => Promise.resolve({ ok: true }));
  app.post('/orders', async (_request, reply) => reply.code(201).send({}));
  app.get('/metrics', metricsHandler(metrics));
  await app.ready();
  return { app, metrics };
}

describe('createMetrics and registerHttpMetrics', () => {
  it('labels requests with the route template, never the raw path', async () => {
    const { app } = await appWithMetrics();
    await app.inject('/orders/123');
    await app.inject('/orders/456');
    await app.inject({ method: 'POST', url: '/orders' });
    await app.inject('/no/such/path/alice@example.com');
    const response = await app.inject('/metrics');
    const text = response.body;
    assert.match(
      text,
      /http_requests_total\{method="GET",route="\/orders\/:id",status="200",service="orders"\} 2/,
    );
    assert.match(
      text,
      /http_requests_total\{method="POST",route="\/orders",status="201",service="orders"\} 1/,
    );
    assert.match(
      text,
      /http_requests_total\{method="GET",route="unmatched",status="404",service="orders"\} 1/,
    );
    assert.doesNotMatch(text, /\/orders\/123|\/orders\/456|alice|no\/such/);
    await app.close();
  });

  it('exposes a duration histogram, default process metrics and the security-event counter', async () => {
    const { app, metrics } = await appWithMetrics();
    await app.inject('/orders/1');
    metrics.securityEvents.inc({ event: 'peer.rejected' });
    const response = await app.inject('/metrics');
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    assert.equal(response.headers['cache-control'], 'no-store');
    const text = response.body;
    assert.match(text, /# TYPE http_request_duration_seconds histogram/);
    assert.match(text, /^http_request_duration_seconds_bucket\{le="0\.005",.*route="\/orders\/:id".*\} 1$/m);
    assert.match(text, /^http_request_duration_seconds_count\{.*route="\/orders\/:id".*\} 1$/m);
    assert.match(text, /process_cpu_user_seconds_total\{service="orders"\}/);
    assert.match(text, /security_events_total\{event="peer.rejected",service="orders"\} 1/);
    await app.close();
  });

  it('keeps each service in a registry of its own, not the global one', async () => {
    const a = createMetrics('orders');
    const b = createMetrics('payments');
    a.httpRequests.inc({ method: 'GET', route: '/x', status: '200' });
    assert.doesNotMatch(await b.registry.metrics(), /route="\/x"/);
    assert.equal(globalRegistry.getSingleMetric('http_requests_total'), undefined);
    const exposition = await metricsExposition(a)();
    assert.equal(exposition.contentType, a.registry.contentType);
    assert.match(exposition.body, /route="\/x"/);
  });

  it('refuses a service name that is not one', () => {
    assert.throws(() => createMetrics('Orders Service'), TypeError);
  });
});
