import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, test } from 'node:test';
import type { RateLimitConfig } from '@rampart/config';
import { requireService } from '@rampart/testing';
import { Redis } from 'ioredis';
import { createRateLimiter, type RateLimiter } from '../../src/rate-limit/index.ts';

const redisUrl = process.env['REDIS_URL'];
const available = await requireService('redis');
const keyPrefix = `rampart-test:rate-limit:${randomUUID()}`;
const clients: Redis[] = [];

function connect(): Redis {
  const client =
    redisUrl === undefined || redisUrl === ''
      ? new Redis({ host: '127.0.0.1', port: 6379 })
      : new Redis(redisUrl);
  clients.push(client);
  return client;
}

/** Three gateway replicas: three clients, three limiters, one Redis. */
function replicas(): RateLimiter[] {
  return [0, 1, 2].map(() => createRateLimiter({ backend: { kind: 'redis', client: connect(), keyPrefix } }));
}

after(async () => {
  const [first] = clients;
  if (first !== undefined && first.status === 'ready') {
    const keys = await first.keys(`${keyPrefix}:*`);
    if (keys.length > 0) await first.del(...keys);
    assert.deepEqual(await first.keys(`${keyPrefix}:*`), []);
  }
  await Promise.all(
    clients.map((client) =>
      client.quit().catch(() => {
        client.disconnect();
      }),
    ),
  );
});

test('three replicas share one limit exactly under concurrency', available, async () => {
  const limiters = replicas();
  const limit: RateLimitConfig = { points: 10, window: '1m', by: ['ip'] };
  const request = { route: '/shared', ip: '198.51.100.20' };
  const decisions = await Promise.all(
    Array.from({ length: 60 }, (_, i) => (limiters[i % 3] ?? assert.fail()).consume(request, limit)),
  );
  assert.equal(decisions.filter((d) => d.allowed).length, 10);
  for (const d of decisions) if (!d.allowed) assert.equal(d.reason, 'rate');
});

test('three replicas share one penalty box and its escalation', available, async () => {
  const [a, b, c] = replicas();
  assert.ok(a !== undefined && b !== undefined && c !== undefined);
  const limit: RateLimitConfig = { points: 2, window: '1m', blockFor: '1s', by: ['user'] };
  const request = { route: '/login', ip: '198.51.100.21', user: 'mallory' };

  const first = await Promise.all([a, b, c, a, b, c].map((limiter) => limiter.consume(request, limit)));
  assert.equal(first.filter((d) => d.allowed).length, 2);
  for (const d of first) if (!d.allowed) assert.equal(d.reason, 'blocked');
  assert.deepEqual(await c.consume(request, limit), {
    allowed: false,
    retryAfterSeconds: 1,
    reason: 'blocked',
  });

  await sleep(1100);
  assert.equal((await b.consume(request, limit)).allowed, true);
  assert.equal((await c.consume(request, limit)).allowed, true);
  // The second offence, on another replica, doubles the block for everyone.
  assert.deepEqual(await a.consume(request, limit), {
    allowed: false,
    retryAfterSeconds: 2,
    reason: 'blocked',
  });
  const seenByB = await b.consume(request, limit);
  assert.ok(!seenByB.allowed && seenByB.reason === 'blocked' && seenByB.retryAfterSeconds === 2);
  await sleep(1100);
  assert.equal((await c.consume(request, limit)).allowed, false, 'still inside the doubled block');
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  await new Promise<void>((resolve) =>
    server.close(() => {
      resolve();
    }),
  );
  return address.port;
}

async function unreachableClient(): Promise<Redis> {
  const client = new Redis({
    host: '127.0.0.1',
    port: await closedPort(),
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 200,
    retryStrategy: () => null,
  });
  client.on('error', () => {
    // Expected: nothing listens there.
  });
  clients.push(client);
  return client;
}

const limit: RateLimitConfig = { points: 5, window: '1m' };
const request = { route: '/r', ip: '198.51.100.22', user: 'u' };

test('Redis unreachable: denied by default (fail closed)', async () => {
  const limiter = createRateLimiter({
    backend: { kind: 'redis', client: await unreachableClient(), keyPrefix },
  });
  assert.deepEqual(await limiter.consume(request, limit), {
    allowed: false,
    retryAfterSeconds: 1,
    reason: 'unavailable',
  });
});

test("Redis unreachable: allowed under the explicit 'allow' policy, and reported", async () => {
  const reports: { error: Error; outcome: string }[] = [];
  const limiter = createRateLimiter({
    backend: { kind: 'redis', client: await unreachableClient(), keyPrefix },
    onUnavailable: 'allow',
    onBackendError: (error, outcome) => reports.push({ error, outcome }),
  });
  assert.deepEqual(await limiter.consume(request, limit), { allowed: true, remaining: 0 });
  assert.equal(reports.length, 1);
  assert.equal(reports[0]?.outcome, 'allowed');
  assert.ok(reports[0].error instanceof Error);
});

test('a Redis that hangs counts as down after timeoutMs', async () => {
  // A server that accepts connections and never answers.
  const server = createServer(() => {
    // Swallow everything.
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  const client = new Redis({ host: '127.0.0.1', port: address.port, maxRetriesPerRequest: 0 });
  client.on('error', () => {
    // Expected.
  });
  clients.push(client);
  const outcomes: string[] = [];
  const limiter = createRateLimiter({
    backend: { kind: 'redis', client, keyPrefix },
    timeoutMs: 100,
    onBackendError: (_error, outcome) => outcomes.push(outcome),
  });
  try {
    const started = performance.now();
    const decision = await limiter.consume(request, limit);
    assert.equal(decision.allowed, false);
    assert.ok(performance.now() - started < 1000);
    assert.deepEqual(outcomes, ['denied']);
  } finally {
    client.disconnect();
    server.close();
  }
});
