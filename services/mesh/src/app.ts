import { randomBytes, randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import fastify, { type FastifyInstance } from 'fastify';
import { kubernetesMeshSettings, kubernetesWorkloads, listenHost, type RampartConfig } from '@rampart/config';
import {
  CertificateAuthority,
  type RootCaPems,
  JoinTokens,
  componentSpiffeId,
  joinTokenAttestor,
  type JoinAttestor,
  type Rotation,
} from '@rampart/mesh';
import {
  closeServer,
  createAdminServer,
  createMetrics,
  createSecurityEvents,
  createTracer,
  listenOn,
  metricsExposition,
  registerHttpMetrics,
  registerHttpTracing,
  startAuditShipping,
  type Logger,
} from '@rampart/sdk';
import { importInternalTokenKey, loadInternalTokenKeyPair } from '@rampart/tokens';
import { registerBundleRoutes } from './bundle/routes.ts';
import { meshSettings } from './config.ts';
import type { MeshContext } from './context.ts';
import { registerErrorHandlers } from './http/errors.ts';
import { createJoinLimiter, type JoinLimiterOptions } from './join/join-limiter.ts';
import { k8sPsatAttestor } from './join/k8s-psat-attestor.ts';
import { registerJoinRoutes } from './join/routes.ts';
import { kubernetesTokenReviewer } from './join/token-reviewer.ts';
import { registerRenewRoutes } from './renew/routes.ts';
import { ServerIdentity } from './server-identity.ts';
import { registerTokenRoutes } from './token/routes.ts';

/** Request bodies larger than this are refused (a CSR is under 1 KiB; a token under 4 KiB). */
export const MESH_BODY_LIMIT_BYTES = 32 * 1024;

export interface MeshAuthorityOptions {
  readonly config: RampartConfig;
  /** `componentEnv.stateDir`: the CA lives in `<stateDir>/ca/`, the bundle in `<stateDir>/bundle.pem`. */
  readonly stateDir: string;
  /** Ed25519 PKCS#8 PEM signing internal tokens, and its SPKI PEM public key. */
  readonly signingKeyPem: string;
  readonly publicKeyPem: string;
  /**
   * A root CA made beforehand (`componentEnv.meshCaFile` and `meshCaKeyFile`): the CA is created
   * from it rather than from a new root, so the bundle was known before this start.
   */
  readonly providedRoot?: RootCaPems;
  /** Public keys (SPKI PEM) of the other internal-token signers — the gateway's — published with the bundle. */
  readonly otherSignerKeyPems?: readonly string[];
  readonly log: Logger;
  /**
   * The audit service its security events are shipped to (`componentEnv.auditUrl`), with its
   * outbox in `<stateDir>/audit-outbox/`; without it they go to the log alone.
   */
  readonly auditUrl?: string;
  /**
   * The deployment's pseudonym key (`componentEnv.pseudonymKeyFile`). The authority's events name
   * workloads, never a user's subject; without the key a random one stands in.
   */
  readonly pseudonymKey?: Uint8Array;
  /** Lifetime of issued leaves (workloads and the mesh's own); default 1 h. */
  readonly leafTtlMs?: number;
  /** Override `ports.mesh` / `ports.meshAdmin` (0 = any free port, for tests). */
  readonly port?: number;
  readonly adminPort?: number;
  /**
   * How to reach the Kubernetes API server (in a pod: `loadFromCluster()`, the mesh's own
   * ServiceAccount). With `mesh.kubernetes` in rampart.yaml it turns on `k8s_psat` joins, verified
   * with the TokenReview API; without it they are refused (`MESH_ATTESTATION_UNSUPPORTED`).
   */
  readonly kubeConfig?: KubeConfig;
  /** How long a TokenReview may take before the join is refused; default 5 s. */
  readonly tokenReviewTimeoutMs?: number;
  /** Limits of the Kubernetes joins (per address, in flight); defaults in `join-limiter.ts`. */
  readonly joinLimits?: JoinLimiterOptions;
  /** Clock, for tests. */
  readonly now?: () => number;
}

/** The running mesh authority. */
export interface MeshAuthority {
  readonly trustDomain: string;
  /** `spiffe://<td>/rampart/mesh`. */
  readonly spiffeId: string;
  /** `<stateDir>/bundle.pem`. */
  readonly bundleFile: string;
  /** Listens on 127.0.0.1 (mTLS and admin). Resolves to both base URLs. */
  start(): Promise<{ url: string; adminUrl: string }>;
  /** Stops accepting, lets requests in flight finish. Idempotent. */
  stop(): Promise<void>;
  revision(): number;
  /** Applies a newer configuration (the call graph); throws on a stale revision. */
  applyConfig(revision: number, config: RampartConfig): void;
  /** Registers a join token digest from the supervisor. */
  addJoinToken(spiffeId: string, sha256: string, expiresAt: Date | number): void;
  /**
   * Starts a CA rotation: the new root is published at once (bundle.pem rewritten, trusted by the
   * mesh's server) and signs from `activatesAt` on — once every workload has refreshed its bundle;
   * the old root keeps signing until then and stays trusted until its last leaf expires. Rejects
   * while a rotation is pending.
   */
  rotateCa(): Promise<Rotation>;
  /** Makes the pending root sign now (operators, tests). Resolves to its id, or null if none. */
  activatePendingCa(): Promise<string | null>;
  /** The current bundle (PEM), for tests and the supervisor. */
  bundlePem(): Promise<string>;
}

/**
 * Builds the mesh authority from configuration: opens (or creates) the CA, issues the mesh's own
 * server certificate, writes bundle.pem and prepares the mTLS and admin apps.
 *
 * @example
 * const mesh = await buildMeshAuthority({ config, stateDir, signingKeyPem, publicKeyPem, log });
 * await mesh.start();
 */
export async function buildMeshAuthority(options: MeshAuthorityOptions): Promise<MeshAuthority> {
  const settings = meshSettings(options.config);
  const now = options.now ?? Date.now;
  const leafTtlMs = options.leafTtlMs ?? settings.certificateTtlMs;
  const log = options.log;
  let config = options.config;
  let revision = 0;
  let ready = false;

  const ca = await CertificateAuthority.open(join(options.stateDir, 'ca'), {
    trustDomain: settings.trustDomain,
    now,
    ...(options.providedRoot === undefined ? {} : { providedRoot: options.providedRoot }),
  });
  const tokenKeys = await loadInternalTokenKeyPair(options.signingKeyPem, options.publicKeyPem);
  // A key every service will import must be one: refuse to start rather than publish a bad one.
  const otherSigners = await Promise.all((options.otherSignerKeyPems ?? []).map(importInternalTokenKey));
  const joinTokens = new JoinTokens({ now });
  const spiffeId = componentSpiffeId(settings.trustDomain, 'mesh');
  const bundleFile = join(options.stateDir, 'bundle.pem');
  const identity = await ServerIdentity.create({
    ca,
    spiffeId,
    ttlMs: leafTtlMs,
    bundleFile,
    log,
    now,
    // `events` is made below, from this identity's credentials; activation is first noted later.
    onRootActivated: () =>
      events.emit({ event: 'ca.root_activated', outcome: 'success', reason: 'root_activated' }),
  });

  const app = fastify({
    // rampart-ignore code/tls-verification-off a joining workload has no certificate yet (its join token is checked instead); routes that need one check the peer certificate themselves
    https: { ...identity.secureContextOptions(), requestCert: true, rejectUnauthorized: false },
    logger: false,
    bodyLimit: MESH_BODY_LIMIT_BYTES,
    return503OnClosing: true,
    // Random, not Fastify's sequential `req-1`, `req-2`…: an id in a refusal must not tell a caller
    // how many requests the authority has served, nor let one guess another's id in the log.
    genReqId: () => randomUUID(),
  }) as unknown as FastifyInstance;
  identity.attach(app.server as unknown as HttpsServer);
  // A SERVER span per request, before any hook that may refuse one.
  registerHttpTracing(app, createTracer('mesh'));

  const metrics = createMetrics('mesh');
  const shipping = startAuditShipping({
    stateDir: options.stateDir,
    auditUrl: options.auditUrl,
    trustDomain: settings.trustDomain,
    credentials: () => identity.credentials(),
    nats: options.config.storage?.nats,
    log,
    metrics,
  });
  const events = createSecurityEvents({
    serviceName: 'mesh',
    sink: shipping.sink,
    subjectKey: options.pseudonymKey ?? randomBytes(32),
    metrics,
  });
  const attestors: JoinAttestor[] = [joinTokenAttestor(joinTokens)];
  if (kubernetesMeshSettings(config) !== undefined) {
    if (options.kubeConfig === undefined) {
      log.warn(
        'mesh.kubernetes is set but the mesh does not run in a Kubernetes pod: k8s_psat joins are refused',
      );
    } else {
      attestors.push(
        k8sPsatAttestor({
          reviewer: kubernetesTokenReviewer(options.kubeConfig, {
            ...(options.tokenReviewTimeoutMs === undefined
              ? {}
              : { timeoutMs: options.tokenReviewTimeoutMs }),
          }),
          // The configuration in force at each join: a service removed from rampart.yaml stops joining.
          settings: () => kubernetesMeshSettings(config),
          workloads: () => kubernetesWorkloads(config),
          trustDomain: settings.trustDomain,
        }),
      );
    }
  }
  const context: MeshContext = {
    ca,
    events,
    attestors,
    joinLimiter: createJoinLimiter(options.joinLimits),
    tokenKeys,
    publishedTokenKeys: [tokenKeys.publicKeyPem, ...(options.otherSignerKeyPems ?? [])],
    subjectTokenKeys: [tokenKeys.publicKey, ...otherSigners],
    log,
    trustDomain: settings.trustDomain,
    leafTtlMs,
    config: () => config,
    now,
  };
  registerErrorHandlers(app, log);
  registerJoinRoutes(app, context);
  registerRenewRoutes(app, context);
  registerBundleRoutes(app, context);
  registerTokenRoutes(app, context);

  registerHttpMetrics(app, metrics);
  const admin = createAdminServer({
    health: {
      revision: () => revision,
      notReady: () => Promise.resolve(ready ? [] : ['not listening']),
    },
    metrics: metricsExposition(metrics),
  });

  let stopping: Promise<void> | undefined;
  return {
    trustDomain: settings.trustDomain,
    spiffeId,
    bundleFile,
    async start() {
      const url = await app.listen({ host: listenHost(), port: options.port ?? settings.port });
      await listenOn(admin, options.adminPort ?? settings.adminPort);
      const adminUrl = `http://127.0.0.1:${addressPort(admin)}`;
      identity.startMaintenance();
      ready = true;
      log.info({ url, adminUrl, spiffeId, trustDomain: settings.trustDomain }, 'mesh authority listening');
      return { url, adminUrl };
    },
    stop() {
      stopping ??= (async () => {
        ready = false;
        identity.stopMaintenance();
        await Promise.all([app.close(), closeServer(admin)]);
        await shipping.stop();
        events.close();
      })();
      return stopping;
    },
    revision: () => revision,
    applyConfig(nextRevision, next) {
      if (nextRevision <= revision) throw new Error(`revision ${nextRevision} is not newer than ${revision}`);
      if (meshSettings(next).trustDomain !== settings.trustDomain) {
        log.warn('the trust domain changed: it takes effect at the next restart');
      }
      config = next;
      revision = nextRevision;
    },
    addJoinToken(id, sha256, expiresAt) {
      joinTokens.add(id, sha256, expiresAt);
      events.emit({
        event: 'mesh.join_token_added',
        outcome: 'success',
        reason: 'join_token_added',
        peer: id,
      });
    },
    async rotateCa() {
      const rotation = await ca.rotate();
      await identity.refreshTrust();
      log.info(
        { root: rotation.root, activatesAt: rotation.activatesAt.toISOString() },
        'CA rotation started: new root published',
      );
      events.emit({ event: 'ca.rotated', outcome: 'success', reason: 'ca_rotated' });
      identity.noteActivation();
      return rotation;
    },
    async activatePendingCa() {
      const root = await ca.activatePending();
      await identity.refreshTrust();
      identity.noteActivation();
      return root;
    },
    bundlePem: () => ca.bundlePem(),
  };
}

/** The port a listening server is bound to (its own pick when asked for port 0). */
function addressPort(server: Server): number {
  const address = server.address();
  return typeof address === 'object' && address !== null ? address.port : 0;
}
