import { randomUUID } from 'node:crypto';
import { constants as http2Constants, Http2ServerRequest } from 'node:http2';
import { isRampartError } from '@rampart/errors';
import {
  EVENT_CLIENT_ID,
  EVENT_ROUTE,
  isIpLiteral,
  MAX_EVENT_ROUTE_LENGTH,
  MAX_EVENT_SUBJECT_LENGTH,
  type Logger,
  type Metrics,
  type SecurityEvents,
} from '@rampart/sdk';
import { endRequestSpan, recordDenial, startRequestSpan } from '../observability/index.ts';
import { clientIp } from '../rate-limit/index.ts';
import { isClientGone } from '../request/index.ts';
import type { PipelineDeps } from './deps.ts';
import type { Exchange, GatewayRequest, GatewayResponse } from './exchange.ts';
import { INTERNAL_REFUSAL, refusalOf, sendProblem } from './reply.ts';
import { runPipeline } from './stages.ts';

/** What the request handler works with; `deps` and `trustedProxies` are read per request (reloads). */
export interface RequestHandlerContext {
  readonly log: Logger;
  readonly events: SecurityEvents;
  readonly metrics: Metrics;
  /** How long a whole HTTP/2 request may take to arrive (node:http enforces it for HTTP/1.1). */
  readonly requestTimeoutMs: number;
  deps(): PipelineDeps;
  trustedProxies(): readonly string[];
}

/**
 * The listener's `request` handler: each request runs through the pipeline (`stages.ts`), a refusal
 * becomes its problem answer and a security event, and every request is logged, counted and traced.
 * A request the client abandoned (a cancelled stream, a reset mid-body) is logged as such: it is
 * not a refusal, so no security event.
 *
 * Nothing a request makes throw can end the thread: whatever fails outside the pipeline's own
 * refusals (the bookkeeping around it, an event that does not validate, an answer that cannot be
 * written) fails that request alone — a `GW_INTERNAL` 500 problem with its request id when an
 * answer can still be sent, the connection reset otherwise, and `request failed` in the log under
 * the same id. A worker thread that died would take every request in flight on it down.
 *
 * @example
 * const server = createSecureServer(tlsOptions, createRequestHandler({ log, events, metrics, ... }));
 */
export function createRequestHandler(
  context: RequestHandlerContext,
): (req: GatewayRequest, res: GatewayResponse) => void {
  return (req, res) => {
    const ids: RequestLogIds = { requestId: randomUUID() };
    handle(context, req, res, ids).catch((error: unknown) => {
      failRequest(context.log, res, ids, error);
    });
  };
}

/**
 * The fields every log line of one request carries: its request id, and once its SERVER span has
 * started, the span's W3C trace and span ids (`rampart logs --trace` joins a request's lines
 * across components by them). One object per request, spread into each line: measured cheaper on
 * the access line than a child logger bound per request (`bench/request-log.ts`).
 */
interface RequestLogIds {
  readonly requestId: string;
  traceId?: string;
  spanId?: string;
}

async function handle(
  context: RequestHandlerContext,
  req: GatewayRequest,
  res: GatewayResponse,
  ids: RequestLogIds,
): Promise<void> {
  const { log, events, metrics } = context;
  const { requestId } = ids;
  // The connection decides the protocol (ALPN), never the request line: llhttp reads `HTTP/2.0`.
  const http2 = req instanceof Http2ServerRequest;
  if (http2) requestDeadline(req, context.requestTimeoutMs);
  // The SERVER span: a child of the client's traceparent; the upstream call's span is its child.
  const span = startRequestSpan(req, requestId, http2);
  ids.traceId = span.traceId;
  ids.spanId = span.spanId;
  const exchange: Exchange = {
    req,
    res,
    http2,
    requestId,
    startedAt: process.hrtime.bigint(),
    clientIp: clientIp(
      req.socket.remoteAddress ?? '',
      headerValue(req, 'x-forwarded-for'),
      context.trustedProxies(),
    ),
    stage: 'canonicalize',
    label: 'unmatched',
    traceContext: span.context,
  };
  try {
    await runPipeline(exchange, context.deps());
  } catch (error) {
    if (isClientGone(error)) {
      // Not a refusal: nothing to answer, no security event.
      log.info({ stage: exchange.stage, ...ids }, 'request abandoned by the client');
      res.destroy();
      return;
    }
    const refusal = refusalOf(error);
    const { stage } = exchange;
    recordDenial(span, refusal.code, stage);
    if (refusal.status >= 500 && !isRampartError(error))
      log.error({ err: error, stage, ...ids }, 'request failed');
    else
      log.info(
        { stage, code: refusal.code, reason: isRampartError(error) ? error.detail : undefined, ...ids },
        'request refused',
      );
    events.emit({
      event: 'request.denied',
      outcome: 'failure',
      reason: refusal.code,
      requestId,
      traceId: span.traceId,
      ...investigationFields(exchange),
    });
    try {
      sendProblem(res, refusal, requestId, exchange.cors, exchange.mountHeaders);
    } catch (replyError) {
      // The client went away (a cancelled HTTP/2 stream, a closed socket): nothing to answer.
      log.debug({ err: replyError, ...ids }, 'refusal not sent');
    }
  } finally {
    const labels = {
      method: exchange.canonical?.method ?? 'other',
      route: exchange.label,
      status: String(res.statusCode),
    };
    const seconds = Number(process.hrtime.bigint() - exchange.startedAt) / 1e9;
    log.info(
      {
        ...labels,
        http: http2 ? '2.0' : req.httpVersion,
        ms: Math.round(seconds * 10_000) / 10,
        ...ids,
      },
      'request',
    );
    endRequestSpan(span, exchange.label, res.statusCode);
    metrics.httpRequests.inc(labels);
    metrics.httpDuration.observe(labels, seconds);
  }
}

/** The last resort for one request: log, answer 500 if still possible, else reset; never throw. */
function failRequest(log: Logger, res: GatewayResponse, ids: RequestLogIds, error: unknown): void {
  try {
    log.error({ err: error, ...ids }, 'request failed');
  } catch {
    // A logger that throws must not end the thread either.
  }
  try {
    sendProblem(res, INTERNAL_REFUSAL, ids.requestId);
  } catch {
    try {
      res.destroy();
    } catch {
      // Already gone.
    }
  }
}

/**
 * HTTP/2 has no `requestTimeout`: a stream whose request has not fully arrived within
 * `timeoutMs` is cancelled, as node:http drops an HTTP/1.1 connection (slow bodies).
 */
function requestDeadline(req: Http2ServerRequest, timeoutMs: number): void {
  // A request whose HEADERS ended its stream (a GET) is whole already: nothing to wait for, and its
  // answer may rightly last (the audit mount's live feed), which this deadline must not cut.
  if (req.stream.endAfterHeaders) return;
  const timer = setTimeout(() => {
    if (!req.complete) req.stream.close(http2Constants.NGHTTP2_CANCEL);
  }, timeoutMs);
  timer.unref();
  const clear = (): void => {
    clearTimeout(timer);
  };
  req.once('end', clear);
  req.stream.once('close', clear);
}

function headerValue(req: GatewayRequest, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * What an investigation of a denial needs beyond the code: who (the token's subject and client),
 * from where (the client address, its user agent as sent: the SDK cleans it) and what (the route
 * template, never the raw path). Only what the pipeline had established when it refused, and only
 * values of the event's shapes: a token from another issuer may carry a client id or a subject the
 * event cannot hold, and a denial must never fail for it.
 */
function investigationFields(exchange: Exchange): {
  subject?: string;
  clientId?: string;
  sourceIp?: string;
  userAgent?: string;
  route?: string;
} {
  const { claims, matched, canonical } = exchange;
  const agent = canonical?.headers['user-agent'];
  const route =
    matched === undefined || canonical === undefined ? '' : `${canonical.method} ${matched.template}`;
  return {
    ...(claims !== undefined && claims.subject.length <= MAX_EVENT_SUBJECT_LENGTH
      ? { subject: claims.subject }
      : {}),
    ...(claims !== undefined && EVENT_CLIENT_ID.test(claims.clientId) ? { clientId: claims.clientId } : {}),
    ...(isIpLiteral(exchange.clientIp) ? { sourceIp: exchange.clientIp } : {}),
    ...(typeof agent === 'string' ? { userAgent: agent } : {}),
    ...(route.length <= MAX_EVENT_ROUTE_LENGTH && EVENT_ROUTE.test(route) ? { route } : {}),
  };
}
