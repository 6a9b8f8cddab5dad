import { randomBytes } from 'node:crypto';
import {
  isSpanContextValid,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';
import { UNMATCHED_ROUTE } from './http-metrics.ts';
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
    let span = serviceTracer.tracer.startSpan(
      `${request.method} ${route}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': request.method, 'http.route': route } },
      parent,
    );
    const parentContext = trace.getSpanContext(parent);
    const own = span.spanContext();
    if (!isSpanContextValid(own) || own.spanId === parentContext?.spanId) {
      // No SDK: the no-op span only echoes its parent. Give this hop ids of its own.
      span = trace.wrapSpanContext({
        traceId: parentContext?.traceId ?? randomBytes(16).toString('hex'),
        spanId: randomBytes(8).toString('hex'),
        traceFlags: parentContext?.traceFlags ?? TraceFlags.NONE,
        ...(parentContext?.traceState === undefined ? {} : { traceState: parentContext.traceState }),
      });
    }
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
