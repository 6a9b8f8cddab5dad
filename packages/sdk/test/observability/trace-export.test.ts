import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { SpanKind, trace } from '@opentelemetry/api';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '@rampart/testing';
import { createLogger } from '../../src/log/index.ts';
import {
  createMetrics,
  createTracer,
  extractTraceContext,
  startTraceExport,
  type TraceExport,
  type TraceExportOptions,
} from '../../src/observability/index.ts';

const log = createLogger('test', { level: 'silent' });
const FAST = { scheduledDelayMs: 20, exportTimeoutMs: 300, stopDeadlineMs: 500 };

/** One export at a time: the tracer provider is global to the process. */
async function withExport(
  options: Partial<TraceExportOptions> & { readonly endpoint: string },
  run: (exporting: TraceExport) => Promise<void>,
): Promise<void> {
  const exporting = await startTraceExport({
    settings: { endpoint: options.endpoint, ...options.settings },
    serviceName: 'orders',
    system: 'shop',
    trustDomain: 'shop.test',
    log,
    limits: FAST,
    ...options,
  });
  try {
    await run(exporting);
  } finally {
    await exporting.stop();
  }
}

async function until<T>(read: () => T | undefined | Promise<T | undefined>, what: string): Promise<T> {
  for (let attempt = 0; attempt < 150; attempt += 1) {
    const value = await read();
    if (value !== undefined) return value;
    await sleep(20);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function metricValue(name: string, labels: Record<string, string> = {}): Promise<number> {
  const metrics = createMetrics('orders');
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  const value = metric?.values.find((v) =>
    Object.entries(labels).every(([key, wanted]) => v.labels[key] === wanted),
  );
  return value?.value ?? 0;
}

describe('startTraceExport: OTLP/HTTP export of the spans', () => {
  let receiver: OtlpReceiver;
  after(async () => {
    await receiver.close();
  });

  it('exports the spans with the resource, the headers, hex ids and masked attributes', async () => {
    receiver = await startOtlpReceiver();
    await withExport(
      {
        endpoint: receiver.url,
        headers: { authorization: 'Bearer collector-credential' },
        serviceVersion: '9.9.9',
        sensitiveKeys: ['address'],
      },
      async (exporting) => {
        const tracer = createTracer('orders');
        const span = tracer.tracer.startSpan('GET /orders/{id}', {
          kind: SpanKind.SERVER,
          attributes: {
            'http.route': '/orders/{id}',
            'user.email': 'jane@example.com',
            'http.request.header.authorization': 'Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln',
            address: '1 Main Street',
          },
        });
        span.addEvent('exception', { 'exception.message': 'card 4242424242424242 refused' });
        span.end();
        await exporting.flush();
        const received = await until(() => receiver.spans()[0], 'the span');
        assert.equal(received.service, 'orders');
        assert.deepEqual(
          {
            namespace: received.resource['service.namespace'],
            version: received.resource['service.version'],
            trustDomain: received.resource['rampart.trust_domain'],
          },
          { namespace: 'shop', version: '9.9.9', trustDomain: 'shop.test' },
        );
        assert.match(String(received.resource['service.instance.id']), /^[0-9a-f-]{36}$/);
        assert.match(String(received.resource['rampart.version']), /^\d+\.\d+\.\d+/);
        assert.match(received.traceId, /^[0-9a-f]{32}$/);
        assert.match(received.spanId, /^[0-9a-f]{16}$/);
        assert.equal(received.name, 'GET /orders/{id}');
        assert.equal(received.attributes['http.route'], '/orders/{id}');
        const text = JSON.stringify(received);
        for (const secret of [
          'jane@example.com',
          'eyJhbGciOiJFUzI1NiJ9',
          '1 Main Street',
          '4242424242424242',
        ]) {
          assert.ok(!text.includes(secret), `${secret} never leaves the process`);
        }
        assert.equal(receiver.requests()[0]?.['authorization'], 'Bearer collector-credential');
        assert.ok((await metricValue('trace_spans_exported_total')) >= 1);
      },
    );
  });

  it('continues the caller’s trace: the span is a child of its traceparent', async () => {
    await withExport({ endpoint: receiver.url }, async (exporting) => {
      const tracer = createTracer('orders');
      const parent = extractTraceContext({
        traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      });
      tracer.tracer.startSpan('POST /orders', { kind: SpanKind.SERVER }, parent).end();
      await exporting.flush();
      const span = await until(
        () => receiver.spans().find((s) => s.name === 'POST /orders'),
        'the child span',
      );
      assert.equal(span.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
      assert.equal(span.parentSpanId, '00f067aa0ba902b7');
    });
  });

  it('at the edge, samples by its own ratio whatever the client’s flag says; inside, follows the caller', async () => {
    const sampledByClient = extractTraceContext({
      traceparent: '00-11111111111111111111111111111111-2222222222222222-01',
    });
    const before = receiver.spans().length;
    await withExport(
      { endpoint: receiver.url, settings: { endpoint: receiver.url, sampleRatio: 0 }, edge: true },
      async (exporting) => {
        const span = trace.getTracer('edge').startSpan('GET /orders', {}, sampledByClient);
        assert.equal(span.isRecording(), false, 'a client cannot force its requests to be recorded');
        span.end();
        await exporting.flush();
      },
    );
    assert.equal(receiver.spans().length, before);
    await withExport(
      { endpoint: receiver.url, settings: { endpoint: receiver.url, sampleRatio: 0 } },
      async (exporting) => {
        trace.getTracer('inner').startSpan('GET /inner', {}, sampledByClient).end();
        trace.getTracer('inner').startSpan('GET /root').end();
        await exporting.flush();
      },
    );
    const names = receiver
      .spans()
      .slice(before)
      .map((span: ReceivedSpan) => span.name);
    assert.deepEqual(
      names,
      ['GET /inner'],
      'a hop inside follows its caller; a new trace uses the ratio (0)',
    );
  });

  it('never waits for a collector that does not answer: a full queue drops spans and counts them', async () => {
    receiver.setMode('hang');
    const droppedBefore = await metricValue('trace_spans_dropped_total', { reason: 'queue_full' });
    await withExport(
      { endpoint: receiver.url, limits: { ...FAST, maxQueueSize: 4, maxExportBatchSize: 2 } },
      async () => {
        const tracer = trace.getTracer('load');
        // The first two fill a batch, sent at once (and hanging); four more wait; the rest are dropped.
        for (let index = 0; index < 20; index += 1) tracer.startSpan(`span ${index}`).end();
        assert.equal(
          (await metricValue('trace_spans_dropped_total', { reason: 'queue_full' })) - droppedBefore,
          14,
        );
        assert.equal(await metricValue('trace_export_queue_spans'), 4);
        // The hanging batch times out (exportTimeoutMs) and is counted as failed.
        await until(
          async () =>
            (await metricValue('trace_spans_dropped_total', { reason: 'export_failed' })) >= 2
              ? true
              : undefined,
          'the hanging batch counted as failed',
        );
      },
    );
    receiver.setMode('accept');
  });

  it('counts the spans of a collector that is down as failed, and ending spans stays synchronous', async () => {
    const down = await startOtlpReceiver();
    await down.close();
    const failedBefore = await metricValue('trace_spans_dropped_total', { reason: 'export_failed' });
    await withExport({ endpoint: down.url }, async () => {
      const started = performance.now();
      for (let index = 0; index < 10; index += 1) trace.getTracer('down').startSpan(`span ${index}`).end();
      assert.ok(performance.now() - started < 1_000, 'ending spans does not wait for the collector');
      await until(
        async () =>
          (await metricValue('trace_spans_dropped_total', { reason: 'export_failed' })) - failedBefore === 10
            ? true
            : undefined,
        'the ten spans counted as failed',
      );
    });
  });

  it('refuses a second export in the same thread', async () => {
    await withExport({ endpoint: receiver.url }, async () => {
      await assert.rejects(
        startTraceExport({
          settings: { endpoint: receiver.url },
          serviceName: 'orders',
          system: 'shop',
          trustDomain: 'shop.test',
          log,
        }),
        /already exports/,
      );
    });
  });
});
