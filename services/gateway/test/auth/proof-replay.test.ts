import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { describeIfAvailable, requireService } from '@rampart/testing';
import { MessageChannel } from 'node:worker_threads';
import { Redis } from 'ioredis';
import { createProofReplayCache } from '../../src/auth/proof-replay.ts';
import { createCounterHost, threadCounters } from '../../src/shared-state/index.ts';

const now = (): number => Math.floor(Date.now() / 1000);

describe('the DPoP proof replay cache', () => {
  it('in memory: once per id, and full means refused', async () => {
    const replay = createProofReplayCache({ kind: 'memory' }, 2);
    assert.equal(await replay.remember('a', now()), true);
    assert.equal(await replay.remember('a', now()), false);
    assert.equal(await replay.remember('b', now()), true);
    assert.equal(
      await replay.remember('c', now()),
      false,
      'two live ids: a third is refused, not one forgotten',
    );
    assert.equal(await replay.remember('c', now() + 121), true, 'ids expire after twice the proof window');
  });

  it('in the main thread: a proof used through one worker is a replay through another', async () => {
    const host = createCounterHost();
    const one = new MessageChannel();
    const two = new MessageChannel();
    host.serve(one.port1);
    host.serve(two.port1);
    const first = threadCounters(one.port2);
    const second = threadCounters(two.port2);
    try {
      const a = createProofReplayCache({ kind: 'threads', counters: first });
      const b = createProofReplayCache({ kind: 'threads', counters: second });
      const id = randomUUID();
      const answers = await Promise.all([
        a.remember(id, now()),
        b.remember(id, now()),
        a.remember(id, now()),
      ]);
      assert.deepEqual(
        answers.filter(Boolean).length,
        1,
        'exactly one of three concurrent uses is the first',
      );
      assert.equal(await b.remember(randomUUID(), now()), true);
    } finally {
      first.close();
      second.close();
      one.port1.close();
      two.port1.close();
    }
  });

  it('on Redis: rejects when Redis cannot answer (the proof is then refused)', async () => {
    const down = new Redis('redis://127.0.0.1:1', {
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      lazyConnect: true,
      retryStrategy: () => null,
    });
    const replay = createProofReplayCache({ kind: 'redis', client: down, keyPrefix: 'rampart:test-down:' });
    await assert.rejects(replay.remember(randomUUID(), now()));
    down.disconnect();
  });
});

describeIfAvailable('the DPoP proof replay cache on Redis (replicas)', await requireService('redis'), () => {
  const prefix = `rampart:test-${randomUUID()}:dpop:`;
  let client: Redis | undefined;
  before(() => {
    client = new Redis(process.env['REDIS_URL'] || 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
  });
  after(async () => {
    if (client === undefined) return;
    const keys = await client.keys(`${prefix}*`);
    if (keys.length > 0) await client.del(...keys);
    client.disconnect();
  });

  it('a proof used on one replica is a replay on every other', async () => {
    assert.ok(client !== undefined);
    const redis = client;
    const replicas = [1, 2, 3].map(() =>
      createProofReplayCache({ kind: 'redis', client: redis, keyPrefix: prefix }),
    );
    const id = randomUUID();
    const answers = await Promise.all(replicas.map((replica) => replica.remember(id, now())));
    assert.equal(answers.filter(Boolean).length, 1);
  });
});
