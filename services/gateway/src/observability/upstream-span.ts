import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { isRampartError } from '@rampart/errors';
import { injectTraceContext, TRACEPARENT, TRACESTATE } from '@rampart/sdk';
import type {
  ExternalRequest,
  ExternalUpstreams,
  StreamedUpstreamResponse,
  UpstreamRequest,
  UpstreamResponse,
  Upstreams,
} from '../forward/index.ts';
import type { Exchange } from '../pipeline/exchange.ts';
import { startOwnSpan } from './gateway-tracer.ts';

/** An upstream request, less the trace context this module adds. */
export type UntracedUpstreamRequest = Omit<UpstreamRequest, 'traceparent' | 'tracestate'>;

/**
 * Forwards `request` inside a CLIENT span, child of the request's SERVER span, and sends that
 * span's context upstream: the service's span is a child of the gateway's call, never of a span
 * the client named. `tracestate` goes along only as the SDK's strict parser read it (an invalid
 * one, or one whose `traceparent` was malformed, is dropped). The span is named like the request's
 * (`GET /orders/{id}`), carries the upstream's name and status, and is an error for a 4xx or 5xx
 * answer or a failed exchange (`error.type`: the gateway's code, `GW_UPSTREAM_TIMEOUT`…), as
 * OpenTelemetry's conventions ask of HTTP clients.
 */
export function forwardInSpan(
  exchange: Exchange,
  upstreams: Upstreams,
  request: UntracedUpstreamRequest,
): Promise<UpstreamResponse> {
  return inClientSpan(exchange, request, (traced) => upstreams.forward(traced));
}

/**
 * As {@link forwardInSpan}, for an answer streamed back (`Upstreams.stream`): the span covers the
 * exchange up to the answer's headers.
 */
export function streamInSpan(
  exchange: Exchange,
  upstreams: Upstreams,
  request: UntracedUpstreamRequest,
  signal: AbortSignal,
): Promise<StreamedUpstreamResponse> {
  return inClientSpan(exchange, request, (traced) => upstreams.stream(traced, signal));
}

/**
 * As {@link forwardInSpan}, to an HTTPS upstream outside the mesh: the gateway's CLIENT span is
 * recorded, but no trace context goes out (the external forwarder sends none).
 */
export function forwardExternalInSpan(
  exchange: Exchange,
  external: ExternalUpstreams,
  request: ExternalRequest,
): Promise<UpstreamResponse> {
  return inClientSpan(exchange, request, () => external.forward(request));
}

async function inClientSpan<
  R extends { readonly method: string; readonly upstream: string },
  T extends { readonly status: number },
>(
  exchange: Exchange,
  request: R,
  send: (request: R & Pick<UpstreamRequest, 'traceparent' | 'tracestate'>) => Promise<T>,
): Promise<T> {
  const parent = exchange.traceContext ?? ROOT_CONTEXT;
  const span = startOwnSpan(
    `${request.method} ${exchange.label}`,
    {
      kind: SpanKind.CLIENT,
      attributes: { 'http.request.method': request.method, 'rampart.upstream': request.upstream },
    },
    parent,
  );
  const fields: Record<string, string> = {};
  injectTraceContext(fields, trace.setSpan(parent, span));
  const traceparent = fields[TRACEPARENT];
  const tracestate = fields[TRACESTATE];
  try {
    const response = await send({
      ...request,
      ...(traceparent === undefined ? {} : { traceparent }),
      ...(tracestate === undefined ? {} : { tracestate }),
    });
    span.setAttribute('http.response.status_code', response.status);
    if (response.status >= 400) span.setStatus({ code: SpanStatusCode.ERROR });
    return response;
  } catch (error) {
    span.setAttribute('error.type', isRampartError(error) ? error.code : '_OTHER');
    span.setStatus({ code: SpanStatusCode.ERROR });
    throw error;
  } finally {
    span.end();
  }
}
