import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, it } from 'node:test';
import * as oidc from 'openid-client';
import { Agent } from 'undici';
import { describeIfAvailable, freePorts, requireService, TestBrowser, fetchWith } from '@rampart/testing';
import { FieldCipher, LocalKeyring, openPostgresStore } from '@rampart/sdk';
import { AccountStore } from '../../src/accounts/index.ts';
import { generateClientSecret, hashClientSecret } from '../../src/oidc/client-secrets.ts';
import { CALLBACK, PASSWORD, authorization, exchange, signIn } from '../interaction/support.ts';
import { createPostgresSchema, selfSigned, testConfigYaml } from '../support/harness.ts';

const POSTGRES_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const IDENTITY_YAML = `
  clients:
    - id: shop-web
      type: public
      grants: [authorization_code, refresh_token]
      redirectUris: [${CALLBACK}]
      scopes: [openid, orders:read]
`;

interface Replica {
  readonly child: ChildProcess;
  readonly origin: string;
  readonly events: Record<string, unknown>[];
}

/** Starts one replica process and waits until it listens. */
async function startReplica(spec: Record<string, unknown>, port: number): Promise<Replica> {
  const child = spawn(process.execPath, [join(import.meta.dirname, '../support/replica-main.ts')], {
    env: { ...process.env, IDENTITY_REPLICA: JSON.stringify({ ...spec, port }) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const events: Record<string, unknown>[] = [];
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => {
      reject(new Error(`replica exited with ${String(code)}`));
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (!line.startsWith('{')) return; // oidc-provider's own notices
      const record = JSON.parse(line) as Record<string, unknown>;
      if (record['ready'] === true) resolve();
      else events.push(record);
    });
  });
  return { child, origin: `https://127.0.0.1:${port}`, events };
}

/**
 * Two identity processes on one PostgreSQL schema and one Redis, serving one issuer (as two
 * replicas behind the gateway would): what one does, the other sees.
 */
describeIfAvailable('two identity replicas behave as one', await requireService('postgres'), () => {
  let replicas: Replica[];
  let dir: string;
  let dropSchema: () => Promise<void>;
  let issuer: string;
  let schemaName: string;
  let agent: Agent;
  const fetchVia = (url: string, init?: RequestInit): Promise<Response> => fetchWith(agent)(url, init);

  before(async () => {
    await requireService('redis');
    dir = mkdtempSync(join(tmpdir(), 'rampart-replicas-'));
    const tls = selfSigned(dir, '127.0.0.1');
    writeFileSync(join(dir, 'tls.key'), tls.key);
    writeFileSync(join(dir, 'tls.pem'), tls.cert);
    agent = new Agent({ connect: { ca: tls.cert } });
    const [portA = 0, portB = 0] = await freePorts(2);
    issuer = `https://127.0.0.1:${portA}/auth`;
    const schema = await createPostgresSchema();
    await schema.store.close();
    dropSchema = schema.drop;
    schemaName = schema.schema;
    const spec = {
      configYaml: testConfigYaml(issuer, { identityYaml: IDENTITY_YAML }),
      postgresUrl: POSTGRES_URL,
      schema: schema.schema,
      keyringFile: join(dir, 'keyring.json'),
      tls: { key: join(dir, 'tls.key'), cert: join(dir, 'tls.pem') },
      clientSecretHashes: { unused: hashClientSecret(generateClientSecret()) },
      redisUrl: REDIS_URL,
    };
    // The first creates the keyring; the second must share it (as replicas share a KMS key).
    const first = await startReplica(spec, portA);
    replicas = [first, await startReplica(spec, portB)];
  });
  after(async () => {
    for (const { child } of replicas) child.kill('SIGTERM');
    await Promise.all(replicas.map(({ child }) => new Promise((resolve) => child.once('exit', resolve))));
    await agent.close();
    await dropSchema();
    rmSync(dir, { recursive: true, force: true });
  });

  /** openid-client for shop-web, talking to replica `i` (same issuer, other address). */
  async function clientOf(i: number): Promise<oidc.Configuration> {
    const discovered = await oidc.discovery(new URL(issuer), 'shop-web', undefined, oidc.None(), {
      [oidc.customFetch]: fetchVia as unknown as oidc.CustomFetch,
    });
    const origin = replicas[i]?.origin ?? '';
    const meta = discovered.serverMetadata();
    const onReplica = (url: string | undefined): string => `${origin}${new URL(url ?? '').pathname}`;
    const metadata: oidc.ServerMetadata = {
      ...meta,
      token_endpoint: onReplica(meta.token_endpoint),
      revocation_endpoint: onReplica(meta.revocation_endpoint),
    } as unknown as oidc.ServerMetadata;
    const config = new oidc.Configuration(metadata, 'shop-web', undefined, oidc.None());
    config[oidc.customFetch] = fetchVia as unknown as oidc.CustomFetch;
    return config;
  }

  /** Signs a new user in on replica A and returns the tokens. */
  async function signedIn(username: string): Promise<oidc.TokenEndpointResponse> {
    const a = await clientOf(0);
    const browser = new TestBrowser({ issuer, fetch: fetchVia });
    const auth = await authorization(a, 'openid orders:read');
    const page = await signIn(browser, auth, { username, password: PASSWORD });
    return exchange(a, page.url, auth);
  }

  it('catches a refresh token rotated on one replica and reused on the other, and revokes the family on both', async () => {
    await createUser('rosa');
    const tokens = await signedIn('rosa');
    const [a, b] = [await clientOf(0), await clientOf(1)];
    const rotated = await oidc.refreshTokenGrant(a, tokens.refresh_token ?? '');
    await assert.rejects(
      oidc.refreshTokenGrant(b, tokens.refresh_token ?? ''),
      (error: { error?: string }) => error.error === 'invalid_grant',
    );
    await assert.rejects(
      oidc.refreshTokenGrant(a, rotated.refresh_token ?? ''),
      (error: { error?: string }) => error.error === 'invalid_grant',
      'the family is gone on the first replica too',
    );
    assert.ok(replicas[1]?.events.some((e) => e['event'] === 'token.reuse_detected'));
  });

  it('sees on one replica a revocation made on the other', async () => {
    await createUser('remy');
    const tokens = await signedIn('remy');
    const [a, b] = [await clientOf(0), await clientOf(1)];
    await oidc.tokenRevocation(b, tokens.refresh_token ?? '');
    await assert.rejects(
      oidc.refreshTokenGrant(a, tokens.refresh_token ?? ''),
      (error: { error?: string }) => error.error === 'invalid_grant',
    );
  });

  /** Users live in the database both replicas share: created there directly. */
  async function createUser(username: string): Promise<void> {
    const store = openPostgresStore({ url: POSTGRES_URL, schema: schemaName, maxConnections: 1 });
    try {
      const cipher = new FieldCipher(await LocalKeyring.open(join(dir, 'keyring.json')));
      await new AccountStore({ store, cipher }).createUser({ username, password: PASSWORD });
    } finally {
      await store.close();
    }
  }
});
