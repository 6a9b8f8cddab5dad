import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Counter } from 'prom-client';
import { RampartError, toProblem, PROBLEM_CONTENT_TYPE } from '@rampart/errors';
import {
  bearerToken,
  type InternalTokenVerifier,
  type Logger,
  type Metrics,
  type SecurityEvents,
  type ServiceClients,
} from '@rampart/sdk';
import { EGRESS_SECRET_HEADER, egressHeaders, responseHeaders } from './identity-headers.ts';
import { secretMatches } from './sidecar-secrets.ts';

/** The largest request body relayed to another service (the answer is bounded by the client: 1 MiB). */
export const MAX_EGRESS_BODY_BYTES = 1024 * 1024;
const CALLEE = /^[a-z][a-z0-9-]{0,62}$/;
const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

export interface EgressServerOptions {
  /** This service's name. */
  readonly service: string;
  readonly secret: string;
  readonly verifier: InternalTokenVerifier;
  readonly clients: ServiceClients;
  readonly events: SecurityEvents;
  readonly metrics: Metrics;
  readonly log: Logger;
}

/**
 * The process's way out: plain HTTP on 127.0.0.1, `METHOD /<callee>/<path>`. Each request must
 * carry the per-start egress secret and the internal token the process received with the request
 * it is serving (`Authorization`, which the sidecar forwards to it); the sidecar checks both —
 * the token with the very verifier its mTLS port uses, so only a token addressed to this service
 * works — then relays over mTLS with a token exchanged for that hop, along the call graph of
 * rampart.yaml only (`ServiceClients.forward`, the SDK's `svc.call`). Refusals are security events.
 */
export function createEgressServer(options: EgressServerOptions): Server {
  const requests = new Counter({
    name: 'sidecar_egress_requests_total',
    help: 'Requests the process sent through the egress port, by callee and status.',
    labelNames: ['callee', 'status'] as const,
    registers: [options.metrics.registry],
  });
  const server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000 }, (request, response) => {
    const started = performance.now();
    const requestId = requestIdOf(request);
    handle(request, response, requestId, options).then(
      (callee) => {
        requests.inc({ callee, status: String(response.statusCode) });
        options.log.info(
          {
            egress: true,
            method: request.method,
            callee,
            status: response.statusCode,
            ms: Math.round(performance.now() - started),
          },
          'egress request',
        );
      },
      (error: unknown) => {
        options.log.error({ err: error }, 'egress request failed');
        if (!response.headersSent) sendProblem(response, error, requestId);
        else response.destroy();
      },
    );
  });
  server.keepAliveTimeout = 5_000;
  return server;
}

/** Relays one request; resolves to the callee label for the metrics. */
async function handle(
  request: IncomingMessage,
  response: ServerResponse,
  requestId: string,
  options: EgressServerOptions,
): Promise<string> {
  const deny = (error: RampartError, callee = 'none'): string => {
    options.log.warn({ code: error.code, reason: error.detail, requestId }, 'egress request denied');
    options.events.emit({ event: 'request.denied', outcome: 'failure', reason: error.code, requestId });
    sendProblem(response, error, requestId);
    request.resume();
    return callee;
  };
  if (!secretMatches(request.headers[EGRESS_SECRET_HEADER], options.secret)) {
    return deny(
      new RampartError('SIDECAR_EGRESS_UNAUTHENTICATED', {
        detail: `no valid ${EGRESS_SECRET_HEADER} header`,
      }),
    );
  }
  const target = splitTarget(request.url ?? '/');
  if (target === undefined) {
    return deny(new RampartError('SDK_NOT_FOUND', { detail: 'egress path is not /<callee>/<path>' }));
  }
  let subjectToken: string;
  try {
    subjectToken = bearerToken(request.rawHeaders);
    await options.verifier.verify(subjectToken);
  } catch (error) {
    if (error instanceof RampartError) return deny(error);
    throw error;
  }
  const length = Number(request.headers['content-length'] ?? '0');
  if (Number.isFinite(length) && length > MAX_EGRESS_BODY_BYTES) {
    return deny(new RampartError('SDK_PAYLOAD_TOO_LARGE', { detail: `${length} bytes` }), target.callee);
  }
  const hasBody = request.headers['transfer-encoding'] !== undefined || length > 0;
  let answer;
  try {
    answer = await options.clients.forward(subjectToken, target.callee, {
      method: request.method ?? 'GET',
      path: target.path,
      headers: { ...egressHeaders(request.rawHeaders), 'x-request-id': requestId },
      ...(hasBody ? { body: request.pipe(limitBytes(MAX_EGRESS_BODY_BYTES)) } : {}),
    });
  } catch (error) {
    // A callee rampart.yaml does not declare is refused as one it does not allow: same answer.
    if (error instanceof TypeError)
      return deny(new RampartError('SDK_CALLER_NOT_ALLOWED', { detail: error.message }), 'none');
    if (error instanceof RampartError) return deny(error, target.callee);
    throw new RampartError('SIDECAR_UPSTREAM_UNAVAILABLE', {
      detail: `${target.callee} did not answer: ${(error as Error).message}`,
      cause: error,
    });
  }
  response.writeHead(answer.statusCode, responseHeaders(answer.headers));
  await pipeline(answer.body, response);
  return target.callee;
}

/** `/<callee>/<rest>?q` → callee and `/<rest>?q`; undefined when the first segment is no service name. */
export function splitTarget(url: string): { callee: string; path: string } | undefined {
  const match = /^\/([^/?#]+)(\/[^#]*|\?[^#]*)?$/.exec(url);
  const callee = match?.[1];
  if (callee === undefined || !CALLEE.test(callee)) return undefined;
  const rest = match?.[2] ?? '/';
  return { callee, path: rest.startsWith('?') ? `/${rest}` : rest };
}

function requestIdOf(request: IncomingMessage): string {
  const incoming = request.headers['x-request-id'];
  return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

function sendProblem(response: ServerResponse, error: unknown, requestId: string): void {
  const problem = toProblem(error, requestId);
  const body = JSON.stringify(problem);
  response.writeHead(problem.status, {
    'content-type': PROBLEM_CONTENT_TYPE,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-request-id': requestId,
  });
  response.end(body);
}

/** Passes at most `max` bytes, then fails the stream (the relay is aborted). */
function limitBytes(max: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (seen > max) done(new RampartError('SDK_PAYLOAD_TOO_LARGE', { detail: `over ${max} bytes` }));
      else done(null, chunk);
    },
  });
}
