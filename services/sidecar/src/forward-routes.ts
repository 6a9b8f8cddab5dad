import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Pool } from 'undici';
import type { RampartConfig } from '@rampart/config';
import { RampartError } from '@rampart/errors';
import { componentSpiffeId, serviceSpiffeId } from '@rampart/mesh';
import { addRoute, type AuthenticatedRequest, type DeclaredRoutes, type HttpMethod } from '@rampart/sdk';
import { forwardHeaders, responseHeaders } from './identity-headers.ts';

/** Methods of the internal catch-all route (HEAD comes with GET). */
const INTERNAL_METHODS: readonly HttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

export interface ForwardRoutesOptions {
  readonly service: string;
  readonly trustDomain: string;
  readonly config: () => Readonly<RampartConfig>;
  readonly routes: DeclaredRoutes;
  /** Connections to the process (keep-alive). */
  readonly upstream: Pool;
  /** The per-start proof sent with every forwarded request. */
  readonly proof: string;
  /** Writes the W3C trace context of the request's server span (the sidecar's) into outgoing headers. */
  readonly injectTrace: (request: AuthenticatedRequest, headers: Record<string, string>) => void;
}

/** Request bodies as they arrived, kept by the JSON parser so they are forwarded byte for byte. */
const rawBodies = new WeakMap<FastifyRequest, Buffer>();

/**
 * Registers on the service's mesh app (`createMeshEndpoint`: mTLS, callers, internal token, limits,
 * events, metrics, traces — all the SDK's) the routes that forward to the process:
 *
 * - every route rampart.yaml declares for the service, with its policy's scopes and its request
 *   schema checked here first, exactly as the SDK does for a handler of that route;
 * - when other services may call it, a catch-all internal route (any token addressed to the service).
 *
 * JSON bodies are parsed (for the schema) but forwarded as received; the answer streams back.
 */
export function registerForwardRoutes(app: FastifyInstance, options: ForwardRoutesOptions): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const buffer = body as Buffer;
    rawBodies.set(request, buffer);
    void parseJson(request, buffer.toString('utf8'), done);
  });

  const handler = (request: AuthenticatedRequest, reply: FastifyReply): Promise<FastifyReply> =>
    forward(request, reply, options);
  const declared = options.config().services[options.service]?.routes ?? [];
  for (const route of declared) {
    const resolved = options.routes.resolve({ method: route.method as HttpMethod, url: route.path, handler });
    addRoute(app, resolved.definition, resolved.scopes);
  }
  const callers = options.config().services[options.service]?.callers ?? [];
  if (callers.some((caller) => caller !== 'gateway')) {
    for (const method of INTERNAL_METHODS) {
      const resolved = options.routes.resolve({ method, url: '/*', scopes: [], handler });
      addRoute(app, resolved.definition, resolved.scopes);
    }
  }
}

async function forward(
  request: AuthenticatedRequest,
  reply: FastifyReply,
  options: ForwardRoutesOptions,
): Promise<FastifyReply> {
  // The SDK's check (requireAllowedPeer) let the request in only if the mTLS peer is exactly the
  // hop the token was issued for: the gateway for a token without `act`, else `act.sub`.
  const caller = request.principal.actor ?? 'gateway';
  const callerSpiffeId =
    caller === 'gateway'
      ? componentSpiffeId(options.trustDomain, 'gateway')
      : serviceSpiffeId(options.trustDomain, caller);
  const headers = forwardHeaders(request.raw.rawHeaders, {
    callerSpiffeId,
    principal: request.principal,
    proof: options.proof,
  });
  headers['x-request-id'] = request.id;
  // The process continues the sidecar's span, not the caller's: one trace, one hop more.
  const trace: Record<string, string> = {};
  options.injectTrace(request, trace);
  Object.assign(headers, trace);
  const body = rawBodies.get(request) ?? (Buffer.isBuffer(request.body) ? request.body : undefined);
  let answer;
  try {
    answer = await options.upstream.request({
      path: request.raw.url ?? request.url,
      method: request.method,
      headers,
      ...(body === undefined ? {} : { body }),
    });
  } catch (error) {
    throw new RampartError('SIDECAR_UPSTREAM_UNAVAILABLE', {
      detail: `the process did not answer: ${(error as Error).message}`,
      cause: error,
    });
  }
  return reply.code(answer.statusCode).headers(responseHeaders(answer.headers)).send(answer.body);
}
