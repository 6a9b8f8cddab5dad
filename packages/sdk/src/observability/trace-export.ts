import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { trace, TraceFlags, type Context } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, Sampler, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { TraceExportConfig } from '@rampart/config';
import type { Logger } from '../log/index.ts';
import { Masker } from '../log/index.ts';
import { randomSpanId, randomTraceId } from './span-ids.ts';

/** The bounds of an export, in spans and milliseconds. */
export interface TraceExportLimits {
  readonly maxQueueSize: number;
  readonly maxExportBatchSize: number;
  readonly scheduledDelayMs: number;
  readonly exportTimeoutMs: number;
  readonly stopDeadlineMs: number;
}

/** The bounds of the export. Spans past `maxQueueSize` are dropped and counted, never waited for. */
export const TRACE_EXPORT_DEFAULTS: TraceExportLimits = {
  /** Spans held in memory while waiting for an export (about 1–2 KiB each). */
  maxQueueSize: 2048,
  /** Spans per OTLP request. */
  maxExportBatchSize: 512,
  /** How long a span waits for a batch to fill before it is sent anyway. */
  scheduledDelayMs: 1_000,
  /** One OTLP request, retries included; past it the batch is dropped and counted. */
  exportTimeoutMs: 10_000,
  /** How long `stop()` waits for the last batch before giving up on it. */
  stopDeadlineMs: 1_000,
};

export interface TraceExportOptions {
  /** `telemetry.traces` from rampart.yaml: the endpoint and the sample ratio. */
  readonly settings: TraceExportConfig;
  /** The headers' values (`componentEnv.telemetryHeaders`, resolved by `rampart up`). */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** `service.name`: the component (`gateway`, `identity`, …) or the service's key. */
  readonly serviceName: string;
  /**
   * `service.version`: Rampart's release for its own components ({@link rampartVersion}); left out
   * for a service, whose version is its author's (`rampart.version` is on every resource).
   */
  readonly serviceVersion?: string;
  /** `service.namespace`: the system's `name` in rampart.yaml. */
  readonly system: string;
  /** `rampart.trust_domain`: the SPIFFE trust domain the component belongs to. */
  readonly trustDomain: string;
  /**
   * True for the gateway, the edge: a client's `traceparent` continues its trace, but its
   * "sampled" flag decides nothing — the gateway samples by trace id at `sampleRatio` whatever the
   * client asked, so no client can make every request of its own exported. Inside, every hop
   * follows its caller's decision (parent-based), so a trace is exported whole or not at all.
   */
  readonly edge?: boolean;
  /** Field names masked in span attributes as in logs (a service's `sensitive` fields). */
  readonly sensitiveKeys?: readonly string[];
  readonly log: Logger;
  /** Tests shorten these; defaults {@link TRACE_EXPORT_DEFAULTS}. */
  readonly limits?: Partial<TraceExportLimits>;
}

/** The export running in this thread. */
export interface TraceExport {
  /** Sends every queued span now (tests; a stop does it too). */
  flush(): Promise<void>;
  /**
   * Sends what is queued within `deadlineMs` (default 1 s: a component's whole stop must fit the
   * boot's 4.5 s), then stops exporting and unregisters the provider; what is left is dropped.
   */
  stop(options?: { readonly deadlineMs?: number }): Promise<void>;
}

/** The export's counters, registered in every registry `createMetrics` makes in this thread. */
interface ExportMetrics {
  readonly exported: Counter;
  readonly dropped: Counter<'reason'>;
  readonly queued: Gauge;
}

let running: { readonly metrics: ExportMetrics } | undefined;

/**
 * Registers the export's metrics in `registry` when this thread exports spans (`createMetrics`
 * calls it): `trace_spans_exported_total`, `trace_spans_dropped_total{reason}` (`queue_full`: the
 * queue was at its bound; `export_failed`: the collector refused the batch, was unreachable or too
 * slow) and `trace_export_queue_spans`. Without an export, nothing is registered.
 */
export function registerTraceExportMetrics(registry: Registry): void {
  if (running === undefined) return;
  const { exported, dropped, queued } = running.metrics;
  registry.registerMetric(exported);
  registry.registerMetric(dropped);
  registry.registerMetric(queued);
}

/**
 * Starts exporting this thread's spans to an OTLP/HTTP collector (JSON encoding,
 * `@opentelemetry/exporter-trace-otlp-http`): registers a tracer provider globally — the tracers
 * of the gateway and of `createTracer` pick it up — whose spans go through a bounded batch
 * processor. Nothing on the request path waits for the collector: a span ending is a push onto an
 * in-memory queue; a full queue drops the span (counted), and batches are sent in the background
 * with a timeout. Span and trace ids come from the CSPRNG (`span-ids.ts`), never `Math.random`.
 * Before a span leaves, its attributes and events are masked by the logger's rules (a service's
 * own attributes included), so no secret, token or PII reaches the collector.
 *
 * The OpenTelemetry SDK and exporter are loaded here, on first use: a component without
 * `telemetry.traces` never loads them. One export per thread (each gateway worker starts its own);
 * a second is a `TypeError`.
 *
 * @example
 * const exporting = await startTraceExport({
 *   settings: config.telemetry.traces, headers: env.telemetryHeaders,
 *   serviceName: 'identity', system: config.name, trustDomain, log,
 * });
 * // … on stop:
 * await exporting.stop();
 */
export async function startTraceExport(options: TraceExportOptions): Promise<TraceExport> {
  if (running !== undefined) throw new TypeError('startTraceExport: this thread already exports its spans');
  const limits = { ...TRACE_EXPORT_DEFAULTS, ...options.limits };
  const [sdk, { OTLPTraceExporter }, { resourceFromAttributes }] = await Promise.all([
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
  ]);
  const metrics: ExportMetrics = {
    exported: new Counter({
      name: 'trace_spans_exported_total',
      help: 'Spans the OTLP collector accepted.',
      registers: [],
    }),
    dropped: new Counter({
      name: 'trace_spans_dropped_total',
      help: 'Spans never exported: queue_full (the bounded queue was full) or export_failed (the collector refused, was unreachable or too slow).',
      labelNames: ['reason'],
      registers: [],
    }),
    queued: new Gauge({
      name: 'trace_export_queue_spans',
      help: 'Ended spans waiting in memory for an export.',
      registers: [],
    }),
  };
  const queue = { entered: 0, left: 0 };
  const exporter = new GuardedExporter(
    new OTLPTraceExporter({
      url: options.settings.endpoint,
      headers: { ...options.headers },
      timeoutMillis: limits.exportTimeoutMs,
      // The batch processor sends one batch at a time, but a flush (at stop) sends the whole queue
      // at once: room for all of it, so a stop does not fail the batches past a lower limit.
      concurrencyLimit:
        Math.ceil(limits.maxQueueSize / Math.min(limits.maxExportBatchSize, limits.maxQueueSize)) + 1,
    }),
    new Masker({ sensitiveKeys: options.sensitiveKeys ?? [] }),
    metrics,
    queue,
    options.log,
  );
  const batches = new sdk.BatchSpanProcessor(exporter, {
    maxQueueSize: limits.maxQueueSize,
    maxExportBatchSize: Math.min(limits.maxExportBatchSize, limits.maxQueueSize),
    scheduledDelayMillis: limits.scheduledDelayMs,
    exportTimeoutMillis: limits.exportTimeoutMs,
  });
  const ratio = options.settings.sampleRatio ?? 1;
  const sampled = (): Sampler => new sdk.TraceIdRatioBasedSampler(ratio);
  const provider = new sdk.BasicTracerProvider({
    resource: resourceFromAttributes({
      'service.name': options.serviceName,
      'service.namespace': options.system,
      ...(options.serviceVersion === undefined ? {} : { 'service.version': options.serviceVersion }),
      'service.instance.id': randomUUID(),
      'rampart.version': rampartVersion(),
      'rampart.trust_domain': options.trustDomain,
    }),
    sampler: new sdk.ParentBasedSampler(
      options.edge === true
        ? { root: sampled(), remoteParentSampled: sampled(), remoteParentNotSampled: sampled() }
        : { root: sampled() },
    ),
    idGenerator: { generateTraceId: randomTraceId, generateSpanId: randomSpanId },
    spanProcessors: [new BoundedQueue(batches, limits.maxQueueSize, metrics, queue)],
  });
  if (!trace.setGlobalTracerProvider(provider)) {
    throw new TypeError('startTraceExport: a tracer provider is already registered in this thread');
  }
  running = { metrics };
  options.log.info(
    { endpoint: redactedEndpoint(options.settings.endpoint), sampleRatio: ratio },
    'exporting traces over OTLP',
  );
  let stopped: Promise<void> | undefined;
  return {
    flush: () => provider.forceFlush(),
    stop(stopOptions = {}) {
      stopped ??= (async () => {
        const deadline = stopOptions.deadlineMs ?? limits.stopDeadlineMs;
        const timer = sleep(deadline, 'deadline' as const, { ref: false });
        const shutdown = provider.shutdown().then(
          () => 'done' as const,
          () => 'done' as const,
        );
        await Promise.race([shutdown, timer]);
        trace.disable();
        running = undefined;
      })();
      return stopped;
    },
  };
}

/**
 * The release every component of this installation runs: the SDK's package version.
 *
 * @example
 * rampartVersion(); // '0.1.0'
 */
export function rampartVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version?: unknown;
  };
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
}

/** The endpoint for a log line: its origin and path, never a query (which might carry a key). */
function redactedEndpoint(endpoint: string): string {
  const url = new URL(endpoint);
  return `${url.origin}${url.pathname}`;
}

/**
 * In front of the batch processor: keeps the count of spans in its queue and drops a span — counted
 * as `queue_full` — when the queue is at its bound, instead of letting the processor drop it
 * uncounted. The batch processor empties its queue into the exporter synchronously, so `entered -
 * left` is its queue's length exactly.
 */
class BoundedQueue implements SpanProcessor {
  readonly #inner: SpanProcessor;
  readonly #max: number;
  readonly #metrics: ExportMetrics;
  readonly #queue: { entered: number; left: number };

  constructor(
    inner: SpanProcessor,
    max: number,
    metrics: ExportMetrics,
    queue: { entered: number; left: number },
  ) {
    this.#inner = inner;
    this.#max = max;
    this.#metrics = metrics;
    this.#queue = queue;
  }

  onStart(span: Span, parentContext: Context): void {
    this.#inner.onStart(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (this.#queue.entered - this.#queue.left >= this.#max) {
      this.#metrics.dropped.inc({ reason: 'queue_full' });
      return;
    }
    this.#queue.entered += 1;
    this.#metrics.queued.set(this.#queue.entered - this.#queue.left);
    this.#inner.onEnd(span);
  }

  forceFlush(): Promise<void> {
    return this.#inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.#inner.shutdown();
  }
}

/**
 * The OTLP exporter, behind: the count of spans leaving the queue, the masking of every span's
 * attributes and events, the exported and failed counts, and one log line when exports start
 * failing and one when they recover (not one per batch).
 */
class GuardedExporter implements SpanExporter {
  readonly #inner: SpanExporter;
  readonly #masker: Masker;
  readonly #metrics: ExportMetrics;
  readonly #queue: { entered: number; left: number };
  readonly #log: Logger;
  #failing = false;

  constructor(
    inner: SpanExporter,
    masker: Masker,
    metrics: ExportMetrics,
    queue: { entered: number; left: number },
    log: Logger,
  ) {
    this.#inner = inner;
    this.#masker = masker;
    this.#metrics = metrics;
    this.#queue = queue;
    this.#log = log;
  }

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.#queue.left += spans.length;
    this.#metrics.queued.set(this.#queue.entered - this.#queue.left);
    const count = spans.length;
    this.#inner.export(
      spans.map((span) => this.#masked(span)),
      (result) => {
        if (result.code === ExportResultCode.SUCCESS) {
          this.#metrics.exported.inc(count);
          if (this.#failing) this.#log.info('trace export recovered');
          this.#failing = false;
        } else {
          this.#metrics.dropped.inc({ reason: 'export_failed' }, count);
          if (!this.#failing) {
            this.#log.warn(
              { reason: result.error?.message ?? 'unknown' },
              'trace export failed: spans are dropped until the collector answers',
            );
          }
          this.#failing = true;
        }
        done(result);
      },
    );
  }

  shutdown(): Promise<void> {
    return this.#inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.#inner.forceFlush?.() ?? Promise.resolve();
  }

  /** The span as the collector may see it: its attributes and its events' attributes masked. */
  #masked(span: ReadableSpan): ReadableSpan {
    const attributes = this.#masker.value(span.attributes) as ReadableSpan['attributes'];
    const events = span.events.map((event) =>
      event.attributes === undefined
        ? event
        : { ...event, attributes: this.#masker.value(event.attributes) as ReadableSpan['attributes'] },
    );
    return {
      name: span.name,
      kind: span.kind,
      spanContext: () => span.spanContext(),
      ...(span.parentSpanContext === undefined ? {} : { parentSpanContext: span.parentSpanContext }),
      startTime: span.startTime,
      endTime: span.endTime,
      status: span.status,
      attributes,
      links: span.links,
      events,
      duration: span.duration,
      ended: span.ended,
      resource: span.resource,
      instrumentationScope: span.instrumentationScope,
      droppedAttributesCount: span.droppedAttributesCount,
      droppedEventsCount: span.droppedEventsCount,
      droppedLinksCount: span.droppedLinksCount,
    };
  }
}
