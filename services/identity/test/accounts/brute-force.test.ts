import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { describeIfAvailable, requireService } from '@rampart/testing';
import { Redis } from 'ioredis';
import {
  BRUTE_FORCE_POLICY,
  BruteForceGuard,
  type BruteForceDecision,
  type BruteForceGuardOptions,
} from '../../src/accounts/index.ts';

type Backend = {
  name: string;
  availability: { skip: false } | { skip: string };
  options(): BruteForceGuardOptions;
};

const allowed = (decisions: readonly BruteForceDecision[]): number =>
  decisions.filter((d) => d.allowed).length;
const reasons = (decisions: readonly BruteForceDecision[]): string[] => [
  ...new Set(decisions.flatMap((d) => (d.allowed ? [] : [d.reason]))),
];
let ipCounter = 0;
/** A fresh documentation-range IPv4 address for each call. */
function freshIp(): string {
  ipCounter += 1;
  return `198.51.${Math.floor(ipCounter / 250) % 250}.${(ipCounter % 250) + 1}`;
}

const redisClients: Redis[] = [];
const redisPrefix = `rampart-test:identity:${randomUUID()}`;
const redisAvailability = await requireService('redis');

const backends: Backend[] = [
  { name: 'memory', availability: { skip: false }, options: () => ({}) },
  {
    name: 'Redis',
    availability: redisAvailability,
    options: () => {
      const url = process.env['REDIS_URL'];
      const client =
        url === undefined || url === ''
          ? new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true })
          : new Redis(url, { lazyConnect: true });
      redisClients.push(client);
      return { redis: client, keyPrefix: `${redisPrefix}:${randomUUID()}` };
    },
  },
];

after(async () => {
  const [first] = redisClients;
  if (first?.status === 'ready') {
    const keys = await first.keys(`${redisPrefix}:*`);
    if (keys.length > 0) await first.del(...keys);
  }
  await Promise.all(
    redisClients.map((client) =>
      client.quit().catch(() => {
        client.disconnect();
      }),
    ),
  );
});

for (const backend of backends) {
  describeIfAvailable(`BruteForceGuard (${backend.name})`, backend.availability, () => {
    /** A guard on a fresh key space (its Redis client connected). */
    async function guard(policy?: BruteForceGuardOptions['policy']): Promise<BruteForceGuard> {
      const options = backend.options();
      if (options.redis !== undefined) await options.redis.connect();
      return new BruteForceGuard({ ...options, ...(policy === undefined ? {} : { policy }) });
    }

    it('lets exactly 10 of 50 parallel attempts on one account and IP through', async () => {
      const g = await guard();
      const attempt = { username: 'alice', ip: '203.0.113.10' };
      const decisions = await Promise.all(Array.from({ length: 50 }, () => g.check(attempt)));
      assert.equal(allowed(decisions), 10);
      assert.deepEqual(reasons(decisions), ['pair_locked']);
      const next = await g.check(attempt);
      assert.ok(!next.allowed && next.reason === 'pair_locked' && next.retryAfterSeconds > 0);
    });

    it('shares counters exactly between replicas', async () => {
      const options = backend.options();
      if (options.redis === undefined) return; // one process has one memory: nothing to share
      await options.redis.connect();
      const replicas = [0, 1, 2].map(() => new BruteForceGuard(options));
      const attempt = { username: 'bob', ip: '203.0.113.11' };
      const decisions = await Promise.all(
        Array.from({ length: 60 }, (_, i) => (replicas[i % 3] ?? assert.fail()).check(attempt)),
      );
      assert.equal(allowed(decisions), 10);
    });

    it('slows down after 3 failures (1 s, doubling to 8 s) and locks the pair for 15 minutes after 10', async () => {
      const g = await guard();
      const attempt = { username: 'carol', ip: '203.0.113.12' };
      const delays: number[] = [];
      for (let i = 0; i < 10; i += 1) {
        const decision = await g.check(attempt);
        assert.ok(decision.allowed, `attempt ${i + 1}`);
        delays.push(decision.delayMs);
        await g.failed(attempt);
      }
      assert.deepEqual(delays, [0, 0, 0, 1000, 2000, 4000, 8000, 8000, 8000, 8000]);
      const locked = await g.check(attempt);
      assert.ok(!locked.allowed);
      assert.equal(locked.reason, 'pair_locked');
      assert.ok(
        locked.retryAfterSeconds > 890 && locked.retryAfterSeconds <= 900,
        String(locked.retryAfterSeconds),
      );
    });

    it('forgets the pair failures on success', async () => {
      const g = await guard();
      const attempt = { username: 'dave', ip: '203.0.113.13' };
      for (let i = 0; i < 5; i += 1) {
        assert.ok((await g.check(attempt)).allowed);
        await g.failed(attempt);
      }
      const sixth = await g.check(attempt);
      assert.deepEqual(sixth, { allowed: true, delayMs: 4000 });
      await g.succeeded(attempt);
      assert.deepEqual(await g.check(attempt), { allowed: true, delayMs: 0 });
    });

    it('never lets one IP lock a known account for another IP', async () => {
      const g = await guard();
      const attacker = { username: 'erin', ip: '203.0.113.14' };
      for (let wave = 0; wave < 4; wave += 1) {
        const decisions = await Promise.all(Array.from({ length: 50 }, () => g.check(attacker)));
        await Promise.all(decisions.filter((d) => d.allowed).map(() => g.failed(attacker)));
        assert.deepEqual(reasons(decisions), ['pair_locked']);
      }
      assert.deepEqual(await g.check({ username: 'Erin', ip: '198.51.100.99' }), {
        allowed: true,
        delayMs: 0,
      });
    });

    it('counts refused attempts nowhere: a locked pair does not use up its IP', async () => {
      const g = await guard();
      const ip = '203.0.113.15';
      await Promise.all(Array.from({ length: 40 }, () => g.check({ username: 'frank', ip })));
      // 10 failures reserved for frank; 90 remain for this IP today.
      const others = await Promise.all(
        Array.from({ length: 120 }, (_, i) => g.check({ username: `user${i}`, ip })),
      );
      assert.equal(allowed(others), 90);
      assert.deepEqual(reasons(others), ['ip_blocked']);
    });

    it('blocks an IP for a day after 100 failures on any usernames', async () => {
      const g = await guard();
      const ip = '2001:db8:aa:bb::1';
      const decisions = await Promise.all(
        Array.from({ length: 130 }, (_, i) => g.check({ username: `spray${i}`, ip })),
      );
      assert.equal(allowed(decisions), 100);
      await Promise.all(Array.from({ length: 100 }, (_, i) => g.failed({ username: `spray${i}`, ip })));
      const blocked = await g.check({ username: 'someone-new', ip: '2001:db8:aa:bb:ffff::2' });
      assert.ok(!blocked.allowed);
      assert.equal(blocked.reason, 'ip_blocked', 'the whole /64 is one client');
      assert.ok(blocked.retryAfterSeconds > 86_000);
      assert.ok((await g.check({ username: 'someone-new', ip: '2001:db8:aa:bc::1' })).allowed);
    });

    it('locks an account for every IP after 50 failures from many IPs, for 15 minutes', async () => {
      const g = await guard();
      const ips = Array.from({ length: 60 }, () => freshIp());
      const decisions = await Promise.all(ips.map((ip) => g.check({ username: 'grace', ip })));
      assert.equal(allowed(decisions), 50);
      assert.deepEqual(reasons(decisions), ['account_locked']);
      await Promise.all(
        ips.filter((_, i) => decisions[i]?.allowed).map((ip) => g.failed({ username: 'grace', ip })),
      );
      const locked = await g.check({ username: 'grace', ip: freshIp() });
      assert.ok(!locked.allowed);
      assert.equal(locked.reason, 'account_locked');
      assert.ok(locked.retryAfterSeconds > 890 && locked.retryAfterSeconds <= 900);
      assert.ok(
        (await g.check({ username: 'heidi', ip: freshIp() })).allowed,
        'other accounts are untouched',
      );
    });

    it('gives the reserved slot back on success, so counts stay exact', async () => {
      const g = await guard({ pair: { lockAfter: 2 }, account: { lockAfter: 10 } });
      const ips = Array.from({ length: 10 }, () => freshIp());
      for (const ip of ips) assert.ok((await g.check({ username: 'ivan', ip })).allowed);
      await g.succeeded({ username: 'ivan', ip: ips[0] ?? '' });
      assert.ok((await g.check({ username: 'ivan', ip: freshIp() })).allowed, 'the success freed one slot');
      const refused = await g.check({ username: 'ivan', ip: freshIp() });
      assert.ok(!refused.allowed && refused.reason === 'account_locked');
    });

    it('counts an attempt whose outcome is never reported as a failure (fails closed)', async () => {
      const g = await guard();
      const attempt = { username: 'judy', ip: '203.0.113.16' };
      for (let i = 0; i < 10; i += 1) assert.ok((await g.check(attempt)).allowed);
      assert.equal((await g.check(attempt)).allowed, false);
    });
  });
}

describe('BruteForceGuard policy', () => {
  it('documents its numbers', () => {
    assert.deepEqual(BRUTE_FORCE_POLICY, {
      pair: {
        lockAfter: 10,
        windowSeconds: 900,
        lockSeconds: 900,
        freeFailures: 3,
        baseDelayMs: 1000,
        maxDelayMs: 8000,
      },
      ip: { lockAfter: 100, windowSeconds: 86_400, lockSeconds: 86_400 },
      account: { lockAfter: 50, windowSeconds: 3600, lockSeconds: 900 },
    });
  });

  it('fails closed: with Redis not ready, check rejects instead of letting the attempt through', async () => {
    const offline = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });
    try {
      const g = new BruteForceGuard({ redis: offline, keyPrefix: `${redisPrefix}:offline` });
      await assert.rejects(g.check({ username: 'kate', ip: '203.0.113.17' }), /not ready/);
    } finally {
      offline.disconnect();
    }
  });

  it('refuses a policy that would let one IP lock an account, or nonsense numbers', () => {
    assert.throws(
      () => new BruteForceGuard({ policy: { account: { lockAfter: 49 } } }),
      /one IP lock an account/,
    );
    assert.throws(
      () => new BruteForceGuard({ policy: { pair: { windowSeconds: 60 } } }),
      /one IP lock an account/,
    );
    assert.throws(() => new BruteForceGuard({ policy: { ip: { lockAfter: 0 } } }), TypeError);
    assert.throws(() => new BruteForceGuard({ policy: { pair: { baseDelayMs: 1.5 } } }), TypeError);
    assert.throws(() => new BruteForceGuard({ keyPrefix: '' }), TypeError);
  });
});
