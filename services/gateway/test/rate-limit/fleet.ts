// Test support for replicas.test.ts: gateway replicas as child processes (replica-main.ts) in
// front of one mTLS echo service, a JWKS server and a token signer in this process, and a
// private redis-server this process may stop, freeze and restart.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { componentSpiffeId, createWorkloadCsr } from '@rampart/mesh';
import { freePorts } from '@rampart/testing';
import { makeKey, mint, startJwksServer, type JwksServer, type TestKey } from '../auth/helpers.ts';
import {
  openMesh,
  startEchoServer,
  TRUST_DOMAIN,
  type EchoServer,
  type Mesh,
} from '../forward/mesh-fixture.ts';
import type { ReplicaMessage, ReplicaSpec } from './replica-main.ts';

const REPLICA_MAIN = join(import.meta.dirname, 'replica-main.ts');
export const REDIS_SERVER = '/usr/bin/redis-server';

export interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Record<string, unknown>;
  /** Which replica answered (its index). */
  readonly replica: number;
}

/** One gateway process. */
export interface Replica {
  readonly index: number;
  readonly child: ChildProcess;
  /** `https://127.0.0.1:<port>` */
  readonly url: string;
  /** Every JSON line it logged, in order. */
  readonly logs: Record<string, unknown>[];
}

/** Shared by every replica of a test file: the mesh, the upstream, the issuer. */
export interface Fleet {
  readonly echo: EchoServer;
  /** `replicas` gateways on `redisUrl`, rampart.yaml `name` = `name` (the Redis key prefix). */
  startReplicas(name: string, redisUrl: string, count: number): Promise<Replica[]>;
  stopReplicas(replicas: readonly Replica[]): Promise<void>;
  /** An access token for `sub` that every one of `replicas` accepts (its `aud` lists them all). */
  token(sub: string, replicas: readonly Replica[]): Promise<string>;
  call(replica: Replica, path: string, token?: string): Promise<Reply>;
  close(): Promise<void>;
}

/** The routes every replica serves (all to the `orders` echo service). */
function configYaml(name: string, ports: readonly number[], echoPort: number, issuer: string): string {
  // The echo service's admin port is named too: its default (port + 1000) could be another pick.
  const [gateway, admin, identity, echoAdmin] = ports;
  return `version: 1
name: ${name}
trustDomain: ${TRUST_DOMAIN}
ports: { gateway: ${gateway}, admin: ${admin}, identity: ${identity} }
identity:
  issuer: ${issuer}
  dangerouslyAllowHttpIssuer: true
policies:
  authenticated: {}
  anyone: { public: true }
services:
  orders:
    entry: orders.ts
    port: ${echoPort}
    adminPort: ${echoAdmin}
    callers: [gateway]
    routes:
      - { method: GET, path: /per-user, policy: authenticated, rateLimit: { points: 30, window: 1m, by: [user] } }
      - { method: GET, path: /per-ip, policy: anyone, rateLimit: { points: 30, window: 1m, by: [ip] } }
      - { method: GET, path: /boxed, policy: authenticated, rateLimit: { points: 3, window: 1m, blockFor: 2s, by: [user] } }
      - { method: GET, path: /open, policy: authenticated, rateLimit: off }
`;
}

export async function openFleet(): Promise<Fleet> {
  const mesh: Mesh = await openMesh();
  const echo = await startEchoServer(mesh, 'orders');
  const key: TestKey = await makeKey('ES256', 'k1');
  const jwks: JwksServer = await startJwksServer([key.publicJwk]);
  const issuer = jwks.url.replace(/\/jwks$/u, '');
  // Private keys go to the replicas through files only this user can read.
  const dir = mkdtempSync(join(tmpdir(), 'rampart-gw-replicas-'));
  // One public certificate for all replicas, as replicas behind one name would share it.
  const gatewayId = componentSpiffeId(TRUST_DOMAIN, 'gateway');
  const publicKey = await createWorkloadCsr(gatewayId);
  const publicCert = await mesh.ca.issue({
    csrPem: publicKey.csrPem,
    spiffeId: gatewayId,
    ipSans: ['127.0.0.1'],
  });
  const signingKeyPem = generateKeyPairSync('ed25519')
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();
  const pseudonymKey = randomBytes(32).toString('base64');
  const agent = new Agent({ allowH2: false, connect: { ca: [...mesh.bundle] } });
  let specs = 0;
  /** Every replica process spawned and not yet stopped: close() stops what a test left running. */
  const children = new Set<ChildProcess>();

  async function startReplica(index: number, name: string, redisUrl: string): Promise<Replica> {
    // A free port can be taken by another process before the replica listens: try again.
    for (let attempt = 1; ; attempt++) {
      const credentials = await mesh.gatewayCredentials();
      const spec: ReplicaSpec = {
        configYaml: configYaml(name, await freePorts(4), echo.port, issuer),
        redisUrl,
        tls: { cert: publicCert.certPem, key: publicKey.keyPem },
        credentials: {
          keyPem: credentials.keyPem,
          certPem: credentials.certPem,
          caPems: credentials.caPems,
          notAfter: credentials.notAfter.toISOString(),
        },
        signingKeyPem,
        pseudonymKey,
      };
      const file = join(dir, `replica-${String(++specs)}.json`);
      writeFileSync(file, JSON.stringify(spec), { mode: 0o600 });
      const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', REPLICA_MAIN], {
        env: { ...process.env, GATEWAY_REPLICA_SPEC: file },
        stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
      });
      children.add(child);
      child.once('exit', () => children.delete(child));
      const logs: Record<string, unknown>[] = [];
      if (child.stdout !== null) {
        createInterface({ input: child.stdout }).on('line', (line) => {
          if (line.startsWith('{')) logs.push(JSON.parse(line) as Record<string, unknown>);
        });
      }
      const message = await new Promise<ReplicaMessage>((resolve, reject) => {
        child.once('message', (m) => {
          resolve(m as ReplicaMessage);
        });
        child.once('exit', (code) => {
          reject(new Error(`replica ${String(index)} exited with ${String(code)} before it listened`));
        });
      });
      rmSync(file, { force: true });
      if (message.type === 'ready') return { index, child, url: message.url, logs };
      await exited(child);
      if (message.code !== 'EADDRINUSE' || attempt === 3)
        throw new Error(`replica ${String(index)} failed: ${message.message}`);
    }
  }

  return {
    echo,
    startReplicas: (name, redisUrl, count) =>
      Promise.all(Array.from({ length: count }, (_, index) => startReplica(index, name, redisUrl))),
    stopReplicas: (replicas) => stop(replicas.map(({ child }) => child)),
    token: (sub, replicas) =>
      mint(key, { claims: { iss: issuer, aud: replicas.map(({ url }) => url), sub } }),
    async call(replica, path, token) {
      const response = await request(`${replica.url}${path}`, {
        dispatcher: agent,
        headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
      });
      const text = await response.body.text();
      return {
        status: response.statusCode,
        headers: response.headers,
        body: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : { text },
        replica: replica.index,
      };
    },
    async close() {
      await stop([...children]);
      await agent.close();
      await echo.close();
      await jwks.close();
      await mesh.cleanup();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** SIGTERM, then SIGKILL after 5 s. */
async function stop(children: readonly ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.kill('SIGTERM');
      await exited(child);
      clearTimeout(timer);
    }),
  );
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => {
      resolve();
    });
  });
}

/** Polls `check` every 50 ms until it returns true or `ms` pass. */
export async function eventually(what: string, check: () => boolean | Promise<boolean>, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out after ${String(ms)} ms waiting for: ${what}`);
    await sleep(50);
  }
}

/** The reason a replica logged for refusing request `requestId` (`rate limit (blocked)`…). */
export async function refusalReason(replica: Replica, reply: Reply): Promise<unknown> {
  const requestId = reply.body['requestId'];
  assert.equal(typeof requestId, 'string', 'a refusal carries its request id');
  let line: Record<string, unknown> | undefined;
  await eventually(`replica ${String(replica.index)} logs request ${String(requestId)}`, () => {
    line = replica.logs.find((l) => l['msg'] === 'request refused' && l['requestId'] === requestId);
    return line !== undefined;
  });
  return line?.['reason'];
}

/** A redis-server of this test's own, on its own port, that it may kill, freeze and restart. */
export interface PrivateRedis {
  readonly url: string;
  start(): Promise<void>;
  /** SIGKILL: connections reset, the port refuses. Nothing was saved: it comes back empty. */
  kill(): Promise<void>;
  /** SIGSTOP: connections stay open and nothing answers, as a hung server. */
  freeze(): void;
  thaw(): void;
  close(): Promise<void>;
}

export async function privateRedis(): Promise<PrivateRedis> {
  assert.ok(existsSync(REDIS_SERVER));
  const [port = 0] = await freePorts(1);
  const dir = mkdtempSync(join(tmpdir(), 'rampart-gw-redis-'));
  let server: ChildProcess | undefined;
  const self: PrivateRedis = {
    url: `redis://127.0.0.1:${String(port)}`,
    async start() {
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
      server = spawn(REDIS_SERVER, [...args, '--dir', dir], { stdio: 'ignore' });
      await eventually(`redis-server on ${String(port)} answers PING`, () => pong(port));
    },
    async kill() {
      const running = server;
      if (running === undefined) return;
      server = undefined;
      running.kill('SIGCONT');
      running.kill('SIGKILL');
      await exited(running);
    },
    freeze() {
      server?.kill('SIGSTOP');
    },
    thaw() {
      server?.kill('SIGCONT');
    },
    async close() {
      await self.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await self.start();
  return self;
}

function pong(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write('PING\r\n'));
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => {
      done(false);
    });
    socket.once('data', (chunk: Buffer) => {
      done(chunk.toString().startsWith('+PONG'));
    });
    socket.once('error', () => {
      done(false);
    });
  });
}
