import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { listenHost } from '@rampart/config';
import type { Store } from './store/index.ts';

/** What a component's admin port reports about it. */
export interface ComponentHealth {
  /** The configuration revision applied (0 at start). */
  revision(): number;
  /**
   * Why the component cannot serve requests now — each a short phrase such as "store unreachable"
   * or "stopping", never a secret or an identifier — or an empty list when it can.
   */
  notReady(): Promise<readonly string[]>;
}

export interface AdminServerOptions {
  readonly health: ComponentHealth;
  /** The Prometheus text exposition of the component's metrics. */
  readonly metrics: () => Promise<{ readonly contentType: string; readonly body: string }>;
}

/** A readiness check: resolves to the reason the component is not ready, or null when it is. */
export type ReadinessCheck = () => Promise<string | null>;

/**
 * The admin port every Rampart component serves — the mesh authority, identity, the gateway and
 * every service: plain HTTP on loopback, apart from the mTLS port, so that probes (the supervisor,
 * Kubernetes) and Prometheus need no workload certificate. Only `GET`/`HEAD` of
 *
 * - `/healthz` → 200 `{"status":"live"}` while the process serves;
 * - `/readyz` → 200 `{"status":"ready","revision":N}`, or 503
 *   `{"status":"not-ready","revision":N,"reasons":[…]}` when a check fails;
 * - `/metrics` → the Prometheus exposition.
 *
 * Nothing about users, never a secret.
 *
 * @example
 * const admin = createAdminServer({ health: { revision: () => 0, notReady: readinessOf([storeCheck(store)]) }, metrics });
 * admin.listen(adminPort, '127.0.0.1');
 */
export function createAdminServer(options: AdminServerOptions): Server {
  return createServer(adminRequestHandler(options));
}

/** The request handler of {@link createAdminServer}, for tests that inject requests in-process. */
export function adminRequestHandler(
  options: AdminServerOptions,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    void answer(options, req, res).catch(() => {
      if (!res.headersSent) json(res, 503, { status: 'unavailable' });
      else res.destroy();
    });
  };
}

async function answer(options: AdminServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?', 1)[0];
  if (path !== '/healthz' && path !== '/readyz' && path !== '/metrics') {
    json(res, 404, { status: 'not-found' });
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    json(res, 405, { status: 'method-not-allowed' });
    return;
  }
  if (path === '/healthz') {
    json(res, 200, { status: 'live' });
  } else if (path === '/readyz') {
    const reasons = await options.health.notReady();
    const revision = options.health.revision();
    if (reasons.length === 0) json(res, 200, { status: 'ready', revision });
    else json(res, 503, { status: 'not-ready', revision, reasons });
  } else {
    const { contentType, body } = await options.metrics();
    res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' });
    res.end(body);
  }
}

/** Runs every check at once; the reasons of those that fail, in order. */
export function readinessOf(checks: readonly ReadinessCheck[]): () => Promise<readonly string[]> {
  return async () => {
    const results = await Promise.all(checks.map((check) => check()));
    return results.filter((reason): reason is string => reason !== null);
  };
}

/**
 * Ready while the store answers a trivial query within `timeoutMs` (default 1 s). A store that is
 * down, locked or out of connections makes the component not ready, so a balancer or the
 * supervisor stops sending it work instead of watching every request fail.
 */
export function storeCheck(store: Store, timeoutMs = 1_000): ReadinessCheck {
  return async () => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => {
        resolve('timeout');
      }, timeoutMs);
    });
    try {
      const outcome = await Promise.race([store.get('SELECT 1 AS one').then(() => 'ok' as const), timeout]);
      return outcome === 'ok' ? null : 'store not answering';
    } catch {
      return 'store unreachable';
    } finally {
      clearTimeout(timer);
    }
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

/**
 * Listens on `port` at the component's address (`listenHost()` of @rampart/config: 127.0.0.1 unless
 * `RAMPART_LISTEN_HOST` says otherwise); rejects with the listen error (EADDRINUSE …) instead of emitting it.
 */
export function listenOn(server: Server | HttpsServer, port: number, host = listenHost()): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Stops accepting, closes idle keep-alive connections, resolves when the last one is gone. */
export function closeServer(server: Server | HttpsServer): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => {
      resolve();
    });
    server.closeIdleConnections();
  });
}
