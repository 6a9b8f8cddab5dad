import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { RampartConfig } from '@rampart/config';
import { tempDir } from '@rampart/testing';
import { startWorkerPool, type WorkerPool } from '../../src/workers/index.ts';
import type { EchoServer } from '../forward/mesh-fixture.ts';
import {
  once,
  parse,
  requestsServed,
  setUp,
  TRUST_DOMAIN,
  waitFor,
  type Ports,
  type Setup,
} from './pool-fixture.ts';

const WORKERS = 2;

const yaml = (ports: Ports, extraRoute = ''): string => `version: 1
name: shop
trustDomain: ${TRUST_DOMAIN}
ports: { gateway: ${ports.gateway}, admin: ${ports.admin} }
identity:
  issuer: ${ports.issuer}
  dangerouslyAllowHttpIssuer: true
gateway:
  workers: ${WORKERS}
policies:
  read: { scopes: [orders:read] }
  write: { scopes: [orders:write] }
services:
  orders:
    entry: orders.ts
    port: ${ports.orders}
    callers: [gateway]
    routes:
      - { method: GET, path: /limited, policy: read, rateLimit: { points: 20, window: 1m, by: [user] } }
      - { method: GET, path: /orders, policy: read }
      - { method: GET, path: /cached, policy: read, cache: { ttl: 1m } }
      - { method: POST, path: /cached, policy: write }
${extraRoute}`;

describe('gateway worker threads (one per core) on one port', () => {
  let setup: Setup;
  let pool: WorkerPool;
  let ports: Ports;
  let orders: EchoServer;
  const token = (claims?: Record<string, unknown>): Promise<string> => setup.token(claims);
  const call = (path: string, options?: Parameters<typeof once>[2]) => once(setup, path, options);

  before(async () => {
    setup = await setUp(yaml);
    ({ ports, orders } = setup);
    pool = startWorkerPool({ ...setup.options, count: WORKERS, log: setup.log }, (error) => {
      throw error;
    });
    await pool.started;
  });
  after(async () => {
    await pool.stop();
    await setup.close();
  });

  it('spreads connections over every worker, all on one port', async () => {
    const before = (await pool.metrics()).map(requestsServed);
    const alice = await token();
    const statuses = await Promise.all(Array.from({ length: 40 }, () => call('/orders', { token: alice })));
    assert.deepEqual(new Set(statuses.map((s) => s.status)), new Set([200]));
    const served = (await pool.metrics()).map(requestsServed).map((n, i) => n - (before[i] ?? 0));
    assert.equal(served.length, WORKERS);
    assert.equal(
      served.reduce((a, b) => a + b, 0),
      40,
    );
    for (const count of served) assert.ok(count > 0, `every worker served some: ${served.join(', ')}`);
  });

  it('counts one rate limit across workers, exactly', async () => {
    const bob = await token({ sub: `bob-${randomUUID()}` });
    const answers = await Promise.all(Array.from({ length: 60 }, () => call('/limited', { token: bob })));
    const passed = answers.filter((a) => a.status === 200).length;
    const limited = answers.filter((a) => a.status === 429).length;
    assert.equal(passed, 20, `20 of 60 pass (per-worker counters would let ~40 through), got ${passed}`);
    assert.equal(limited, 40);
  });

  it('refuses a DPoP proof replayed on another worker', async () => {
    const pair = await generateKeyPair('ES256');
    const jwk = await exportJWK(pair.publicKey);
    const bound = await token({ sub: 'carol', cnf: { jkt: await calculateJwkThumbprint(jwk) } });
    const url = `https://127.0.0.1:${ports.gateway}/orders`;
    const proof = await new SignJWT({
      htm: 'GET',
      htu: url,
      ath: createHash('sha256').update(bound).digest('base64url'),
      jti: randomUUID(),
    })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
      .setIssuedAt()
      .sign(pair.privateKey);
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        call('/orders', { headers: { authorization: `DPoP ${bound}`, dpop: proof } }),
      ),
    );
    assert.equal(answers.filter((a) => a.status === 200).length, 1, 'the proof is accepted once in all');
    assert.equal(answers.filter((a) => a.status === 401).length, 19);
  });

  it('drops a cached answer in every worker after a write through one', async () => {
    const dave = await token({ sub: 'dave' });
    const hitOf = async (): Promise<number> => {
      const answer = await call('/cached', { token: dave });
      assert.equal(answer.status, 200, answer.body);
      return (JSON.parse(answer.body) as { hit: number }).hit;
    };
    // Fill both workers' caches (connections land on either).
    for (let i = 0; i < 12; i++) await hitOf();
    const cachedHits = orders.hits.get('/cached') ?? 0;
    assert.ok(cachedHits <= WORKERS, `at most one fill per worker, got ${cachedHits}`);
    const write = await call('/cached', { token: dave, method: 'POST' });
    assert.equal(write.status, 200, write.body);
    const after = await Promise.all(Array.from({ length: 12 }, hitOf));
    for (const hit of after) assert.ok(hit > cachedHits, 'no worker serves the answer from before the write');
  });

  it('applies a new configuration in every worker', async () => {
    await pool.applyConfig(1, parse(yaml(ports, '      - { method: GET, path: /fresh, policy: read }\n')));
    const alice = await token();
    const answers = await Promise.all(Array.from({ length: 16 }, () => call('/fresh', { token: alice })));
    assert.deepEqual(new Set(answers.map((a) => a.status)), new Set([200]));
    await assert.rejects(pool.applyConfig(1, parse(yaml(ports))), /not newer/u);
    assert.equal(pool.revision(), 1);
  });
});

describe('a gateway worker that dies', () => {
  it('is restarted with the current configuration; one that cannot start ends the gateway', async () => {
    const dir = await tempDir('rampart-workers-');
    const setup = await setUp(yaml);
    const { ports, options, log, logs } = setup;
    process.env['RAMPART_TEST_CRASH_MARKER'] = join(dir.path, 'crashed-once');
    try {
      const fatal: Error[] = [];
      const pool = startWorkerPool(
        { ...options, count: 2, log, entry: new URL('./crashing-worker.ts', import.meta.url) },
        (error) => fatal.push(error),
      );
      await pool.started;
      await pool.applyConfig(1, parse(yaml(ports, '      - { method: GET, path: /fresh, policy: read }\n')));
      // The crashing entry ends one worker once, after it has served for a moment.
      await waitFor(() => logs.some((line) => line['msg'] === 'gateway worker exited; restarting it'));
      await waitFor(() => pool.ready());
      const alice = await setup.token();
      const statuses = await Promise.all(
        Array.from({ length: 16 }, async () => (await once(setup, '/fresh', { token: alice })).status),
      );
      assert.deepEqual(new Set(statuses), new Set([200]), 'the restarted worker has revision 1 too');
      assert.deepEqual(fatal, []);
      await pool.stop();

      // A configuration no worker can build (a Cedar policy that does not parse) ends the gateway at
      // once. The loader refuses such a file (CFG_INVALID_CEDAR), so it is made past the loader: the
      // workers must still not trust what they are handed.
      const valid = parse(yaml(ports));
      const broken: RampartConfig = {
        ...valid,
        policies: { ...valid.policies, read: { scopes: ['orders:read'], cedar: 'permit(' } },
      };
      const failed = await new Promise<Error>((resolve) => {
        startWorkerPool({ ...options, count: 2, config: broken, log }, resolve);
      });
      assert.match(failed.message, /before listening/u);
    } finally {
      delete process.env['RAMPART_TEST_CRASH_MARKER'];
      await setup.close();
      await dir.cleanup();
    }
  });
});
