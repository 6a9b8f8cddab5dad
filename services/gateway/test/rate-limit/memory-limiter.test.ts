import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import type { RateLimitConfig } from '@rampart/config';
import { createRateLimiter, type RateLimitDecision } from '../../src/rate-limit/index.ts';

const memory = () => createRateLimiter({ backend: { kind: 'memory' } });
const anon = { route: '/things', ip: '198.51.100.1' } as const;

async function times(n: number, fn: () => Promise<RateLimitDecision>): Promise<RateLimitDecision[]> {
  const out: RateLimitDecision[] = [];
  for (let i = 0; i < n; i++) out.push(await fn());
  return out;
}

test('N allowed, then denied with a Retry-After from the window', async () => {
  const limiter = memory();
  const limit: RateLimitConfig = { points: 3, window: '1m' };
  const decisions = await times(3, () => limiter.consume(anon, limit));
  assert.deepEqual(
    decisions.map((d) => d.allowed && d.remaining),
    [2, 1, 0],
  );
  const denied = await limiter.consume(anon, limit);
  assert.ok(!denied.allowed);
  assert.equal(denied.reason, 'rate');
  assert.ok(denied.retryAfterSeconds > 55 && denied.retryAfterSeconds <= 60);
});

test('burst adds to the window capacity', async () => {
  const limiter = memory();
  const limit: RateLimitConfig = { points: 2, window: '1m', burst: 3 };
  const decisions = await times(6, () => limiter.consume(anon, limit));
  assert.deepEqual(
    decisions.map((d) => d.allowed),
    [true, true, true, true, true, false],
  );
});

test('blockFor blocks the key, then doubles the block on a second offence', async () => {
  const limiter = memory();
  const limit: RateLimitConfig = { points: 2, window: '1m', blockFor: '1s' };
  await times(2, () => limiter.consume(anon, limit));
  const first = await limiter.consume(anon, limit);
  assert.deepEqual(first, { allowed: false, retryAfterSeconds: 1, reason: 'blocked' });
  const stillBlocked = await limiter.consume(anon, limit);
  assert.ok(!stillBlocked.allowed);
  assert.equal(stillBlocked.reason, 'blocked');

  await sleep(1100);
  const afterBlock = await times(2, () => limiter.consume(anon, limit));
  assert.ok(
    afterBlock.every((d) => d.allowed),
    'the block is over and the count restarts',
  );
  const second = await limiter.consume(anon, limit);
  assert.deepEqual(second, { allowed: false, retryAfterSeconds: 2, reason: 'blocked' });

  await sleep(1100);
  assert.equal((await limiter.consume(anon, limit)).allowed, false, 'the second block lasts 2 s, not 1 s');
  await sleep(1000);
  assert.equal((await limiter.consume(anon, limit)).allowed, true);
});

test('different users on one IP do not share a bucket; each user is also limited', async () => {
  const limiter = memory();
  const limit: RateLimitConfig = { points: 2, window: '1m', by: ['user'] };
  const alice = { route: '/things', ip: '198.51.100.1', user: 'alice' };
  const bob = { route: '/things', ip: '198.51.100.1', user: 'bob' };
  await times(2, () => limiter.consume(alice, limit));
  assert.equal((await limiter.consume(alice, limit)).allowed, false);
  assert.equal((await limiter.consume(bob, limit)).allowed, true);
});

test('default keys are ip and user: a request must pass both', async () => {
  const limiter = memory();
  const limit: RateLimitConfig = { points: 2, window: '1m' };
  // One user from many IPs is caught by the user key.
  const fromIps = await Promise.all(
    ['1.1.1.1', '2.2.2.2', '3.3.3.3'].map((ip) => limiter.consume({ route: '/r', ip, user: 'u' }, limit)),
  );
  assert.deepEqual(
    fromIps.map((d) => d.allowed),
    [true, true, false],
  );
  // Many users from one IP are caught by the IP key.
  const fromUsers = await Promise.all(
    ['a', 'b', 'c'].map((user) => limiter.consume({ route: '/r2', ip: '9.9.9.9', user }, limit)),
  );
  assert.deepEqual(
    fromUsers.map((d) => d.allowed),
    [true, true, false],
  );
});

test('routes are limited separately', async () => {
  const limiter = memory();
  const limit: RateLimitConfig = { points: 1, window: '1m' };
  assert.equal((await limiter.consume({ ...anon, route: '/a' }, limit)).allowed, true);
  assert.equal((await limiter.consume({ ...anon, route: '/a' }, limit)).allowed, false);
  assert.equal((await limiter.consume({ ...anon, route: '/b' }, limit)).allowed, true);
});

test('by route: one counter for every caller of the route', async () => {
  const limiter = memory();
  const limit: RateLimitConfig = { points: 2, window: '1m', by: ['route'] };
  const decisions = await Promise.all(
    ['1.1.1.1', '2.2.2.2', '3.3.3.3'].map((ip) => limiter.consume({ route: '/r', ip }, limit)),
  );
  assert.equal(decisions.filter((d) => d.allowed).length, 2);
});

test('50 parallel consumes on a limit of 10 allow exactly 10', async () => {
  const limiter = memory();
  const limit: RateLimitConfig = { points: 10, window: '1m' };
  const decisions = await Promise.all(
    Array.from({ length: 50 }, () => limiter.consume({ ...anon, user: 'u' }, limit)),
  );
  assert.equal(decisions.filter((d) => d.allowed).length, 10);
});

test('memory is bounded: a flood of distinct IPs expires with the window', async () => {
  const limiter = memory();
  const limit: RateLimitConfig = { points: 5, window: '1s' };
  await Promise.all(
    Array.from({ length: 2000 }, (_, i) =>
      limiter.consume({ route: '/r', ip: `10.0.${i >> 8}.${i & 255}` }, limit),
    ),
  );
  assert.equal(limiter.storedKeys(), 2000);
  await sleep(1200);
  assert.equal(limiter.storedKeys(), 0);
});

test('a raw path passed as route hits the limiter cap instead of growing memory', async () => {
  const limiter = createRateLimiter({ backend: { kind: 'memory' }, maxLimiters: 3 });
  const limit: RateLimitConfig = { points: 1, window: '1m' };
  for (const route of ['/a', '/b', '/c']) await limiter.consume({ ...anon, route }, limit);
  await assert.rejects(limiter.consume({ ...anon, route: '/d' }, limit), TypeError);
  // The same (route, limit) again reuses its limiter.
  await limiter.consume({ ...anon, route: '/a' }, { ...limit });
});

test("onUnavailable: 'allow' without a callback is refused", () => {
  assert.throws(
    () => createRateLimiter({ backend: { kind: 'memory' }, onUnavailable: 'allow' }),
    /onBackendError/,
  );
});
