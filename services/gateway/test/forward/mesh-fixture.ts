import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import {
  CertificateAuthority,
  componentSpiffeId,
  createWorkloadCsr,
  serviceSpiffeId,
  type WorkloadCredentials,
} from '@rampart/mesh';
import { FIXTURE_TRUST_DOMAIN, tempDir, type TempDir } from '@rampart/testing';

/** The fixtures' trust domain: the one `yamlHead` writes. */
export const TRUST_DOMAIN = FIXTURE_TRUST_DOMAIN;

export interface Mesh {
  readonly ca: CertificateAuthority;
  readonly bundle: readonly string[];
  /** Fresh credentials for the gateway (a new key and serial each call). */
  gatewayCredentials(): Promise<WorkloadCredentials & { readonly serial: string }>;
  cleanup(): Promise<void>;
}

export async function openMesh(): Promise<Mesh> {
  const dir: TempDir = await tempDir('rampart-gw-forward-');
  const ca = await CertificateAuthority.open(dir.path, { trustDomain: TRUST_DOMAIN });
  const bundle = [await ca.bundlePem()];
  return {
    ca,
    bundle,
    async gatewayCredentials() {
      const spiffeId = componentSpiffeId(TRUST_DOMAIN, 'gateway');
      const { keyPem, csrPem } = await createWorkloadCsr(spiffeId);
      const issued = await ca.issue({ csrPem, spiffeId });
      return {
        keyPem,
        certPem: issued.certPem,
        caPems: bundle,
        tokenKeyPems: [],
        notAfter: issued.notAfter,
        serial: issued.serial,
      };
    },
    cleanup: () => dir.cleanup(),
  };
}

/** What the echo server received, as it reports it in its JSON body. */
export interface Echo {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  readonly peerSerial: string;
  /** How many requests this path (without query) has had, this one included. */
  readonly hit: number;
}

export interface EchoServer {
  readonly port: number;
  /** Requests received per path (without query). */
  readonly hits: Map<string, number>;
  close(): Promise<void>;
}

/**
 * An mTLS echo service presenting `spiffe://shop.local/service/<name>`. Paths:
 * `/reset-once/*` destroys the connection on the first hit, `/reset/*` on every hit, `/slow` never
 * answers, `/status/<n>` answers n, `/big` sends 64 KiB, `/banners` sends leaky headers; anything
 * else echoes the request as JSON with the client certificate's serial, with the response headers
 * given as `h=name:value` query parameters (`?h=cache-control:private`) and a `hit` counter.
 */
export async function startEchoServer(mesh: Mesh, name: string): Promise<EchoServer> {
  const spiffeId = serviceSpiffeId(TRUST_DOMAIN, name);
  const { keyPem, csrPem } = await createWorkloadCsr(spiffeId);
  const issued = await mesh.ca.issue({ csrPem, spiffeId, ipSans: ['127.0.0.1'] });
  const hits = new Map<string, number>();
  /** The client certificate's serial, by connection. */
  const serials = new WeakMap<object, string>();
  const server: Server = createServer(
    {
      key: keyPem,
      cert: issued.certPem,
      ca: [...mesh.bundle],
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.3',
    },
    (req, res) => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      const count = (hits.get(path) ?? 0) + 1;
      hits.set(path, count);
      if (path.startsWith('/reset/') || (path.startsWith('/reset-once/') && count === 1)) {
        req.socket.destroy();
        return;
      }
      if (path === '/slow') return;
      const status = /^\/status\/(\d{3})$/u.exec(path)?.[1];
      if (status !== undefined) {
        res.writeHead(Number(status), { 'content-type': 'text/plain' });
        res.end('Error: boom\n    at secret (/srv/orders/src/db.ts:12:3)');
        return;
      }
      if (path === '/big') {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.end(Buffer.alloc(64 * 1024));
        return;
      }
      if (path === '/banners') {
        res.writeHead(200, [
          ['content-type', 'text/plain'],
          ['server', 'orders/1.2.3'],
          ['x-powered-by', 'Express'],
          ['set-cookie', 'sid=1'],
          ['etag', '"v1"'],
        ]);
        res.end('ok');
        return;
      }
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const echo: Echo = {
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          peerSerial: serials.get(req.socket) ?? '',
          hit: count,
        };
        const extra = new URLSearchParams((req.url ?? '').split('?')[1] ?? '')
          .getAll('h')
          .map((pair) => [pair.slice(0, pair.indexOf(':')), pair.slice(pair.indexOf(':') + 1)]);
        res.writeHead(200, [['content-type', 'application/json'], ...extra].flat());
        res.end(JSON.stringify(echo));
      });
    },
  );
  server.on('secureConnection', (socket) => {
    serials.set(socket, socket.getPeerCertificate().serialNumber);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}
