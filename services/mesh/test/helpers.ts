import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { Writable } from 'node:stream';
import { Agent, request } from 'undici';
import { SecretKeyFromCryptoKey, type SecretKey } from 'paseto/v4/public';
import type { RampartConfig } from '@rampart/config';
import { componentSpiffeId, createJoinToken, serviceSpiffeId, verifyPeerSpiffeId } from '@rampart/mesh';
import { createLogger } from '@rampart/sdk';
import { tempDir, type TempDir } from '@rampart/testing';
import { buildMeshAuthority, type MeshAuthority, type MeshAuthorityOptions } from '../src/app.ts';

export const TD = 'shop.local';
export const MESH_ID = componentSpiffeId(TD, 'mesh');
export const id = (name: string): string => serviceSpiffeId(TD, name);

/** gateway → orders → payments → ledger; profiles reached by the gateway only. */
export const CONFIG: RampartConfig = {
  version: 1,
  name: 'shop',
  services: {
    orders: { entry: 'orders.ts', port: 7102, callers: ['gateway'] },
    payments: { entry: 'payments.ts', port: 7103, callers: ['orders'] },
    ledger: { entry: 'ledger.ts', port: 7104, callers: ['payments'] },
    profiles: { entry: 'profiles.ts', port: 7101, callers: ['gateway'] },
  },
};

export interface Signing {
  readonly privatePem: string;
  readonly publicPem: string;
  readonly secretKey: SecretKey;
}

export async function signingKeys(): Promise<Signing> {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const secretKey = await SecretKeyFromCryptoKey(
    createPrivateKey(privatePem).toCryptoKey('Ed25519', false, ['sign']),
  );
  return { privatePem, publicPem, secretKey };
}

export interface MeshFixture {
  readonly mesh: MeshAuthority;
  readonly url: string;
  readonly adminUrl: string;
  readonly home: TempDir;
  readonly keys: Signing;
  /** The gateway's own internal-token key (as under rampart up, never the mesh's). */
  readonly gatewayKeys: Signing;
  /** Every log line written so far, raw. */
  readonly lines: string[];
  /** Parsed log lines. */
  events(): Record<string, unknown>[];
  /** The security events logged from line `since` on (what also goes to the audit service). */
  securityEvents(since?: number): Record<string, unknown>[];
  /** Registers a join token for `name` (service) and returns it. */
  joinToken(name: string, ttlMs?: number): string;
  bundle(): Promise<string>;
  close(): Promise<void>;
}

export interface FixtureOptions {
  readonly home?: TempDir;
  readonly keys?: Signing;
  readonly port?: number;
  readonly lines?: string[];
  readonly config?: RampartConfig;
  /** Kubernetes joins: how to reach the (fake) API server, the review timeout, the limits. */
  readonly kubernetes?: Pick<MeshAuthorityOptions, 'kubeConfig' | 'tokenReviewTimeoutMs' | 'joinLimits'>;
}

export async function startMesh(options: FixtureOptions = {}): Promise<MeshFixture> {
  const home = options.home ?? (await tempDir('rampart-mesh-svc-'));
  const keys = options.keys ?? (await signingKeys());
  const gatewayKeys = await signingKeys();
  const lines = options.lines ?? [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(
        ...chunk
          .toString('utf8')
          .split('\n')
          .filter((line) => line.length > 0),
      );
      callback();
    },
  });
  const log = createLogger('mesh', { destination, level: 'debug' });
  const mesh = await buildMeshAuthority({
    config: options.config ?? CONFIG,
    stateDir: home.path,
    signingKeyPem: keys.privatePem,
    publicKeyPem: keys.publicPem,
    otherSignerKeyPems: [gatewayKeys.publicPem],
    log,
    port: options.port ?? 0,
    adminPort: 0,
    leafTtlMs: 5 * 60_000,
    ...options.kubernetes,
  });
  const { url, adminUrl } = await mesh.start();
  return {
    mesh,
    url,
    adminUrl,
    home,
    keys,
    gatewayKeys,
    lines,
    events: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
    securityEvents: (since = 0) =>
      lines
        .slice(since)
        .map((line) => (JSON.parse(line) as { securityEvent?: Record<string, unknown> }).securityEvent)
        .filter((event) => event !== undefined),
    joinToken(name, ttlMs = 60_000) {
      const { token, sha256 } = createJoinToken();
      mesh.addJoinToken(id(name), sha256, Date.now() + ttlMs);
      return token;
    },
    bundle: () => mesh.bundlePem(),
    close: () => mesh.stop(),
  };
}

export interface RawResponse {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly text: string;
}

/** A request to the mesh with full control over the TLS client side. */
export async function call(
  fixture: { url: string },
  path: string,
  options: {
    readonly ca: string;
    readonly method?: 'GET' | 'POST';
    readonly body?: string;
    readonly contentType?: string;
    readonly cert?: string;
    readonly key?: string;
  },
): Promise<RawResponse> {
  const agent = new Agent({
    connect: {
      ca: options.ca,
      ...(options.cert === undefined ? {} : { cert: options.cert }),
      ...(options.key === undefined ? {} : { key: options.key }),
      checkServerIdentity: verifyPeerSpiffeId(MESH_ID),
    },
  });
  try {
    const response = await request(`${fixture.url}${path}`, {
      dispatcher: agent,
      method: options.method ?? 'POST',
      headers: { 'content-type': options.contentType ?? 'application/json' },
      ...(options.body === undefined ? {} : { body: options.body }),
    });
    const text = await response.body.text();
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      body = {};
    }
    return { status: response.statusCode, body, text };
  } finally {
    await agent.close();
  }
}
