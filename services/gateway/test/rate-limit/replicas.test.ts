import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { after, before, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { describeIfAvailable, requireService } from '@rampart/testing';
import {
  eventually,
  openFleet,
  privateRedis,
  refusalReason,
  REDIS_SERVER,
  type Fleet,
  type PrivateRedis,
  type Replica,
  type Reply,
} from './fleet.ts';

/**
 * Three gateway processes (`buildGateway`, each its own Node process) configured with one Redis:
 * a route's limit, its penalty box and the box's escalation are one, whichever replica a request
 * reaches; with Redis gone, limited routes fail closed and alert, and recover on their own.
 * The unit-level counterpart (three limiters in one process) is redis-limiter.test.ts.
 */

const SHARED_REDIS = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const REPLICAS = 3;

/** A rampart.yaml `name` of this run only: the Redis keys are `rampart:<name>:rl:…`. */
const runName = (what: string): string => `rl-${what}-${randomBytes(4).toString('hex')}`;

let fleet: Fleet;
before(async () => {
  fleet = await openFleet();
});
after(async () => {
  await fleet.close();
});

function at(replicas: readonly Replica[], index: number): Replica {
  const replica = replicas[index];
  assert.ok(replica !== undefined, `no replica ${String(index)}`);
  return replica;
}

/** `count` requests at once, request i to replica i mod 3. */
function spread(replicas: readonly Replica[], count: number, path: string, token?: string): Promise<Reply[]> {
  return Promise.all(
    Array.from({ length: count }, (_, i) => fleet.call(at(replicas, i % replicas.length), path, token)),
  );
}

/** 'answered' once `work` settles (rethrowing its error), 'hung' if it takes over `ms`. */
async function within(ms: number, work: Promise<unknown>): Promise<'answered' | 'hung'> {
  const timer = new AbortController();
  work.catch(() => undefined); // still observed below, unless it hangs
  try {
    return await Promise.race([
      work.then(() => 'answered' as const),
      sleep(ms, 'hung' as const, { signal: timer.signal }),
    ]);
  } finally {
    timer.abort();
  }
}

function statuses(replies: readonly Reply[]): string {
  const per = replies.map((r) => `${String(r.replica)}:${String(r.status)}`);
  return [...new Set(per)].map((s) => `${s}×${String(per.filter((p) => p === s).length)}`).join(' ');
}

function retryAfter(reply: Reply): number {
  const value = reply.headers['retry-after'];
  assert.equal(typeof value, 'string', 'a 429 carries Retry-After');
  assert.match(value as string, /^\d+$/);
  return Number(value);
}

/** What a failure message shows of an answer: the problem code or the path echoed, never headers. */
function gist(reply: Reply): string {
  return `replica ${String(reply.replica)} answered ${String(reply.status)} ${String(reply.body['code'] ?? reply.body['url'])}`;
}

/** A 429 GW_RATE_LIMITED whose Retry-After is within `range` (inclusive). */
function assertLimited(
  reply: Reply,
  range: readonly [number, number],
  context = '',
  status = 429,
  code = 'GW_RATE_LIMITED',
): void {
  assert.equal(reply.status, status, `${context}: ${gist(reply)}`);
  assert.equal(reply.body['code'], code);
  const seconds = retryAfter(reply);
  assert.ok(
    seconds >= range[0] && seconds <= range[1],
    `${context} Retry-After ${String(seconds)} not in [${String(range[0])}, ${String(range[1])}]`,
  );
}

function assertServed(reply: Reply, path: string, context = ''): void {
  assert.equal(reply.status, 200, `${context}: ${gist(reply)}`);
  assert.equal(reply.body['url'], path, 'the answer is the echo upstream’s');
}

describeIfAvailable('three gateway processes on one Redis', await requireService('redis'), () => {
  const name = runName('shared');
  let replicas: Replica[] = [];
  let redis: Redis;

  before(async () => {
    redis = new Redis(SHARED_REDIS, { lazyConnect: true });
    await redis.connect();
    replicas = await fleet.startReplicas(name, SHARED_REDIS, REPLICAS);
    // Each replica's Redis client connects as the gateway starts; one limited answer from each
    // shows it is up before the counting starts.
    const probe = await fleet.token('probe', replicas);
    for (const replica of replicas) {
      await eventually(`replica ${String(replica.index)} limits through Redis`, async () => {
        return (await fleet.call(replica, '/per-user', probe)).status === 200;
      });
    }
  });
  after(async () => {
    await fleet.stopReplicas(replicas);
    const keys = await redis.keys(`rampart:${name}:*`);
    if (keys.length > 0) await redis.del(...keys);
    assert.deepEqual(await redis.keys(`rampart:${name}:*`), [], 'this run left no key behind');
    await redis.quit();
  });

  it('share one limit exactly: 90 concurrent requests over three replicas, 30 pass', async () => {
    const hitsBefore = fleet.echo.hits.get('/per-user') ?? 0;
    const alice = await fleet.token('alice', replicas);
    const replies = await spread(replicas, 90, '/per-user', alice);
    assert.equal(replies.filter((r) => r.status === 200).length, 30, statuses(replies));
    assert.equal(replies.filter((r) => r.status === 429).length, 60, statuses(replies));
    for (const reply of replies) {
      if (reply.status === 200) assertServed(reply, '/per-user');
      // Not a penalty box: the wait is what is left of the 1-minute window.
      else assertLimited(reply, [55, 60]);
    }
    assert.equal((fleet.echo.hits.get('/per-user') ?? 0) - hitsBefore, 30, 'the upstream saw 30');
    const reasons = await Promise.all(
      replies.filter((r) => r.status === 429).map((r) => refusalReason(at(replicas, r.replica), r)),
    );
    assert.deepEqual(new Set(reasons), new Set(['rate limit (rate)']));
    // The counters are in Redis, under this configuration's prefix.
    assert.ok((await redis.keys(`rampart:${name}:rl:*`)).length > 0);

    // Another user has a limit of their own, on every replica.
    const bob = await fleet.token('bob', replicas);
    for (const reply of await spread(replicas, 3, '/per-user', bob)) assertServed(reply, '/per-user');
  });

  it('share one limit per client IP: 90 concurrent anonymous requests, 30 pass', async () => {
    const replies = await spread(replicas, 90, '/per-ip');
    assert.equal(replies.filter((r) => r.status === 200).length, 30, statuses(replies));
    for (const reply of replies) {
      if (reply.status === 200) assertServed(reply, '/per-ip');
      else assertLimited(reply, [55, 60]);
    }
  });

  it('share one penalty box and its escalation', async () => {
    const [a, b, c] = [at(replicas, 0), at(replicas, 1), at(replicas, 2)];
    const mallory = await fleet.token('mallory', replicas);
    const boxed = (replica: Replica, token = mallory): Promise<Reply> => fleet.call(replica, '/boxed', token);

    // 3 per minute with blockFor 2s: one request on each replica uses the allowance up.
    for (const replica of [a, b, c]) assertServed(await boxed(replica), '/boxed');
    // The fourth, on A, is the offence: the key is boxed for 2 s…
    const offence = await boxed(a);
    const offenceAt = Date.now();
    assertLimited(offence, [2, 2], 'first offence');
    assert.equal(await refusalReason(a, offence), 'rate limit (blocked)');
    // …on B and C too, which never saw it exceed; concurrent requests change nothing.
    for (const reply of await Promise.all([b, c, b, c, a].map((r) => boxed(r)))) {
      assertLimited(reply, [1, 2], 'boxed on every replica');
      assert.equal(await refusalReason(at(replicas, reply.replica), reply), 'rate limit (blocked)');
    }
    // A different user is served by all three meanwhile.
    const bob = await fleet.token('bob-boxed', replicas);
    for (const replica of [a, b, c]) assertServed(await boxed(replica, bob), '/boxed');

    // Out of the box, a fresh allowance; the next offence, this time on B, doubles the block to
    // 4 s for every replica — so B must know of the offence A saw.
    await sleep(Math.max(0, offenceAt + 2100 - Date.now()));
    for (const replica of [c, a, c]) assertServed(await boxed(replica), '/boxed');
    const second = await boxed(b);
    const secondAt = Date.now();
    assertLimited(second, [4, 4], 'second offence, escalated');
    for (const replica of [a, c]) assertLimited(await boxed(replica), [3, 4], 'escalated block');
    const carol = await fleet.token('carol-boxed', replicas);
    for (const replica of [a, b, c]) assertServed(await boxed(replica, carol), '/boxed');
    // Past where the first 2 s block would have ended, every replica still refuses.
    await sleep(Math.max(0, secondAt + 2300 - Date.now()));
    for (const reply of await Promise.all([a, b, c].map((r) => boxed(r)))) {
      assertLimited(reply, [1, 2], 'still in the doubled block');
      assert.equal(await refusalReason(at(replicas, reply.replica), reply), 'rate limit (blocked)');
    }
  });
});

describeIfAvailable(
  'three gateway processes when their Redis goes away',
  existsSync(REDIS_SERVER) ? { skip: false } : { skip: `${REDIS_SERVER} is not installed` },
  () => {
    let started: PrivateRedis | undefined;
    const redisServer = (): PrivateRedis => {
      assert.ok(started !== undefined, 'the private redis-server started');
      return started;
    };
    let replicas: Replica[] = [];

    before(async () => {
      started = await privateRedis();
      replicas = await fleet.startReplicas(runName('outage'), started.url, REPLICAS);
    });
    after(async () => {
      await fleet.stopReplicas(replicas);
      await started?.close();
    });

    /** Waits until every replica has answered a limited route with 200 again. */
    async function recovered(): Promise<void> {
      const probe = await fleet.token('probe', replicas);
      await Promise.all(
        replicas.map((replica) =>
          eventually(`replica ${String(replica.index)} limits through Redis again`, async () => {
            return (await fleet.call(replica, '/per-user', probe)).status === 200;
          }),
        ),
      );
    }

    /** Every replica logged the alert since `marks` (log lengths), for this denial. */
    async function alerted(marks: readonly number[], cause: RegExp): Promise<void> {
      for (const replica of replicas) {
        await eventually(`replica ${String(replica.index)} alerts`, () =>
          replica.logs
            .slice(marks[replica.index])
            .some(
              (l) =>
                l['msg'] === 'rate limiter backend unavailable' &&
                l['level'] === 50 &&
                l['outcome'] === 'denied' &&
                cause.test(JSON.stringify(l['err'])),
            ),
        );
      }
    }

    /** While Redis is away: limited routes refused on every replica; a route with `rateLimit: off` served. */
    async function failsClosed(): Promise<void> {
      const erin = await fleet.token('erin', replicas);
      for (const reply of await spread(replicas, 6, '/per-user', erin)) {
        assertLimited(reply, [1, 1], 'Redis unavailable', 503, 'GW_RATE_LIMIT_UNAVAILABLE');
        assert.equal(await refusalReason(at(replicas, reply.replica), reply), 'rate limit (unavailable)');
      }
      for (const reply of await spread(replicas, 6, '/per-ip'))
        assertLimited(reply, [1, 1], 'per IP', 503, 'GW_RATE_LIMIT_UNAVAILABLE');
      for (const reply of await spread(replicas, 6, '/open', erin)) assertServed(reply, '/open');
    }

    it('fail closed and alert while Redis is down, and limit again once it is back, without a restart', async () => {
      const server = redisServer();
      await recovered();
      const marks = replicas.map((r) => r.logs.length);
      await server.kill();
      try {
        await failsClosed();
        await alerted(marks, /./);
      } finally {
        await server.start();
      }
      await recovered();
      // The same exact shared limit as before the outage, over the new connections.
      const dave = await fleet.token('dave', replicas);
      const replies = await spread(replicas, 45, '/per-user', dave);
      assert.equal(replies.filter((r) => r.status === 200).length, 30, statuses(replies));
      for (const reply of replies) if (reply.status !== 200) assertLimited(reply, [55, 60]);
    });

    it('fail closed within the backend timeout while Redis hangs, and recover when it answers', async () => {
      const server = redisServer();
      await recovered();
      const marks = replicas.map((r) => r.logs.length);
      server.freeze();
      try {
        // Each limited request waits out the 500 ms backend timeout; none may wait on Redis.
        assert.equal(await within(5000, failsClosed()), 'answered', 'a hung Redis hangs the gateway');
        await alerted(marks, /did not answer within 500 ms/);
      } finally {
        server.thaw();
      }
      await recovered();
    });
  },
);
