import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'undici';
import { parseConfig, type RampartConfig } from '@rampart/config';
import { fetchWith, selfSignedCertificate, type FetchLike } from '@rampart/testing';
import {
  createLogger,
  createSecurityEvents,
  FieldCipher,
  LocalKeyring,
  openEmbeddedStore,
  openPostgresStore,
  type SecurityEvent,
  type Store,
} from '@rampart/sdk';
import { buildIdentity, type Identity, type IdentityOptions } from '../../src/app.ts';
import { identityHandlers } from '../../src/handlers.ts';
import { generateClientSecret, hashClientSecret } from '../../src/oidc/client-secrets.ts';

/** A PostgreSQL schema of its own for one test run, dropped at the end. */
const PG_ADMIN_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface HarnessOptions {
  /** The `identity:` section (YAML, indented two spaces under `identity:`), without the issuer. */
  readonly identityYaml?: string;
  readonly demo?: boolean;
  readonly engine?: 'embedded' | 'postgres';
  /** Share a store between two harnesses (two replicas). */
  readonly store?: Store;
  readonly redis?: IdentityOptions['redis'];
  readonly now?: () => number;
  /**
   * The host name in the issuer (default `127.0.0.1`). Browser tests of passkeys use `localhost`:
   * WebAuthn refuses IP addresses as relying-party ids. The listener is on 127.0.0.1 either way.
   */
  readonly host?: '127.0.0.1' | 'localhost';
}

export interface Harness {
  readonly identity: Identity;
  readonly issuer: string;
  readonly ca: string;
  readonly store: Store;
  /** Security events written so far. */
  readonly events: SecurityEvent[];
  /** The generated secret of each confidential client. */
  readonly secrets: Readonly<Record<string, string>>;
  /** `fetch` trusting the harness CA (for openid-client's customFetch and raw requests). */
  readonly fetch: FetchLike;
  close(): Promise<void>;
}

const DEFAULT_IDENTITY = `
  clients:
    - id: shop-cli
      type: confidential
      grants: [client_credentials]
      scopes: [orders:read, orders:write]
    - id: shop-web
      type: public
      grants: [authorization_code, refresh_token]
      redirectUris: [http://127.0.0.1:5173/callback]
      scopes: [openid, profile, orders:read]
`;

/**
 * Identity in-process behind a real HTTPS listener on a free port (its issuer is
 * `https://127.0.0.1:<port>/auth`), with a real store, keyring and security events — as it runs
 * before a gateway exists. The gateway in front of it is tested in test/e2e.
 */
export async function startIdentity(options: HarnessOptions = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-identity-'));
  const host = options.host ?? '127.0.0.1';
  const tls = selfSigned(dir, host);
  const server = createServer({ key: tls.key, cert: tls.cert });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const issuer = `https://${host}:${port}/auth`;
  const config = configWith(issuer, options);

  let dropSchema: (() => Promise<void>) | undefined;
  let store = options.store;
  if (store === undefined && options.engine === 'postgres') {
    const created = await createPostgresSchema();
    store = created.store;
    dropSchema = created.drop;
  }
  store ??= openEmbeddedStore(join(dir, 'identity.sqlite'));
  const cipher = new FieldCipher(await LocalKeyring.open(join(dir, 'keyring.json')));
  const events: SecurityEvent[] = [];
  const log = createLogger('identity', { level: process.env['RAMPART_TEST_LOG'] ?? 'silent' });
  const secrets: Record<string, string> = {};
  const hashes: Record<string, string> = {};
  for (const client of config.identity?.clients ?? []) {
    if (client.type !== 'confidential') continue;
    secrets[client.id] = generateClientSecret();
    hashes[client.id] = hashClientSecret(secrets[client.id] ?? '');
  }
  const identity = await buildIdentity({
    config,
    store,
    cipher,
    log,
    events: createSecurityEvents({
      serviceName: 'identity',
      sink: { write: (event) => events.push(event) },
      subjectKey: new Uint8Array(32).fill(7),
    }),
    clientSecretHashes: hashes,
    handlers: identityHandlers,
    ...(options.redis === undefined ? {} : { redis: options.redis }),
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  server.on('request', (req, res) => {
    identity.handle(req, res);
  });
  const agent = new Agent({ connect: { ca: tls.cert } });
  const trustingFetch = fetchWith(agent);
  return {
    identity,
    issuer,
    ca: tls.cert,
    store,
    events,
    secrets,
    fetch: trustingFetch,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      });
      await identity.close();
      await agent.close();
      if (options.store === undefined) {
        await store.close();
        await dropSchema?.();
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A fresh PostgreSQL schema and a store on it (8 connections, so parallel requests really run in
 * parallel); `drop` removes the schema with everything in it.
 */
export async function createPostgresSchema(): Promise<{
  store: Store;
  schema: string;
  drop: () => Promise<void>;
}> {
  const schema = `identity_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = openPostgresStore({ url: PG_ADMIN_URL, schema: 'public', maxConnections: 1 });
  try {
    await admin.run(`CREATE SCHEMA ${schema}`);
  } finally {
    await admin.close();
  }
  const store = openPostgresStore({ url: PG_ADMIN_URL, schema, maxConnections: 8 });
  return {
    store,
    schema,
    async drop() {
      const cleaner = openPostgresStore({ url: PG_ADMIN_URL, schema: 'public', maxConnections: 1 });
      try {
        await cleaner.run(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await cleaner.close();
      }
    },
  };
}

function configWith(issuer: string, options: HarnessOptions): RampartConfig {
  const loaded = parseConfig(testConfigYaml(issuer, options), 'rampart.yaml');
  if (!loaded.ok) throw new Error(`test config invalid: ${JSON.stringify(loaded.problems)}`);
  return loaded.config;
}

/** The rampart.yaml of a test identity: its issuer, the given `identity:` section, one service. */
export function testConfigYaml(
  issuer: string,
  options: Pick<HarnessOptions, 'demo' | 'identityYaml'>,
): string {
  return `version: 1
name: shop
${options.demo === true ? 'demo: true\n' : ''}identity:
  issuer: ${issuer}
${options.identityYaml ?? DEFAULT_IDENTITY}
policies:
  read: { scopes: [orders:read] }
services:
  orders:
    entry: services/orders/main.ts
    port: 7102
    callers: [gateway]
    routes:
      - { method: GET, path: /orders, policy: read }
`;
}

/** A self-signed certificate for the harness listener (see `selfSignedCertificate`). */
export function selfSigned(dir: string, host: '127.0.0.1' | 'localhost'): { key: string; cert: string } {
  return selfSignedCertificate(dir, host);
}
