import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { TLSSocket } from 'node:tls';
import { componentSpiffeId, peerSpiffeId, type WorkloadCredentials } from '@rampart/mesh';
import { identityEndpointLabel } from '@rampart/config';
import {
  closeServer,
  createAdminServer,
  listenOn,
  metricsExposition,
  type ComponentHealth,
  type Metrics,
} from '@rampart/sdk';
import type { Identity } from '../app.ts';
import { ADMIN_TOKEN_CHECK_PATH } from '../admin/admin-token-check.ts';
import { SUBJECT_LOOKUP_PATH } from '../admin/subject-lookup.ts';
import { INTROSPECTION_PATH, serveIntrospection } from '../oidc/internal-introspection.ts';
import { traceRequest } from './request-trace.ts';
import { sendJson } from './router.ts';

export interface IdentityServersOptions {
  readonly identity: Identity;
  readonly metrics: Metrics;
  /** What the admin port's `/readyz` reports. */
  readonly health: ComponentHealth;
  readonly trustDomain: string;
  readonly credentials: () => WorkloadCredentials;
  readonly port: number;
  readonly adminPort: number;
  /**
   * `POST /internal/admin-token` (`admin/admin-token-check.ts`), served to the audit service's
   * SPIFFE ID alone — the one request identity takes from a peer other than the gateway.
   */
  readonly adminTokenCheck?: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  /**
   * `POST /internal/subject-lookup` (`admin/subject-lookup.ts`): re-identification for the audit
   * service's admin API, served to the audit service's SPIFFE ID alone.
   */
  readonly subjectLookup?: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
}

export interface IdentityServers {
  readonly url: string;
  readonly adminUrl: string;
  rotateCredentials(): void;
  close(): Promise<void>;
}

/** Requests and headers identity reads are small; the gateway enforces the same bounds first. */
const LIMITS = {
  maxHeaderSize: 16 * 1024,
  requestTimeout: 30_000,
  headersTimeout: 10_000,
  keepAliveTimeout: 5_000,
};

/**
 * Identity's listeners. The public one is mutual TLS 1.3 with the mesh: a client must present a
 * workload certificate, and only the gateway's (`spiffe://<td>/rampart/gateway`) is served — the
 * gateway publishes the issuer at `/auth` and is the only way in. The one exception is the audit
 * service (`spiffe://<td>/rampart/audit`), served `POST /internal/admin-token` (to check the admin
 * tokens of its query API) and `POST /internal/subject-lookup` (re-identification for an admin),
 * and nothing else. The admin one is plain HTTP on loopback: `/healthz`,
 * `/readyz`, `/metrics`, never reachable through the gateway.
 */
export async function startIdentityServers(options: IdentityServersOptions): Promise<IdentityServers> {
  const gatewayId = componentSpiffeId(options.trustDomain, 'gateway');
  const auditId = componentSpiffeId(options.trustDomain, 'audit');
  const tlsOptions = (): { key: string; cert: string; ca: string[] } => {
    const credentials = options.credentials();
    return { key: credentials.keyPem, cert: credentials.certPem, ca: [...credentials.caPems] };
  };
  const server: HttpsServer = createHttpsServer(
    { ...tlsOptions(), requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3', ...LIMITS },
    (req, res) => {
      const socket = req.socket;
      const peer = socket instanceof TLSSocket ? peerSpiffeId(socket.getPeerCertificate()) : null;
      const route = routeLabel(options.identity.settings.mountPath, req.url ?? '/');
      const log = options.identity.log;
      if (peer === auditId && options.adminTokenCheck !== undefined && req.url === ADMIN_TOKEN_CHECK_PATH) {
        const check = options.adminTokenCheck;
        observe(options.metrics, route, req, res);
        traceRequest(req, res, route, log, () => void check(req, res));
        return;
      }
      if (peer === auditId && options.subjectLookup !== undefined && req.url === SUBJECT_LOOKUP_PATH) {
        observe(options.metrics, options.identity.settings.mountPath, req, res);
        void options.subjectLookup(req, res);
        return;
      }
      if (peer !== gatewayId) {
        options.identity.events.emit({
          event: 'request.denied',
          outcome: 'failure',
          reason: 'SDK_CALLER_NOT_ALLOWED',
        });
        sendJson(res, 403, { error: 'access_denied' });
        return;
      }
      observe(options.metrics, route, req, res);
      // Each request of the gateway runs in its trace: a span, and its ids on every line and event.
      traceRequest(req, res, route, log, () => {
        if (req.url === INTROSPECTION_PATH) {
          void serveIntrospection(options.identity, req, res);
          return;
        }
        if (req.url === REVOCATIONS_PATH || req.url?.startsWith(`${REVOCATIONS_PATH}?`) === true) {
          void serveRevocations(options.identity, req, res);
          return;
        }
        options.identity.handle(req, res);
      });
    },
  );
  const admin = createAdminServer({ health: options.health, metrics: metricsExposition(options.metrics) });
  await listenOn(server, options.port);
  await listenOn(admin, options.adminPort);
  return {
    url: `https://127.0.0.1:${options.port}`,
    adminUrl: `http://127.0.0.1:${options.adminPort}`,
    rotateCredentials() {
      server.setSecureContext(tlsOptions());
    },
    async close() {
      await Promise.all([closeServer(server), closeServer(admin)]);
    },
  };
}

/**
 * The revocation feed for gateways (`?after=<seq>`). It lives outside the issuer's mount, so the
 * gateway's public `/auth` mount can never reach it; only the gateway's mTLS identity can.
 */
export const REVOCATIONS_PATH = '/internal/revocations';

async function serveRevocations(
  identity: Identity,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const after = Number(new URL(req.url ?? '/', 'https://identity').searchParams.get('after') ?? '0');
  if (req.method !== 'GET' || !Number.isSafeInteger(after) || after < 0) {
    sendJson(res, 400, { error: 'invalid_request' });
    return;
  }
  try {
    sendJson(res, 200, await identity.revocations.since(after));
  } catch (error) {
    identity.log.error({ err: error }, 'identity: revocation feed failed');
    sendJson(res, 503, { error: 'temporarily_unavailable' });
  }
}

/**
 * Counts requests by a bounded route label — identity's endpoint (`token`, `authorize`, `userinfo`,
 * …, the gateway's mount counts the same names) or its internal feed — and status, never the raw
 * path. The label is taken on arrival: oidc-provider rewrites `req.url` below its mount.
 */
function observe(metrics: Metrics, route: string, req: IncomingMessage, res: ServerResponse): void {
  const started = process.hrtime.bigint();
  res.on('finish', () => {
    const labels = { method: req.method ?? 'GET', route, status: String(res.statusCode) };
    metrics.httpRequests.inc(labels);
    metrics.httpDuration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
  });
}

function routeLabel(mountPath: string, url: string): string {
  const path = url.split('?', 1)[0] ?? '/';
  if (path === INTROSPECTION_PATH) return 'internal_introspection';
  if (path === REVOCATIONS_PATH) return 'revocation_feed';
  if (path === ADMIN_TOKEN_CHECK_PATH) return 'admin_token_check';
  if (path === SUBJECT_LOOKUP_PATH) return 'subject_lookup';
  if (path !== mountPath && !path.startsWith(`${mountPath}/`)) return 'other';
  return identityEndpointLabel(path.slice(mountPath.length) || '/');
}
