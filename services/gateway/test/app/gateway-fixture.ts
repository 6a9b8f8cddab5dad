import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { connect as connectHttp2, type ClientHttp2Session, type OutgoingHttpHeaders } from 'node:http2';
import { connect } from 'node:tls';
import { Writable } from 'node:stream';
import { Agent, request } from 'undici';
import { parse as parseYaml } from 'yaml';
import { parseConfig, type RampartConfig } from '@rampart/config';
import { componentSpiffeId, createWorkloadCsr, serviceSpiffeId } from '@rampart/mesh';
import { createLogger } from '@rampart/sdk';
import { freePort } from '@rampart/testing';
import { buildGateway, type Gateway } from '../../src/app.ts';
import { makeKey, mint, startJwksServer, type JwksServer, type TestKey } from '../auth/helpers.ts';
import {
  openMesh,
  startEchoServer,
  TRUST_DOMAIN,
  type EchoServer,
  type Mesh,
} from '../forward/mesh-fixture.ts';

/** What a fake upstream received. */
export interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** What a fake upstream answers: status, headers as name/value pairs (duplicates allowed), body. */
export interface Answer {
  readonly status: number;
  readonly headers?: readonly (readonly [string, string])[];
  readonly body?: string;
}

/**
 * Stands in for identity: an mTLS HTTPS server requiring a mesh client certificate, presenting
 * `spiffeId` (identity's by default). Records every request; `answer` decides the reply.
 */
export interface FakeIdentity {
  readonly port: number;
  readonly received: Received[];
  answer: (request: Received) => Answer;
  close(): Promise<void>;
}

export async function startFakeIdentity(
  mesh: Mesh,
  options: { port?: number; spiffeId?: string } = {},
): Promise<FakeIdentity> {
  const spiffeId = options.spiffeId ?? componentSpiffeId(TRUST_DOMAIN, 'identity');
  const { keyPem, csrPem } = await createWorkloadCsr(spiffeId);
  const issued = await mesh.ca.issue({ csrPem, spiffeId, ipSans: ['127.0.0.1'] });
  const state: FakeIdentity = {
    port: 0,
    received: [],
    answer: () => ({ status: 200, headers: [['content-type', 'application/json']], body: '{}' }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
  const server: Server = createServer(
    {
      key: keyPem,
      cert: issued.certPem,
      ca: [...mesh.bundle],
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.3',
    },
    (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const received: Received = {
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        };
        state.received.push(received);
        const answer = state.answer(received);
        res.writeHead(answer.status, (answer.headers ?? []).flat());
        res.end(answer.body);
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  return Object.assign(state, { port: (server.address() as AddressInfo).port });
}

export interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  json(): Record<string, unknown>;
}

export interface CallOptions {
  readonly method?: string;
  readonly headers?: Record<string, string | string[]>;
  readonly body?: string;
  /** An access token, sent as `Authorization: Bearer …`. */
  readonly token?: string;
}

export interface GatewayFixture {
  readonly gateway: Gateway;
  readonly config: RampartConfig;
  /** The ports the configuration was built with. */
  readonly ports: FixturePorts;
  readonly url: string;
  readonly adminUrl: string;
  readonly mesh: Mesh;
  readonly services: ReadonlyMap<string, EchoServer>;
  readonly identity: FakeIdentity;
  /** Every line the gateway logged, parsed. */
  readonly logs: Record<string, unknown>[];
  /** An access token the gateway accepts, with these claims over the defaults (`sub: alice`). */
  token(claims?: Record<string, unknown>): Promise<string>;
  /** The issuer's signing key (its public JWK is what the gateway fetches), for crafted tokens. */
  readonly key: TestKey;
  /** The `iss` and `aud` tokens must carry. */
  readonly issuer: string;
  readonly audience: string;
  call(path: string, options?: CallOptions): Promise<Reply>;
  /** Sends `lines` as a raw HTTP/1.1 request (no URL parser in between); returns the raw answer. */
  raw(lines: readonly string[]): Promise<string>;
  /**
   * One HTTP/2 request over a session negotiated by ALPN (`:path` sent as given, no URL parser);
   * `alpn` is what the session negotiated.
   */
  h2(
    path: string,
    options?: { method?: string; headers?: OutgoingHttpHeaders; body?: string },
  ): Promise<Reply & { alpn: string | undefined }>;
  /**
   * Reloads with another rampart.yaml (`yaml` is given the same ports); `unchecked`: without the
   * loader's checks (see {@link FixtureOptions.unchecked}).
   */
  reload(yaml: (ports: FixturePorts) => string, options?: { unchecked?: boolean }): void;
  close(): Promise<void>;
}

export interface FixturePorts {
  readonly gateway: number;
  readonly admin: number;
  readonly identity: number;
  /** Echo services by name. */
  readonly services: Readonly<Record<string, number>>;
  /** The issuer URL (plain HTTP, on loopback). */
  readonly issuer: string;
}

export interface FixtureOptions {
  /** Service names to start as mTLS echo servers. */
  readonly services: readonly string[];
  /** The whole rampart.yaml, built from the ports. */
  readonly yaml: (ports: FixturePorts) => string;
  /** Identity is started with this SPIFFE ID (default identity's own). */
  readonly identitySpiffeId?: string;
  readonly trustedProxies?: readonly string[];
  readonly requestTimeoutMs?: number;
  /**
   * Hand the gateway the YAML as parsed, without the loader's checks: to prove the gateway refuses
   * by itself what `rampart check` refuses first (defense in depth).
   */
  readonly unchecked?: boolean;
}

function parse(text: string, unchecked = false): RampartConfig {
  if (unchecked) return parseYaml(text) as RampartConfig;
  const result = parseConfig(text, 'rampart.yaml');
  if (!result.ok) throw new Error(`test config invalid: ${JSON.stringify(result.problems, null, 2)}`);
  return result.config;
}

/** A real gateway (buildGateway) on loopback, with real mTLS echo services and a fake identity. */
export async function startGatewayFixture(options: FixtureOptions): Promise<GatewayFixture> {
  const mesh = await openMesh();
  const services = new Map<string, EchoServer>();
  for (const name of options.services) services.set(name, await startEchoServer(mesh, name));
  const identity = await startFakeIdentity(mesh, {
    ...(options.identitySpiffeId === undefined ? {} : { spiffeId: options.identitySpiffeId }),
  });
  const key: TestKey = await makeKey('ES256', 'k1');
  const jwks: JwksServer = await startJwksServer([key.publicJwk]);
  const issuer = jwks.url.replace(/\/jwks$/u, '');
  const portsFor = async (): Promise<FixturePorts> => ({
    gateway: await freePort(),
    admin: await freePort(),
    identity: identity.port,
    services: Object.fromEntries([...services].map(([name, server]) => [name, server.port])),
    issuer,
  });
  let ports = await portsFor();
  const cleanup = async (): Promise<void> => {
    await identity.close();
    await jwks.close();
    for (const server of services.values()) await server.close();
    await mesh.cleanup();
  };
  let config: RampartConfig;
  let gateway: Gateway;

  const gatewayId = componentSpiffeId(TRUST_DOMAIN, 'gateway');
  const { keyPem, csrPem } = await createWorkloadCsr(gatewayId);
  const publicCert = await mesh.ca.issue({ csrPem, spiffeId: gatewayId, ipSans: ['127.0.0.1'] });
  const credentials = await mesh.gatewayCredentials();
  const logs: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.startsWith('{')) logs.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  const build = (): Gateway =>
    buildGateway({
      config,
      log: createLogger('gateway', { level: 'info', destination }),
      tls: { cert: publicCert.certPem, key: keyPem },
      signingKeyPem: generateKeyPairSync('ed25519')
        .privateKey.export({ type: 'pkcs8', format: 'pem' })
        .toString(),
      pseudonymKey: randomBytes(32),
      credentials: () => credentials,
      ...(options.trustedProxies === undefined ? {} : { trustedProxies: options.trustedProxies }),
      ...(options.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: options.requestTimeoutMs }),
    });
  let started: { url: string; adminUrl: string } | undefined;
  // A free port can be taken by a parallel test process before the gateway listens: try again.
  for (let attempt = 1; ; attempt++) {
    try {
      config = parse(options.yaml(ports), options.unchecked);
      gateway = build();
    } catch (error) {
      await cleanup();
      throw error;
    }
    try {
      started = await gateway.start();
      break;
    } catch (error) {
      await gateway.stop();
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt === 3) {
        await cleanup();
        throw error;
      }
      ports = await portsFor();
    }
  }
  const { url, adminUrl } = started;
  // HTTP/1.1 on purpose (undici would negotiate h2): http2.test.ts runs the pipeline over h2.
  const agent = new Agent({ allowH2: false, connect: { ca: [...mesh.bundle] } });
  let revision = 0;

  return {
    gateway,
    config,
    ports,
    url,
    adminUrl,
    mesh,
    services,
    identity,
    logs,
    key,
    issuer,
    audience: `https://127.0.0.1:${ports.gateway}`,
    token: (claims = {}) =>
      mint(key, { claims: { iss: issuer, aud: `https://127.0.0.1:${ports.gateway}`, ...claims } }),
    async call(path, callOptions = {}) {
      const response = await request(`${url}${path}`, {
        dispatcher: agent,
        method: (callOptions.method ?? 'GET') as 'GET',
        headers: {
          ...(callOptions.token === undefined ? {} : { authorization: `Bearer ${callOptions.token}` }),
          ...callOptions.headers,
        },
        ...(callOptions.body === undefined ? {} : { body: callOptions.body }),
      });
      const body = await response.body.text();
      return {
        status: response.statusCode,
        headers: response.headers,
        body,
        json: () => JSON.parse(body) as Record<string, unknown>,
      };
    },
    raw: (lines) =>
      new Promise((resolve, reject) => {
        const socket = connect({ host: '127.0.0.1', port: ports.gateway, ca: [...mesh.bundle] }, () => {
          socket.end(`${lines.join('\r\n')}\r\n\r\n`);
        });
        let answer = '';
        socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
        socket.on('end', () => {
          resolve(answer);
        });
        socket.on('error', reject);
      }),
    async h2(path, h2Options = {}) {
      const session: ClientHttp2Session = connectHttp2(url, { ca: [...mesh.bundle] });
      try {
        return await new Promise((resolve, reject) => {
          session.on('error', reject);
          const stream = session.request({
            ':method': h2Options.method ?? 'GET',
            ':path': path,
            ...h2Options.headers,
          });
          let status = 0;
          let headers: Record<string, string | string[] | undefined> = {};
          stream.on('response', (h) => {
            status = Number(h[':status']);
            headers = Object.fromEntries(Object.entries(h).filter(([name]) => !name.startsWith(':')));
          });
          let body = '';
          stream.setEncoding('utf8');
          stream.on('data', (chunk: string) => (body += chunk));
          stream.on('error', reject);
          stream.on('end', () => {
            resolve({
              status,
              headers,
              body,
              alpn: session.alpnProtocol,
              json: () => JSON.parse(body) as Record<string, unknown>,
            });
          });
          stream.end(h2Options.body);
        });
      } finally {
        session.close();
      }
    },
    reload(yaml, reloadOptions) {
      gateway.applyConfig(++revision, parse(yaml(ports), reloadOptions?.unchecked));
    },
    async close() {
      await agent.close();
      await gateway.stop();
      await cleanup();
    },
  };
}

/** The SPIFFE ID of a service, for an impostor identity. */
export function serviceId(name: string): string {
  return serviceSpiffeId(TRUST_DOMAIN, name);
}
