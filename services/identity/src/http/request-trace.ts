import type { IncomingMessage, ServerResponse } from 'node:http';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { extractTraceContext, runInTraceScope, startSpanWithOwnIds, type Logger } from '@rampart/sdk';

/** Identity's tracer: the API's no-op until the process exports spans (`telemetry.traces`). */
const tracer = trace.getTracer('rampart.identity');

/** Methods named as they are on a span and a log line; any other is `_OTHER`. */
const KNOWN_METHODS: ReadonlySet<string> = new Set([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'OPTIONS',
]);

/**
 * Runs one request of identity's listener in its trace: a SERVER span, child of the caller's W3C
 * `traceparent` (the gateway's upstream span; a malformed one starts a new trace), named
 * `<METHOD> <route>` after identity's bounded endpoint label (`token`, `authorize`, …), never the
 * path or the query, which carry codes, states and hints. The handling runs in the span's trace
 * scope (`runInTraceScope`), so every line identity logs meanwhile — its own, oidc-provider's
 * events, a failure — and every security event it emits carries the trace id, as the gateway's and
 * the services' do, and `rampart logs --trace <id>` shows identity's part of a request. When the
 * answer is sent (or the connection drops) the span ends with the status, and one access line is
 * logged: `request`, with the method, the route label, the status and the duration.
 *
 * This is identity's one seam for it: its listener (`servers.ts`) is plain `node:https`, and
 * oidc-provider is mounted below it by a path dispatcher (ADR 0008), so the span and the scope wrap
 * the provider, the pages and the admin API alike.
 *
 * @example
 * traceRequest(req, res, 'token', log, () => identity.handle(req, res));
 */
export function traceRequest(
  req: IncomingMessage,
  res: ServerResponse,
  route: string,
  log: Logger,
  handle: () => void,
): void {
  const started = process.hrtime.bigint();
  const method = req.method !== undefined && KNOWN_METHODS.has(req.method) ? req.method : '_OTHER';
  const span = startSpanWithOwnIds(
    tracer,
    `${method} ${route}`,
    {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': method, 'http.route': route },
    },
    extractTraceContext(req.headers),
  );
  const { traceId, spanId } = span.spanContext();
  let ended = false;
  const end = (): void => {
    if (ended) return;
    ended = true;
    // `finish`: the answer was handed to the socket; `close` alone: the client left first.
    const status = res.writableFinished ? res.statusCode : 499;
    span.setAttribute('http.response.status_code', status);
    if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
    const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
    log.info({ traceId, spanId, method, route, status, durationMs }, 'request');
  };
  res.once('finish', end);
  res.once('close', end);
  runInTraceScope({ traceId, spanId }, handle);
}
