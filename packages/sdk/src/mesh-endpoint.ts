import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Server as TlsServer } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import type { RampartConfig, ServiceConfig } from '@rampart/config';
import { componentSpiffeId } from '@rampart/mesh';
import { importInternalTokenKey, type PublicKey } from '@rampart/tokens';
import type { PreparedComponent } from './boot.ts';
import { buildHttpApp, type HttpLimits } from './http-app.ts';
import { createInternalTokenVerifier, type InternalTokenVerifier } from './internal-token.ts';
import type { Logger } from './log/index.ts';
import {
  createMetrics,
  createSecurityEvents,
  createTracer,
  registerHttpMetrics,
  startAuditShipping,
  type Metrics,
  type SecurityEvents,
  type ServiceTracer,
} from './observability/index.ts';
import { ServiceClients } from './service-client.ts';

export interface MeshEndpointOptions {
  /** The service's logger (its `sensitive` keys masked). */
  readonly log: Logger;
  /** The configuration applied now (it changes on reload). */
  readonly config: () => Readonly<RampartConfig>;
  /** This service's entry in the configuration applied now. */
  readonly service: () => Readonly<ServiceConfig>;
  readonly limits?: HttpLimits;
}

/**
 * The mesh side of a service, whatever serves its requests: the Fastify app on its mTLS port with
 * the caller and internal-token checks, its metrics, traces and security events (shipped to the
 * audit service), and the clients that call other services with exchanged tokens. A service built
 * with the SDK (`createService`) adds its store and handlers; the sidecar (`services/sidecar`) adds
 * routes that forward to an unmodified process. Both enforce exactly the same checks because both
 * are this code.
 */
export interface MeshEndpoint {
  /** The app, with every route guarded (deny by default); add routes before listening. */
  readonly app: FastifyInstance;
  readonly metrics: Metrics;
  readonly tracer: ServiceTracer;
  readonly events: SecurityEvents;
  /** Verifies internal tokens addressed to this service (keys follow the mesh's rotations). */
  readonly verifier: InternalTokenVerifier;
  /** Calls to other services; undefined without a workload identity (in-process tests). */
  readonly clients: ServiceClients | undefined;
  /** Stops renewals' effects, closes the app, the clients and the event shipping. Idempotent. */
  close(): Promise<void>;
}

/** An internal-token key (the deployment's file or one the mesh published) is unusable. */
export class TokenKeyError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TokenKeyError';
  }
}

/**
 * Builds the mesh side of service `prepared.name`: reads the internal-token key file, starts the
 * event shipping, builds the app (mTLS with the workload certificate when there is one) and wires
 * certificate rotation. Throws {@link TokenKeyError} when a token key cannot be read or imported.
 *
 * @example
 * const endpoint = await createMeshEndpoint(prepared, { log, config: () => config, service: () => config.services[name]! });
 * endpoint.app.get('/ping', () => 'pong');
 */
export async function createMeshEndpoint(
  prepared: PreparedComponent<'service'>,
  options: MeshEndpointOptions,
): Promise<MeshEndpoint> {
  const { env, name, trustDomain, workload: identity } = prepared;
  const { log } = options;
  let fileKeyPem: string;
  try {
    fileKeyPem = readFileSync(env.internalTokenKeyFile, 'utf8');
  } catch (error) {
    throw new TokenKeyError(`cannot read the internal token key ${env.internalTokenKeyFile}`, {
      cause: error,
    });
  }
  const credentials = identity?.current();
  // Internal-token keys: the deployment's key file, and those the mesh publishes with its trust
  // bundle (refreshed at each renewal, so a signing-key rotation arrives without a restart).
  let tokenKeys: readonly PublicKey[];
  try {
    tokenKeys = await importTokenKeys([fileKeyPem, ...(credentials?.tokenKeyPems ?? [])]);
  } catch (error) {
    throw new TokenKeyError('an internal token key is not an Ed25519 public key', { cause: error });
  }

  const metrics = createMetrics(name);
  const tracer = createTracer(name);
  // Under `rampart up` every event also reaches the audit service, from the state directory's outbox.
  const shipping = startAuditShipping({
    stateDir: env.stateDir,
    auditUrl: env.auditUrl,
    trustDomain,
    credentials: identity === undefined ? undefined : () => identity.current(),
    nats: options.config().storage?.nats,
    log,
    metrics,
  });
  const events: SecurityEvents = createSecurityEvents({
    serviceName: name,
    sink: shipping.sink,
    subjectKey: readPseudonymKey(env.pseudonymKeyFile),
    metrics,
  });
  const verifier = createInternalTokenVerifier({ publicKeys: () => tokenKeys, audience: name });
  const app: FastifyInstance = buildHttpApp({
    logger: log,
    tracer,
    tokens: { verifier, callers: () => options.service().callers ?? [] },
    ...(options.limits === undefined ? {} : { limits: options.limits }),
    ...(credentials === undefined
      ? {}
      : { tls: { key: credentials.keyPem, cert: credentials.certPem, ca: credentials.caPems, trustDomain } }),
    onDenied: (request, error) => {
      // The precise reason stays in the log; the event carries the code, the client only the title.
      request.log.warn({ code: error.code, reason: error.detail }, 'request denied');
      events.emit({
        event: 'request.denied',
        outcome: 'failure',
        reason: error.code,
        requestId: request.id,
        ...(request.principal === null ? {} : { subject: request.principal.subject }),
        ...traceIdOf(tracer.traceIdOf(request)),
      });
    },
  });
  registerHttpMetrics(app, metrics);
  // Handshakes refused by TLS itself (no certificate, another CA, expired) never reach a route.
  app.server.on('tlsClientError', (error: NodeJS.ErrnoException) => {
    events.emit({ event: 'mesh.handshake_refused', outcome: 'failure', reason: tlsReason(error) });
  });
  const clients =
    identity === undefined
      ? undefined
      : new ServiceClients({
          self: name,
          trustDomain,
          identity,
          authorityUrl: env.meshUrl ?? '',
          authoritySpiffeId: componentSpiffeId(trustDomain, 'mesh'),
          config: options.config,
          injectTrace: (request, headers) => {
            tracer.inject(headers, tracer.contextOf(request));
          },
        });
  // A renewed certificate takes effect for new connections at once; open ones finish undisturbed.
  identity?.onRotated((next) => {
    if (app.server instanceof TlsServer) {
      app.server.setSecureContext({ key: next.keyPem, cert: next.certPem, ca: [...next.caPems] });
    }
    clients?.rotate();
    importTokenKeys([fileKeyPem, ...next.tokenKeyPems]).then(
      (keys) => {
        tokenKeys = keys;
      },
      (error: unknown) => {
        log.error(
          { err: error },
          'the mesh published an unusable internal token key; keeping the previous keys',
        );
      },
    );
    log.info({ event: 'certificate.rotated', notAfter: next.notAfter.toISOString() }, 'certificate rotated');
  });

  let closing: Promise<void> | undefined;
  return {
    app,
    metrics,
    tracer,
    events,
    verifier,
    clients,
    close() {
      closing ??= (async () => {
        await app.close();
        await clients?.close();
        await shipping.stop();
        events.close();
      })();
      return closing;
    },
  };
}

/** TLS failures are recorded by their OpenSSL/Node code only (a code, never a message). */
function tlsReason(error: NodeJS.ErrnoException): string {
  return typeof error.code === 'string' && /^[A-Z][A-Z0-9_]*$/.test(error.code)
    ? error.code
    : 'handshake_failed';
}

function traceIdOf(traceId: string | undefined): { traceId?: string } {
  return traceId === undefined ? {} : { traceId };
}

/**
 * The deployment-wide key that pseudonymizes subjects in security events. Under `rampart up` it
 * is a file; an in-process test without one gets a random key, so its events correlate with nothing.
 */
function readPseudonymKey(file: string | undefined): Uint8Array {
  return file === undefined ? randomBytes(32) : readFileSync(file);
}

/** Distinct PEM public keys, imported for PASETO v4.public verification. */
async function importTokenKeys(pems: readonly string[]): Promise<readonly PublicKey[]> {
  const distinct = [...new Set(pems.map((pem) => pem.trim()))];
  return Promise.all(distinct.map((pem) => importInternalTokenKey(pem)));
}
