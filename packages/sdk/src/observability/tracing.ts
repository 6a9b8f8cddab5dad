import {
  isSpanContextValid,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Context,
  type Span,
  type SpanOptions,
  type Tracer,
} from '@opentelemetry/api';
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';
import { UNMATCHED_ROUTE } from './http-metrics.ts';
import { randomSpanId, randomTraceId } from './span-ids.ts';
import { extractTraceContext, injectTraceContext, type IncomingHeaders } from './trace-context.ts';

export interface ServiceTracer {
  /** The OpenTelemetry tracer: a no-op until an SDK registers a provider. */
  readonly tracer: Tracer;
  extract(headers: IncomingHeaders): Context;
  inject(headers: Record<string, string>, ctx?: Context): void;
  /** The context of a request's server span (for outgoing calls); the root context if untraced. */
  contextOf(request: FastifyRequest): Context;
  /** The trace id of a request, for logs and security events. */
  traceIdOf(request: FastifyRequest): string | undefined;
}

interface RequestTrace {
  readonly span: Span;
  readonly context: Context;
}

/** Each tracer's per-request spans, kept out of the public object. */
const tracers = new WeakMap<ServiceTracer, WeakMap<FastifyRequest, RequestTrace>>();

/**
 * Creates a service's tracer (`@opentelemetry/api`; spans are recorded only if the process
 * registers an OpenTelemetry SDK) with W3C Trace Context propagation that needs no SDK.
 *
 * @example
 * const tracer = createTracer('orders');
 * registerHttpTracing(app, tracer);
 * injectTraceContext(outgoingHeaders, tracer.contextOf(request));
 */
export function createTracer(serviceName: string): ServiceTracer {
  const tracer = trace.getTracer(`rampart.${serviceName}`);
  const requests = new WeakMap<FastifyRequest, RequestTrace>();
  const serviceTracer: ServiceTracer = {
    tracer,
    extract: (headers) => extractTraceContext(headers),
    inject: (headers, ctx) => {
      injectTraceContext(headers, ctx);
    },
    contextOf: (request) => requests.get(request)?.context ?? ROOT_CONTEXT,
    traceIdOf: (request) => {
      const spanContext = requests.get(request)?.span.spanContext();
      return spanContext !== undefined && isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
    },
  };
  tracers.set(serviceTracer, requests);
  return serviceTracer;
}

/**
 * Starts a span that always has ids of its own. With an OpenTelemetry SDK that is what `startSpan`
 * does (a span the sampler drops is non-recording, with ids of its own); the API's no-op tracer
 * instead echoes its parent's span context (or an invalid one at the root), which would send the
 * caller's own span id on. So without an SDK the span becomes a non-recording one with a fresh
 * span id (CSPRNG), continuing the parent's trace or starting one: logs, security events and
 * outgoing calls still correlate. The gateway, the SDK's HTTP tracing and identity start their
 * spans with it.
 *
 * @example
 * const span = startSpanWithOwnIds(tracer, 'GET /orders/{id}', { kind: SpanKind.SERVER }, parent);
 */
export function startSpanWithOwnIds(
  tracer: Tracer,
  name: string,
  options: SpanOptions,
  parent: Context,
): Span {
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

/**
 * Starts a server span for every request of `app` — named `<METHOD> <route template>`, child of
 * the caller's `traceparent` — and ends it with the status code. Without an SDK the span records
 * nothing, but still gets ids of its own (continuing the caller's trace, or starting one), so logs,
 * security events and outgoing calls correlate. Attributes hold the route template, never the path.
 * The request's logger (`request.log`) is bound to the span's `traceId` and `spanId`. Register it
 * before any hook that may refuse a request (`buildHttpApp`'s `tracer` option does), so a refused
 * request has its span and ids too.
 *
 * @example
 * registerHttpTracing(app, tracer);
 */
export function registerHttpTracing(app: FastifyInstance, serviceTracer: ServiceTracer): void {
  const requests = tracers.get(serviceTracer);
  if (requests === undefined) throw new TypeError('registerHttpTracing needs a tracer from createTracer()');
  app.addHook('onRequest', (request, _reply, done) => {
    const parent = serviceTracer.extract(request.headers);
    const route = request.routeOptions.url ?? UNMATCHED_ROUTE;
    const span = startSpanWithOwnIds(
      serviceTracer.tracer,
      `${request.method} ${route}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': request.method, 'http.route': route } },
      parent,
    );
    requests.set(request, { span, context: trace.setSpan(parent, span) });
    // Every line the request logs from here on (its access line, a denial, an error, a handler's
    // own `request.log`) carries the span's ids: `rampart logs --trace` joins them across services.
    const { traceId, spanId } = span.spanContext();
    bindTraceIds(request, { traceId, spanId });
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    const entry = requests.get(request);
    if (entry !== undefined) {
      entry.span.setAttribute('http.response.status_code', reply.statusCode);
      if (reply.statusCode >= 500) entry.span.setStatus({ code: SpanStatusCode.ERROR });
      entry.span.end();
    }
    done();
  });
}

/**
 * Adds the ids to the request's own logger: pino's `setBindings` on the child Fastify made for the
 * request (measured cheaper than a second child: `bench/request-log.ts`), or a child of it when the
 * logger is not pino's.
 */
function bindTraceIds(request: FastifyRequest, ids: { traceId: string; spanId: string }): void {
  const log: FastifyBaseLogger & { setBindings?: unknown } = request.log;
  if (typeof log.setBindings === 'function') Reflect.apply(log.setBindings, log, [ids]);
  else request.log = log.child(ids);
}
