import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { TLSSocket } from 'node:tls';
import { componentSpiffeId, peerSpiffeId, type WorkloadCredentials } from '@rampart/mesh';
import type { Metrics } from '@rampart/sdk';
import type { Identity } from '../app.ts';
import { INTROSPECTION_PATH, serveIntrospection } from '../oidc/internal-introspection.ts';
import { sendJson } from './router.ts';

export interface IdentityServersOptions {
  readonly identity: Identity;
  readonly metrics: Metrics;
  readonly trustDomain: string;
  readonly credentials: () => WorkloadCredentials;
  readonly port: number;
  readonly adminPort: number;
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
 * gateway publishes the issuer at `/auth` and is the only way in. The admin one is plain HTTP on
 * loopback: `/healthz`, `/readyz`, `/metrics`, never reachable through the gateway.
 */
export async function startIdentityServers(options: IdentityServersOptions): Promise<IdentityServers> {
  const gatewayId = componentSpiffeId(options.trustDomain, 'gateway');
  const tlsOptions = (): { key: string; cert: string; ca: string[] } => {
    const credentials = options.credentials();
    return { key: credentials.keyPem, cert: credentials.certPem, ca: [...credentials.caPems] };
  };
  const server: HttpsServer = createHttpsServer(
    { ...tlsOptions(), requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3', ...LIMITS },
    (req, res) => {
      const socket = req.socket;
      if (!(socket instanceof TLSSocket) || peerSpiffeId(socket.getPeerCertificate()) !== gatewayId) {
        options.identity.events.emit({
          event: 'request.denied',
          outcome: 'failure',
          reason: 'SDK_CALLER_NOT_ALLOWED',
        });
        sendJson(res, 403, { error: 'access_denied' });
        return;
      }
      observe(options.metrics, req, res);
      if (req.url === INTROSPECTION_PATH) {
        void serveIntrospection(options.identity, req, res);
        return;
      }
      if (req.url === REVOCATIONS_PATH || req.url?.startsWith(`${REVOCATIONS_PATH}?`) === true) {
        void serveRevocations(options.identity, req, res);
        return;
      }
      options.identity.handle(req, res);
    },
  );
  const admin: Server = createHttpServer((req, res) => {
    void serveAdmin(options.metrics, req, res);
  });
  await listen(server, options.port);
  await listen(admin, options.adminPort);
  return {
    url: `https://127.0.0.1:${options.port}`,
    adminUrl: `http://127.0.0.1:${options.adminPort}`,
    rotateCredentials() {
      server.setSecureContext(tlsOptions());
    },
    async close() {
      await Promise.all([close(server), close(admin)]);
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

/** Route labels: the known first segments below the mount; anything else is `other`. */
const ROUTES = new Set([
  '.well-known',
  'authorize',
  'token',
  'jwks',
  'me',
  'session',
  'interaction',
  'admin',
  'assets',
]);

/** Counts requests by a bounded route label (never the raw path) and status. */
function observe(metrics: Metrics, req: IncomingMessage, res: ServerResponse): void {
  const started = process.hrtime.bigint();
  res.on('finish', () => {
    const segment = /^\/[^/?]+\/([^/?]+)/.exec(req.url ?? '')?.[1];
    const route = segment !== undefined && ROUTES.has(segment) ? segment : 'other';
    const labels = { method: req.method ?? 'GET', route, status: String(res.statusCode) };
    metrics.httpRequests.inc(labels);
    metrics.httpDuration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
  });
}

async function serveAdmin(metrics: Metrics, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.url === '/healthz' || req.url === '/readyz') {
    sendJson(res, 200, { status: 'ok' });
  } else if (req.url === '/metrics') {
    const body = await metrics.registry.metrics();
    res.writeHead(200, { 'content-type': metrics.registry.contentType });
    res.end(body);
  } else {
    sendJson(res, 404, { error: 'not_found' });
  }
}

function listen(server: Server | HttpsServer, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function close(server: Server | HttpsServer): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => {
      resolve();
    });
    server.closeIdleConnections();
  });
}
