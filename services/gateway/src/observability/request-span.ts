import { SpanKind, SpanStatusCode, trace, type Context, type Span } from '@opentelemetry/api';
import { extractTraceContext } from '@rampart/sdk';
import type { GatewayRequest } from '../pipeline/exchange.ts';
import { ALLOWED_METHODS } from '../request/index.ts';
import { startOwnSpan } from './gateway-tracer.ts';

/** One request's SERVER span. */
export interface RequestSpan {
  readonly span: Span;
  /** The context holding the server span: what the upstream call's CLIENT span is a child of. */
  readonly context: Context;
  /** The W3C trace id (32 lower-case hex), for the request's log lines and security events. */
  readonly traceId: string;
  /** The SERVER span's id (16 lower-case hex), for the request's log lines. */
  readonly spanId: string;
  /** `http.request.method`: one the gateway serves, else `_OTHER` (OpenTelemetry's conventions). */
  readonly method: string;
}

const KNOWN_METHODS: ReadonlySet<string> = new Set(ALLOWED_METHODS);

/**
 * Starts the SERVER span of a request, before any stage runs: a child of the client's W3C
 * `traceparent` (a malformed or repeated one starts a new trace, and its `tracestate` is dropped
 * with it). It is named after the method alone until `endRequestSpan` knows the route. Nothing
 * taken from the path, the query or a credential is ever put on it: only the method (from a fixed
 * list), the protocol version (`2` when `http2`, the connection's; else the request line's
 * digits) and the gateway's own request id.
 */
export function startRequestSpan(req: GatewayRequest, requestId: string, http2: boolean): RequestSpan {
  const parent = extractTraceContext(req.headers);
  const method = req.method !== undefined && KNOWN_METHODS.has(req.method) ? req.method : '_OTHER';
  const span = startOwnSpan(
    method,
    {
      kind: SpanKind.SERVER,
      attributes: {
        'http.request.method': method,
        'network.protocol.version': http2 ? '2' : req.httpVersion,
        'rampart.request_id': requestId,
      },
    },
    parent,
  );
  const { traceId, spanId } = span.spanContext();
  return { span, context: trace.setSpan(parent, span), traceId, spanId, method };
}

/** A refused request: its code (`GW_TOKEN_INVALID`…) and the stage that refused it. */
export function recordDenial(requestSpan: RequestSpan, code: string, stage: string): void {
  requestSpan.span.setAttributes({ 'rampart.denial.code': code, 'rampart.stage': stage });
}

/**
 * Ends the SERVER span, named `<METHOD> <route>` — `route` is what metrics call the request: a
 * route template (`/orders/{id}`), `/auth`, `cors-preflight` or `unmatched`, never the raw path.
 * A 5xx is an error; a 4xx is the client's, not the gateway's (OpenTelemetry's HTTP conventions).
 */
export function endRequestSpan(requestSpan: RequestSpan, route: string, status: number): void {
  const { span } = requestSpan;
  span.updateName(`${requestSpan.method} ${route}`);
  span.setAttributes({ 'http.route': route, 'http.response.status_code': status });
  if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
}
