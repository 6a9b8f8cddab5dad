import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import {
  fastify,
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type LogLevel,
  type RouteGenericInterface,
} from 'fastify';
import { RampartError } from '@rampart/errors';
import { readAuthorization } from '@rampart/tokens';
import { DEFAULT_CONTENT_TYPES, requireAllowedContentType } from './content-type.ts';
import { IDEMPOTENCY_METHODS } from './idempotency/index.ts';
import type { InternalTokenVerifier } from './internal-token.ts';
import type { Logger } from './log/index.ts';
import { callerOf, requireAllowedPeer } from './caller.ts';
import { inProcessPeerOf } from './in-process-peer.ts';
import { illFormedStringPointer } from './well-formed-unicode.ts';
import { requireScopes, type Principal } from './principal.ts';
import { rememberToken } from './request-token.ts';
import { sendProblem } from './problem-reply.ts';
import { registerHttpTracing, type ServiceTracer } from './observability/tracing.ts';
import {
  toFastifyPath,
  type AuthenticatedRequest,
  type PublicRouteDefinition,
  type RouteDefinition,
  type RouteGuard,
  type RouteSchema,
} from './route.ts';

/** Transport limits; every one has a safe default. */
export interface HttpLimits {
  /** Largest body for routes that set no `maxBodyBytes`. Default 64 KiB. */
  readonly bodyLimitBytes?: number;
  /** Idle socket timeout. Default 30 s. */
  readonly connectionTimeoutMs?: number;
  /** Time to receive a whole request. Default 30 s. */
  readonly requestTimeoutMs?: number;
}

export const DEFAULT_BODY_LIMIT_BYTES = 64 * 1024;

/** The workload identity a service serves with: mTLS only, client certificates from the mesh CA. */
export interface MeshTls {
  readonly key: string;
  readonly cert: string;
  readonly ca: readonly string[];
  readonly trustDomain: string;
}

export interface HttpAppOptions {
  readonly logger: Logger;
  /**
   * How token-guarded routes authenticate: the internal-token verifier and the service's current
   * `callers`, read on every request so a reload takes effect at once. Without it the app has only
   * public routes (a platform component authenticating its peers by certificate alone), and any
   * other request is refused as unauthenticated.
   */
  readonly tokens?: {
    readonly verifier: InternalTokenVerifier;
    readonly callers: () => readonly string[];
  };
  readonly limits?: HttpLimits;
  /**
   * Serve mTLS with this identity. Without it the app only answers `inject()` (tests): it cannot
   * listen, and the peer is the workload the test names (`withInProcessPeer`), checked as an mTLS
   * peer is.
   */
  readonly tls?: MeshTls;
  /** Told of every denial, with the precise reason (for security events). */
  readonly onDenied?: (request: FastifyRequest, error: RampartError) => void;
  /**
   * Trace every request (`registerHttpTracing`), before any other hook: a request refused by
   * authentication has its span too, and every log line of a request carries its `traceId` and
   * `spanId`.
   */
  readonly tracer?: ServiceTracer;
}

/** A request without a route guard (an unknown path) is treated as needing any valid token. */
const DEFAULT_GUARD: RouteGuard = {
  auth: 'token',
  scopes: [],
  contentTypes: DEFAULT_CONTENT_TYPES,
  requireIdempotencyKey: false,
};
const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/**
 * Builds the Fastify instance every service runs on: limits, request ids, token authentication
 * (deny by default), content-type allow-list, problem+json errors and security headers.
 */
export function buildHttpApp(options: HttpAppOptions): FastifyInstance {
  const limits = options.limits ?? {};
  const logger: FastifyBaseLogger = options.logger;
  const tls = options.tls;
  const app = fastify({
    ...(tls === undefined
      ? {}
      : {
          https: {
            key: tls.key,
            cert: tls.cert,
            ca: [...tls.ca],
            requestCert: true,
            rejectUnauthorized: true,
            minVersion: 'TLSv1.3' as const,
          },
        }),
    loggerInstance: logger,
    bodyLimit: limits.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
    connectionTimeout: limits.connectionTimeoutMs ?? 30_000,
    requestTimeout: limits.requestTimeoutMs ?? 30_000,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: true,
    requestIdHeader: false,
    // One compact access line per request (below) instead of Fastify's two, which serialize the
    // whole request and response through the masking logger: measured at half a request's cost.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: requestIdOf,
    ajv: { customOptions: { removeAdditional: false, allErrors: false } },
  });

  app.removeContentTypeParser('text/plain');
  app.decorateRequest('principal', null);
  if (options.tracer !== undefined) registerHttpTracing(app, options.tracer);

  app.addHook('onRequest', async (request) => {
    const guard = request.routeOptions.config.rampart ?? DEFAULT_GUARD;
    if (guard.auth === 'public') return;
    try {
      const { tokens } = options;
      if (tokens === undefined) throw new RampartError('SDK_UNAUTHENTICATED');
      const token = bearerToken(request.raw.rawHeaders);
      const principal: Principal = await tokens.verifier.verify(token);
      const peer =
        tls === undefined ? inProcessPeerOf(request) : callerOf(request.raw.socket, tls.trustDomain);
      requireAllowedPeer(peer, principal, tokens.callers());
      requireScopes(principal, guard.scopes);
      request.principal = principal;
      rememberToken(request, token);
    } catch (error) {
      if (error instanceof RampartError) options.onDenied?.(request, error);
      throw error;
    }
  });

  // A JSON string with a lone surrogate (`"\ud800"`) is valid JSON but no text: refused before
  // any handler or the field cipher sees it, naming the field (the gateway refuses it first).
  app.addHook('preValidation', (request, _reply, done) => {
    if (request.body === undefined || Buffer.isBuffer(request.body)) {
      done();
      return;
    }
    const pointer = illFormedStringPointer(request.body);
    if (pointer !== undefined) {
      const at = pointer.slice(0, 256);
      // Shaped as a schema violation, so the problem names the field as for any other.
      done(
        Object.assign(new Error(`body ${JSON.stringify(at)}: a string holds a lone surrogate`), {
          validation: [{ instancePath: at, message: 'is not well-formed Unicode', params: {} }],
          validationContext: 'body',
        }),
      );
      return;
    }
    done();
  });

  app.addHook('preParsing', (request, _reply, payload, done) => {
    const guard = request.routeOptions.config.rampart ?? DEFAULT_GUARD;
    try {
      requireAllowedContentType(request.headers, guard.contentTypes);
      done(null, payload);
    } catch (error) {
      done(error instanceof Error ? error : new Error(String(error)));
    }
  });

  app.addHook('onSend', (request, reply, payload, done) => {
    void reply.header('x-request-id', request.id);
    void reply.header('x-content-type-options', 'nosniff');
    void reply.header('cache-control', 'no-store');
    done(null, payload);
  });

  app.addHook('onResponse', (request, reply, done) => {
    request.log.info(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
      },
      'request',
    );
    done();
  });

  app.setErrorHandler((error, request, reply) => sendProblem(request, reply, error));
  app.setNotFoundHandler((request, reply) => sendProblem(request, reply, new RampartError('SDK_NOT_FOUND')));
  return app;
}

/**
 * The token of the request's one `Authorization: Bearer …` header (`readAuthorization` of
 * `@rampart/tokens`). No header, an empty one or another scheme is `SDK_UNAUTHENTICATED`; two
 * headers, or a Bearer header without exactly one well-formed token, is `SDK_TOKEN_INVALID`.
 */
export function bearerToken(rawHeaders: readonly string[]): string {
  const parsed = readAuthorization(rawHeaders);
  if (parsed.ok) return parsed.token;
  switch (parsed.reason) {
    case 'missing':
    case 'empty':
    case 'other_scheme':
      throw new RampartError('SDK_UNAUTHENTICATED');
    case 'repeated':
      throw new RampartError('SDK_TOKEN_INVALID', { detail: `${parsed.count} Authorization headers` });
    case 'no_credentials':
    case 'malformed':
      throw new RampartError('SDK_TOKEN_INVALID', { detail: 'malformed Bearer header' });
  }
}

function requestIdOf(request: IncomingMessage): string {
  const incoming = request.headers['x-request-id'];
  return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

/**
 * Narrows a request to the route's declared shape. Like Fastify's own route generic, the body,
 * query and params types are the route author's promise, kept by the route's JSON Schema.
 */
function isAuthenticated<G extends RouteGenericInterface>(
  request: FastifyRequest,
): request is AuthenticatedRequest<G> {
  return request.principal !== null;
}

function isShaped<G extends RouteGenericInterface>(request: FastifyRequest): request is FastifyRequest<G> {
  return request.routeOptions.config.rampart !== undefined;
}

/** Registers a token-guarded route. */
export function addRoute<G extends RouteGenericInterface>(
  app: FastifyInstance,
  definition: RouteDefinition<G>,
  /** The scopes a token needs, asked at every request (they follow reloads); default `definition.scopes`. */
  scopesOf?: () => readonly string[],
): void {
  const fixed = [...(definition.scopes ?? [])];
  const scopes = scopesOf ?? ((): readonly string[] => fixed);
  const contentTypes = acceptedTypes(app, definition.schema);
  const requireIdempotencyKey = definition.requireIdempotencyKey ?? false;
  if (requireIdempotencyKey && !IDEMPOTENCY_METHODS.has(definition.method)) {
    throw new TypeError(
      `requireIdempotencyKey is for POST and PATCH routes; ${definition.method} is idempotent already`,
    );
  }
  app.route({
    ...routeBase(definition),
    config: {
      rampart: {
        auth: 'token',
        get scopes() {
          return scopes();
        },
        contentTypes,
        requireIdempotencyKey,
      },
    },
    handler: async (request, reply) => {
      if (!isAuthenticated<G>(request)) throw new RampartError('SDK_UNAUTHENTICATED');
      await sendResult(reply, await definition.handler(request, reply));
    },
  });
}

/** Registers a route reachable without a token. */
export function addPublicRoute<G extends RouteGenericInterface>(
  app: FastifyInstance,
  definition: PublicRouteDefinition<G>,
  logLevel?: LogLevel,
): void {
  const contentTypes = acceptedTypes(app, definition.schema);
  app.route({
    ...routeBase(definition),
    ...(logLevel === undefined ? {} : { logLevel }),
    config: { rampart: { auth: 'public', contentTypes } },
    handler: async (request, reply) => {
      if (!isShaped<G>(request)) throw new RampartError('SDK_INTERNAL', { detail: 'route without guard' });
      await sendResult(reply, await definition.handler(request, reply));
    },
  });
}

/** Sends what a handler returned, unless it already sent (or returned) the reply itself. */
async function sendResult(reply: FastifyReply, result: unknown): Promise<void> {
  if (result === reply || reply.sent) return;
  await reply.send(result);
}

function routeBase(definition: { method: string; url: string; schema?: RouteSchema }) {
  const schema = definition.schema ?? {};
  return {
    method: definition.method,
    url: toFastifyPath(definition.url),
    ...(schema.maxBodyBytes === undefined ? {} : { bodyLimit: schema.maxBodyBytes }),
    schema: {
      ...(schema.body === undefined ? {} : { body: schema.body }),
      ...(schema.query === undefined ? {} : { querystring: schema.query }),
      ...(schema.params === undefined ? {} : { params: schema.params }),
      ...(schema.response === undefined ? {} : { response: schema.response }),
    },
  };
}

/** The route's accepted media types, registering a raw-buffer parser for any non-JSON one. */
function acceptedTypes(app: FastifyInstance, schema: RouteSchema | undefined): readonly string[] {
  const types = (schema?.contentTypes ?? DEFAULT_CONTENT_TYPES).map((type) => type.toLowerCase());
  for (const type of types) {
    if (!app.hasContentTypeParser(type)) {
      app.addContentTypeParser(type, { parseAs: 'buffer' }, (_request, body, done) => {
        done(null, body);
      });
    }
  }
  return types;
}
