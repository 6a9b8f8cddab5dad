// A gateway's worker threads (`startWorkerPool`) on loopback, with what they need around them: a
// mesh CA, an mTLS echo `orders`, an issuer with its key set, free ports and a captured main log.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { parseConfig, type RampartConfig } from '@rampart/config';
import { componentSpiffeId, createWorkloadCsr } from '@rampart/mesh';
import { createLogger, type Logger } from '@rampart/sdk';
import { freePort } from '@rampart/testing';
import type { Metrics, WorkerPoolOptions } from '../../src/workers/index.ts';
import { makeKey, mint, startJwksServer, type JwksServer, type TestKey } from '../auth/helpers.ts';
import { openMesh, startEchoServer, type EchoServer, type Mesh } from '../forward/mesh-fixture.ts';

export { TRUST_DOMAIN } from '../forward/mesh-fixture.ts';

export interface Ports {
  readonly gateway: number;
  readonly admin: number;
  readonly orders: number;
  readonly issuer: string;
}

export function parse(text: string): RampartConfig {
  const result = parseConfig(text, 'rampart.yaml');
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.config;
}

/** Total of `http_requests_total` in one worker's metrics. */
export function requestsServed(metrics: Metrics): number {
  const counter = metrics.find((metric) => metric.name === 'http_requests_total');
  return (counter?.values ?? []).reduce((sum, value) => sum + value.value, 0);
}

/** What a pool is started from: a mesh CA, an mTLS echo `orders`, an issuer, ports and a logger. */
export interface Setup {
  readonly mesh: Mesh;
  readonly orders: EchoServer;
  readonly ports: Ports;
  /** Pool options, less the count and the log. */
  readonly options: Omit<WorkerPoolOptions, 'count' | 'log'>;
  readonly log: Logger;
  /** What the main thread logged, parsed. */
  readonly logs: Record<string, unknown>[];
  token(claims?: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

/** Everything a pool needs, for the rampart.yaml `yaml` writes with these ports. */
export async function setUp(yaml: (ports: Ports) => string): Promise<Setup> {
  const mesh = await openMesh();
  const orders = await startEchoServer(mesh, 'orders');
  const key: TestKey = await makeKey('ES256', 'k1');
  const jwks: JwksServer = await startJwksServer([key.publicJwk]);
  const issuer = jwks.url.replace(/\/jwks$/u, '');
  const ports: Ports = { gateway: await freePort(), admin: await freePort(), orders: orders.port, issuer };
  const gatewayId = componentSpiffeId('shop.local', 'gateway');
  const { keyPem, csrPem } = await createWorkloadCsr(gatewayId);
  const publicCert = await mesh.ca.issue({ csrPem, spiffeId: gatewayId, ipSans: ['127.0.0.1'] });
  const logs: Record<string, unknown>[] = [];
  return {
    mesh,
    orders,
    ports,
    logs,
    options: {
      config: parse(yaml(ports)),
      tls: { cert: publicCert.certPem, key: keyPem },
      issuerCa: mesh.bundle.join('\n'),
      signingKeyPem: generateKeyPairSync('ed25519')
        .privateKey.export({ type: 'pkcs8', format: 'pem' })
        .toString(),
      pseudonymKey: randomBytes(32),
      credentials: await mesh.gatewayCredentials(),
      followRevocations: false,
      logLevel: 'warn',
    },
    log: createLogger('gateway', {
      level: 'info',
      destination: new Writable({
        write(chunk: Buffer, _encoding, done) {
          logs.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
          done();
        },
      }),
    }),
    token: (claims = {}) =>
      mint(key, {
        claims: {
          iss: issuer,
          aud: `https://127.0.0.1:${ports.gateway}`,
          scope: 'orders:read orders:write',
          ...claims,
        },
      }),
    async close() {
      await jwks.close();
      await orders.close();
      await mesh.cleanup();
    },
  };
}

/** One request on a connection of its own, so the kernel may hand it to either worker. */
export async function once(
  setup: Setup,
  path: string,
  options: { token?: string; method?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: string }> {
  const agent = new Agent({ allowH2: false, connect: { ca: [...setup.mesh.bundle] } });
  try {
    const response = await request(`https://127.0.0.1:${setup.ports.gateway}${path}`, {
      dispatcher: agent,
      method: (options.method ?? 'GET') as 'GET',
      headers: {
        ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
        ...options.headers,
      },
    });
    return { status: response.statusCode, body: await response.body.text() };
  } finally {
    await agent.close();
  }
}

export async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await sleep(25);
  }
}
