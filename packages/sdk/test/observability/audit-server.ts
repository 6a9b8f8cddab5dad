import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { TLSSocket } from 'node:tls';
import {
  CertificateAuthority,
  componentSpiffeId,
  createWorkloadCsr,
  peerSpiffeId,
  serviceSpiffeId,
} from '@rampart/mesh';
import { tempDir, type TempDir } from '@rampart/testing';
import type { MeshCredentials } from '../../src/index.ts';

export const TRUST_DOMAIN = 'shop.local';
export const AUDIT_ID = componentSpiffeId(TRUST_DOMAIN, 'audit');

export interface Mesh {
  readonly ca: CertificateAuthority;
  readonly bundle: readonly string[];
  /** Fresh credentials (a new key each call) for `spiffeId`. */
  credentials(spiffeId: string): Promise<MeshCredentials>;
  cleanup(): Promise<void>;
}

export async function openMesh(): Promise<Mesh> {
  const dir: TempDir = await tempDir('rampart-audit-mesh-');
  const ca = await CertificateAuthority.open(dir.path, { trustDomain: TRUST_DOMAIN });
  const bundle = [await ca.bundlePem()];
  return {
    ca,
    bundle,
    async credentials(spiffeId) {
      const { keyPem, csrPem } = await createWorkloadCsr(spiffeId);
      const issued = await ca.issue({ csrPem, spiffeId, ipSans: ['127.0.0.1'] });
      return { keyPem, certPem: issued.certPem, caPems: bundle };
    },
    cleanup: () => dir.cleanup(),
  };
}

/** How the server answers one request, from what it holds and the events posted. */
export type Answerer = (events: readonly Record<string, unknown>[]) => number | undefined;

export interface AuditServer {
  readonly port: number;
  readonly url: string;
  /** Every event posted, in arrival order, duplicates included. */
  readonly received: Record<string, unknown>[];
  /** Events stored, by id (each once). */
  readonly stored: Map<string, Record<string, unknown>>;
  /** Requests received, with the client's SPIFFE ID and body size. */
  readonly requests: {
    peer: string | null;
    serial: string;
    events: number;
    bytes: number;
    status: number;
  }[];
  /** Overrides the status (undefined: the normal 200 with the receipt). */
  answer: Answerer;
  close(): Promise<void>;
}

/**
 * A stand-in for the audit service over real mTLS: it presents `serverId` (the audit service's by
 * default), requires a client certificate from the mesh CA, and implements the contract of
 * `POST /v1/events`: `{"events":[…]}` → 200 `{"accepted":n,"duplicates":m}`, deduplicating by id.
 */
export async function startAuditServer(
  mesh: Mesh,
  options: { port?: number; serverId?: string } = {},
): Promise<AuditServer> {
  const own = await mesh.credentials(options.serverId ?? AUDIT_ID);
  const received: Record<string, unknown>[] = [];
  const stored = new Map<string, Record<string, unknown>>();
  const requests: AuditServer['requests'] = [];
  const state: { answer: Answerer } = { answer: () => undefined };
  const server: Server = createServer(
    {
      key: own.keyPem,
      cert: own.certPem,
      ca: [...mesh.bundle],
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.3',
    },
    (request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const socket = request.socket;
        if (!(socket instanceof TLSSocket)) throw new Error('the audit server speaks TLS only');
        const certificate = socket.getPeerCertificate();
        const peer = peerSpiffeId(certificate);
        let events: Record<string, unknown>[] = [];
        const reply = (status: number, body: unknown): void => {
          requests.push({
            peer,
            serial: certificate.serialNumber,
            events: events.length,
            bytes: text.length,
            status,
          });
          response.writeHead(status, { 'content-type': 'application/json' });
          response.end(JSON.stringify(body));
        };
        if (
          request.method !== 'POST' ||
          request.url !== '/v1/events' ||
          request.headers['content-type'] !== 'application/json'
        ) {
          reply(404, { code: 'not_found' });
          return;
        }
        try {
          events = (JSON.parse(text) as { events: Record<string, unknown>[] }).events;
        } catch {
          reply(400, { code: 'invalid_json' });
          return;
        }
        const status = state.answer(events);
        if (status !== undefined) {
          reply(status, { code: 'test' });
          return;
        }
        let accepted = 0;
        for (const event of events) {
          received.push(event);
          const id = String(event['id']);
          if (!stored.has(id)) {
            stored.set(id, event);
            accepted++;
          }
        }
        reply(200, { accepted, duplicates: events.length - accepted });
      });
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `https://127.0.0.1:${port}`,
    received,
    stored,
    requests,
    get answer() {
      return state.answer;
    },
    set answer(value) {
      state.answer = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

export const ORDERS_ID = serviceSpiffeId(TRUST_DOMAIN, 'orders');

/** Polls `condition` every 10 ms until it holds or `timeoutMs` passes. */
export async function eventually(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
