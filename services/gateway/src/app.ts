import { createSecureServer, type Http2SecureServer, type ServerHttp2Session } from 'node:http2';
import { isIPv6, type Server as NetServer, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import { listenHost, peerOrigin, type RampartConfig } from '@rampart/config';
import { loadConsoleSite, type ConsoleSite } from '@rampart/console';
import { componentSpiffeId, serviceSpiffeId, type WorkloadCredentials } from '@rampart/mesh';
import {
  createMetrics,
  createSecurityEvents,
  logSink,
  type Logger,
  type SecurityEventSink,
} from '@rampart/sdk';
import { createInternalTokenMinter } from '@rampart/tokens';
import {
  createAccessTokenVerifier,
  createIntrospectionClient,
  createJwksCache,
  createProofReplayCache,
  createRevocationFeed,
  type RevocationFeed,
} from './auth/index.ts';
import { compileCorsPolicy } from './cors/index.ts';
import {
  createResponseCache,
  registerCacheCounter,
  shareInvalidations,
  type ResponseCacheOptions,
} from './cache/index.ts';
import {
  AUDIT_UPSTREAM,
  createExternalUpstreams,
  createUpstreams,
  externalTargets,
  IDENTITY_UPSTREAM,
  type Upstream,
} from './forward/index.ts';
import type { IdentityMount, PipelineDeps } from './pipeline/deps.ts';
import { DEFAULT_IDENTITY_RATE_LIMIT } from './pipeline/identity-mount.ts';
import { watchConnectionErrors } from './pipeline/connection-errors.ts';
import { createRequestHandler } from './pipeline/handle-request.ts';
import { enforceHttp1Deadlines } from './pipeline/http1-deadlines.ts';
import { checkTrustedProxies, createRateLimiter } from './rate-limit/index.ts';
import { buildRouteTable } from './routing/index.ts';
import type { CounterBackend, ThreadCounters } from './shared-state/index.ts';
import { gatewaySettings, localUrl, type GatewaySettings } from './settings.ts';
import { createAdminServer } from './workers/admin-server.ts';

export interface GatewayOptions {
  readonly config: RampartConfig;
  readonly log: Logger;
  /** The public TLS certificate and key (PEM). */
  readonly tls: { readonly cert: string; readonly key: string };
  /** Trust anchors for fetching the issuer's key set over HTTPS. */
  readonly issuerCa?: string;
  readonly signingKeyPem: string;
  readonly pseudonymKey: Uint8Array;
  /** Where security events are written; default the log (`logSink`). */
  readonly eventSink?: SecurityEventSink;
  /** The gateway's own workload certificate, for mTLS to the services. */
  readonly credentials: () => WorkloadCredentials;
  /**
   * The directory of the pinned CAs of the `external` upstreams, `<name>.pem` each (`rampart up`
   * copies them there; on Kubernetes a ConfigMap is mounted there). Required when `external` is set.
   */
  readonly externalCaDir?: string;
  /**
   * Follow identity's revocation feed (`rampart up` turns it on): tokens of a revoked grant or
   * subject are refused within about a second. Off for a gateway in front of another issuer.
   */
  readonly followRevocations?: boolean;
  /**
   * Peers whose X-Forwarded-For is believed (none by default); `gateway.trustedProxies` in
   * rampart.yaml, when set, takes precedence and follows reloads.
   */
  readonly trustedProxies?: readonly string[];
  readonly maxConnectionsPerIp?: number;
  /** How long a whole request (headers and body) may take to arrive, HTTP/1.1 and HTTP/2; default 30 000. */
  readonly requestTimeoutMs?: number;
  /**
   * `storage.redis.url`, resolved: replicas then share one rate limit and one penalty box. Without
   * it the limiter is in memory (one process).
   */
  readonly redisUrl?: string;
  /**
   * Set when this gateway is one of the worker threads of `workers/`: the main thread serves the
   * admin port, and response-cache invalidations reach the other workers. With `sharePort`, each
   * worker listens on the public port itself (SO_REUSEPORT: the kernel spreads connections). With `counters` (and
   * no Redis), rate limits, penalty boxes and DPoP proof ids are counted once, in the main thread.
   */
  readonly worker?: { readonly counters?: ThreadCounters; readonly sharePort?: boolean };
  /** The revision `config` already is (a worker started after reloads); later ones must be newer. */
  readonly initialRevision?: number;
  /** Bounds of the response cache (default 10 000 answers, 64 MiB, 1 MiB each). */
  readonly responseCache?: ResponseCacheOptions;
  /**
   * The web console served at `/console/`, already loaded (tests share one); by default it is
   * loaded here, once, from `@rampart/console` for this gateway's origin and issuer.
   */
  readonly console?: ConsoleSite;
}

export interface Gateway {
  start(): Promise<{ url: string; adminUrl: string }>;
  stop(): Promise<void>;
  /** Applies a new configuration: routes and policies at once, without dropping connections. */
  applyConfig(revision: number, config: RampartConfig): void;
  /** New workload certificate: later upstream connections use it. */
  rotateCredentials(): void;
  setTls(tls: { readonly cert: string; readonly key: string }): void;
  /**
   * Reads the pinned CAs of the `external` upstreams again (their files changed): later connections
   * verify with them. A file that cannot be pinned is refused (a `TypeError`) and the CAs in force kept.
   */
  reloadExternalCas(): void;
  revision(): number;
  /** This gateway's metrics, for the main thread to add up its workers' (`workers/`). */
  metrics(): Promise<MetricObjectWithValues<MetricValue<string>>[]>;
}

const MAX_HEADER_BYTES = 16 * 1024;
/** A whole request (headers and body) must arrive within this, over HTTP/1.1 and HTTP/2 alike. */
const REQUEST_TIMEOUT_MS = 30_000;
/** Headers must arrive within this (HTTP/1.1; an HTTP/2 header block arrives whole or not at all). */
const HEADERS_TIMEOUT_MS = 10_000;
const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** TLS 1.3's suites, then TLS 1.2 with ECDHE and an AEAD only. */
const TLS_CIPHERS = [
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'TLS_AES_128_GCM_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');
/** An idle HTTP/2 session (or HTTP/1.1 socket) is closed after this. */
const IDLE_TIMEOUT_MS = 60_000;
/** Streams one HTTP/2 connection may have open at once. */
const MAX_CONCURRENT_STREAMS = 100;

/**
 * The gateway: one HTTPS listener for the outside, running every request through the pipeline
 * of `pipeline/stages.ts`, and a plain-HTTP admin listener on loopback for health and metrics.
 */
export function buildGateway(options: GatewayOptions): Gateway {
  const { log } = options;
  let config = options.config;
  let revision = options.initialRevision ?? 0;
  const settings = gatewaySettings(config);
  const requestTimeoutMs = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  // First, before anything holds a timer or a socket: a configuration the table refuses (a Cedar
  // policy set that does not parse) must stop the process, not leave it half built.
  const initialRoutes = buildRouteTable(config);
  let external = externalTargets(config, options.externalCaDir);
  const initialCors = compileCorsPolicy(config.gateway?.cors);
  let trustedProxies = trustedProxiesOf(config, options);
  if (settings.allowHttpIssuer) {
    log.warn('identity.dangerouslyAllowHttpIssuer is set: the issuer key set is fetched without TLS');
  }
  const metrics = createMetrics('gateway');
  const events = createSecurityEvents({
    serviceName: 'gateway',
    sink: options.eventSink ?? logSink(log),
    subjectKey: options.pseudonymKey,
    metrics,
  });
  const jwks = createJwksCache({
    url: settings.jwksUrl,
    ...(settings.jwksConnectTo === undefined ? {} : { connectTo: settings.jwksConnectTo }),
    ...(options.issuerCa === undefined ? {} : { ca: options.issuerCa }),
    ...(settings.allowHttpIssuer ? { dangerouslyAllowHttp: true } : {}),
    logger: log,
  });
  const redis =
    options.redisUrl === undefined
      ? undefined
      : new Redis(options.redisUrl, {
          enableOfflineQueue: false,
          maxRetriesPerRequest: 1,
          lazyConnect: false,
        });
  redis?.on('error', (error: Error) => {
    log.error({ err: error }, 'redis connection error');
  });
  const identityUpstream: Upstream = Object.freeze({
    peer: 'identity',
    port: settings.identityPort,
    spiffeId: componentSpiffeId(settings.trustDomain, 'identity'),
    authenticatesClients: true,
  });
  // The audit service's admin query API: it checks the admin's own token, and its live feed streams.
  const auditUpstream: Upstream = Object.freeze({
    peer: 'audit',
    port: settings.auditPort,
    spiffeId: componentSpiffeId(settings.trustDomain, 'audit'),
    authenticatesClients: true,
    streams: true,
  });
  const upstreams = createUpstreams({
    credentials: options.credentials,
    upstreamOf: (name) => {
      if (name === IDENTITY_UPSTREAM) return identityUpstream;
      if (name === AUDIT_UPSTREAM) return auditUpstream;
      const port = config.services[name]?.port;
      return port === undefined
        ? undefined
        : { peer: name, port, spiffeId: serviceSpiffeId(settings.trustDomain, name) };
    },
  });
  const externalUpstreams = createExternalUpstreams({ targetOf: (name) => external.get(name) });
  const revocations: RevocationFeed | undefined =
    options.followRevocations === true
      ? createRevocationFeed({
          url: `${peerOrigin('identity', settings.identityPort)}/internal/revocations`,
          identitySpiffeId: componentSpiffeId(settings.trustDomain, 'identity'),
          credentials: options.credentials,
          log,
        })
      : undefined;
  const ownCache = createResponseCache(options.responseCache);
  const sharedCache = options.worker === undefined ? undefined : shareInvalidations(ownCache);
  // Rate limits, penalty boxes and DPoP proof ids: in Redis when configured (shared by replicas),
  // else in the main thread when this is one of several workers (shared by them), else here.
  const counters = (purpose: string): CounterBackend =>
    redis !== undefined
      ? { kind: 'redis', client: redis, keyPrefix: `rampart:${config.name}:${purpose}:` }
      : options.worker?.counters !== undefined
        ? { kind: 'threads', counters: options.worker.counters }
        : { kind: 'memory' };
  let deps: PipelineDeps = {
    routes: initialRoutes,
    cors: initialCors,
    identity: identityMountOf(config, settings),
    console:
      options.console ?? loadConsoleSite({ gatewayOrigin: settings.audience, issuer: settings.issuer }),
    publicOrigin: settings.audience,
    // Bound tokens (DPoP) are accepted: the authenticate stage checks their proof (auth/dpop.ts).
    verifier: createAccessTokenVerifier({
      issuer: settings.issuer,
      audience: settings.audience,
      jwks,
      acceptBoundTokens: true,
    }),
    // Opaque access tokens are checked with Rampart's own identity only (the feed's condition);
    // otherwise they reach the JWT verifier and are refused.
    ...(options.followRevocations === true
      ? {
          introspection: createIntrospectionClient({
            url: `${peerOrigin('identity', settings.identityPort)}/internal/introspect`,
            identitySpiffeId: componentSpiffeId(settings.trustDomain, 'identity'),
            credentials: options.credentials,
            issuer: settings.issuer,
            audience: settings.audience,
          }),
        }
      : {}),
    dpopReplay: createProofReplayCache(counters('dpop')),
    revocations: revocations ?? { isRevoked: () => false },
    limiter: createRateLimiter({
      backend: counters('rl'),
      // Fail closed: with Redis down, limited routes answer 429 until it is back — and it alerts.
      onUnavailable: 'deny',
      onBackendError: (error, outcome) => {
        log.error({ err: error, outcome }, 'rate limiter backend unavailable');
      },
    }),
    minter: createInternalTokenMinter({ signingKeyPem: options.signingKeyPem }),
    upstreams,
    external: externalUpstreams,
    cache: sharedCache ?? ownCache,
    cacheCounter: registerCacheCounter(metrics.registry),
  };

  const handleRequest = createRequestHandler({
    log,
    events,
    metrics,
    requestTimeoutMs,
    deps: () => deps,
    trustedProxies: () => trustedProxies,
  });

  // One listener for HTTP/2 and HTTP/1.1 per address of `gateway.listen`, the protocol chosen by
  // ALPN; all reach the same `handle`, so the pipeline, its limits and its denials are the same
  // whatever the protocol or the interface.
  const sessions = new Set<ServerHttp2Session>();
  const makeServer = (): Http2SecureServer => {
    const server = createSecureServer(
      {
        cert: options.tls.cert,
        key: options.tls.key,
        minVersion: 'TLSv1.2',
        // TLS 1.3's suites (all AEAD), then TLS 1.2 with ECDHE and an AEAD only: no CBC, no SHA-1
        // MACs, no static RSA key exchange, no DHE.
        ciphers: TLS_CIPHERS,
        honorCipherOrder: true,
        allowHTTP1: true,
        settings: {
          maxConcurrentStreams: MAX_CONCURRENT_STREAMS,
          maxHeaderListSize: MAX_HEADER_BYTES,
          enablePush: false,
        },
        maxHeaderListPairs: 128,
      },
      handleRequest,
    );
    // What node:http reads for the HTTP/1.1 connections of an HTTP/2 server. Its `headersTimeout`
    // and `requestTimeout` are not among them (node:http checks those on its own servers only).
    Object.assign(server, { maxHeaderSize: MAX_HEADER_BYTES, keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS });
    enforceHttp1Deadlines(server, { headersMs: HEADERS_TIMEOUT_MS, requestMs: requestTimeoutMs });
    server.setTimeout(IDLE_TIMEOUT_MS);
    server.on('session', (session: ServerHttp2Session) => {
      sessions.add(session);
      session.once('close', () => sessions.delete(session));
    });
    limitConnectionsPerIp(server, options.maxConnectionsPerIp ?? 256);
    watchConnectionErrors(server, log, events);
    return server;
  };
  const servers = settings.listen.map((address) => ({ address, server: makeServer() }));

  let ready = false;
  // A gateway on its own serves its admin port itself; worker threads leave it to the main thread.
  const admin = createAdminServer(
    { ready: () => ready, revision: () => revision, metrics: () => Promise.resolve([]) },
    metrics.registry,
  );

  return {
    async start() {
      for (const { address, server } of servers) {
        await listen(server, settings.port, options.worker?.sharePort === true, address);
      }
      if (options.worker === undefined) await listen(admin, settings.adminPort, false, listenHost());
      ready = true;
      return {
        url: localUrl(settings),
        adminUrl: `http://127.0.0.1:${settings.adminPort}`,
      };
    },
    async stop() {
      ready = false;
      for (const session of sessions) session.close();
      await Promise.all([
        ...servers.map(({ server }) => close(server)),
        options.worker === undefined ? close(admin) : undefined,
      ]);
      sharedCache?.close();
      await upstreams.close();
      await externalUpstreams.close();
      await deps.introspection?.close();
      await revocations?.stop();
      await jwks.close();
      redis?.disconnect();
      events.close();
    },
    applyConfig(nextRevision, next) {
      if (nextRevision <= revision) throw new Error(`revision ${nextRevision} is not newer than ${revision}`);
      // Everything is built before anything is replaced: a refused configuration changes nothing.
      const routes = buildRouteTable(next);
      const cors = compileCorsPolicy(next.gateway?.cors);
      const proxies = trustedProxiesOf(next, options);
      const targets = externalTargets(next, options.externalCaDir);
      deps = { ...deps, routes, cors, identity: identityMountOf(next, settings) };
      external = targets;
      // Answers stored under the old routes and policies are not reused under the new ones.
      deps.cache.clear();
      trustedProxies = proxies;
      config = next;
      revision = nextRevision;
    },
    rotateCredentials: () => {
      upstreams.rotate();
      revocations?.rotate();
    },
    setTls(tls) {
      for (const { server } of servers) server.setSecureContext({ cert: tls.cert, key: tls.key });
    },
    reloadExternalCas() {
      external = externalTargets(config, options.externalCaDir);
    },
    revision: () => revision,
    metrics: () => metrics.registry.getMetricsAsJSON(),
  };
}

/** `gateway.trustedProxies`, else the option; checked now so a typo fails the load, not requests. */
function trustedProxiesOf(config: RampartConfig, options: GatewayOptions): readonly string[] {
  const list = config.gateway?.trustedProxies ?? options.trustedProxies ?? [];
  checkTrustedProxies(list);
  return list;
}

function identityMountOf(config: RampartConfig, settings: GatewaySettings): IdentityMount {
  return Object.freeze({
    port: settings.identityPort,
    publicHost: settings.publicHost,
    rateLimit: config.gateway?.identityRateLimit ?? DEFAULT_IDENTITY_RATE_LIMIT,
  });
}

/** No single address may hold more than `max` connections (slowloris, connection floods). */
function limitConnectionsPerIp(server: NetServer, max: number): void {
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const ip = socket.remoteAddress ?? '';
    const count = (open.get(ip) ?? 0) + 1;
    if (count > max) {
      socket.destroy();
      return;
    }
    open.set(ip, count);
    socket.once('close', () => {
      const left = (open.get(ip) ?? 1) - 1;
      if (left === 0) open.delete(ip);
      else open.set(ip, left);
    });
  });
}

/**
 * With `sharePort`, this thread binds a socket of its own beside its sibling workers' (SO_REUSEPORT).
 * An IPv6 address binds IPv6 alone, so `0.0.0.0` and `::` can both be listed.
 */
function listen(server: NetServer, port: number, sharePort = false, host = '127.0.0.1'): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(
      {
        port,
        host,
        ...(isIPv6(host) ? { ipv6Only: true } : {}),
        ...(sharePort ? { reusePort: true, exclusive: true } : {}),
      },
      () => {
        server.off('error', reject);
        resolve();
      },
    );
  });
}

function close(server: NetServer & { closeIdleConnections?: () => void }): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => {
      resolve();
    });
    server.closeIdleConnections?.();
  });
}
