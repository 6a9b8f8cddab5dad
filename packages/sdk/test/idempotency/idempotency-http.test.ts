import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import type { RampartConfig } from '@rampart/config';
import { RampartError } from '@rampart/errors';
import { createServiceFixture, type ServiceFixture } from '@rampart/testing';
import { createService, IDEMPOTENCY_TABLE, type Service } from '@rampart/sdk';

const CONFIG: RampartConfig = {
  version: 1,
  name: 'idempotency-test',
  services: {
    widgets: { entry: 'services/widgets/main.ts', port: 7999, callers: ['gateway', 'helper'] },
    helper: { entry: 'services/helper/main.ts', port: 7998, callers: ['widgets'] },
  },
};

const nameBody = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: { name: { type: 'string', maxLength: 100 } },
} as const;

describe('Idempotency-Key on a service built with the SDK', () => {
  let fixture: ServiceFixture | undefined;
  let service: Service | undefined;
  const runs = new Map<string, number>();
  const ran = (route: string): number => runs.get(route) ?? 0;
  const count = (route: string): number => {
    runs.set(route, ran(route) + 1);
    return ran(route);
  };
  let releaseSlow = (): void => undefined;

  before(async () => {
    fixture = await createServiceFixture({ component: 'widgets', config: CONFIG });
    service = await createService({ env: fixture.env, logDestination: { write: () => undefined } });
    const svc = service;
    svc.route<{ Body: { name: string } }>({
      method: 'POST',
      url: '/things',
      scopes: [],
      schema: { body: nameBody },
      handler: (request, reply) => {
        const n = count('things');
        return reply.code(201).header('location', `/things/${n}`).send({ n, name: request.body.name });
      },
    });
    svc.route<{ Params: { id: string }; Body: { name: string } }>({
      method: 'PATCH',
      url: '/things/{id}',
      scopes: [],
      schema: { body: nameBody },
      handler: (request) => ({ n: count('patch'), id: request.params.id }),
    });
    svc.route({ method: 'PUT', url: '/things', scopes: [], handler: () => ({ n: count('put') }) });
    svc.route({
      method: 'POST',
      url: '/slow',
      scopes: [],
      handler: async () => {
        count('slow');
        await new Promise<void>((resolve) => {
          releaseSlow = resolve;
        });
        return { done: true };
      },
    });
    svc.route({
      method: 'POST',
      url: '/flaky',
      scopes: [],
      handler: () => {
        if (count('flaky') === 1) throw new Error('a transient failure');
        return { ok: true };
      },
    });
    svc.route({
      method: 'POST',
      url: '/refuse',
      scopes: [],
      handler: () => {
        count('refuse');
        throw new RampartError('SDK_NOT_FOUND');
      },
    });
    svc.route({
      method: 'POST',
      url: '/required',
      scopes: [],
      requireIdempotencyKey: true,
      handler: () => ({ n: count('required') }),
    });
  });
  after(async () => {
    await service?.stop();
    await fixture?.cleanup();
  });

  const send = async (
    method: 'POST' | 'PATCH' | 'PUT',
    url: string,
    options: { key?: string | string[]; body?: object; sub?: string; actor?: string } = {},
  ): Promise<LightMyRequestResponse> => {
    const token = await fixture!.token({
      sub: options.sub ?? 'alice',
      ...(options.actor === undefined ? {} : { act: { sub: options.actor } }),
    });
    return service!.inject(
      {
        method,
        url,
        headers: {
          authorization: `Bearer ${token}`,
          ...(options.key === undefined ? {} : { 'idempotency-key': options.key }),
        },
        ...(options.body === undefined ? {} : { payload: options.body }),
      },
      { peer: options.actor ?? 'gateway' },
    );
  };
  const codeOf = (res: LightMyRequestResponse): string => res.json<{ code: string }>().code;

  it('replays the first answer — status, body, Content-Type, Location — without running the handler again', async () => {
    const first = await send('POST', '/things', { key: '"k-replay"', body: { name: 'a' } });
    assert.equal(first.statusCode, 201);
    const again = await send('POST', '/things', { key: '"k-replay"', body: { name: 'a' } });
    assert.equal(again.statusCode, 201);
    assert.equal(again.body, first.body);
    assert.equal(again.headers['location'], first.headers['location']);
    assert.equal(again.headers['content-type'], first.headers['content-type']);
    assert.notEqual(again.headers['x-request-id'], first.headers['x-request-id'], 'its own request id');
    assert.equal(ran('things'), 1);
  });

  it('without a key, every request runs', async () => {
    const before = ran('things');
    await send('POST', '/things', { body: { name: 'a' } });
    await send('POST', '/things', { body: { name: 'a' } });
    assert.equal(ran('things'), before + 2);
  });

  it('the same key with another payload is 422 SDK_IDEMPOTENCY_KEY_REUSED, and nothing runs', async () => {
    await send('POST', '/things', { key: '"k-mismatch"', body: { name: 'a' } });
    const before = ran('things');
    for (const [url, body] of [
      ['/things', { name: 'b' }],
      ['/things?x=1', { name: 'a' }],
    ] as const) {
      const res = await send('POST', url, { key: '"k-mismatch"', body });
      assert.equal(res.statusCode, 422, url);
      assert.equal(codeOf(res), 'SDK_IDEMPOTENCY_KEY_REUSED');
      assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
    }
    assert.equal(ran('things'), before);
  });

  it('a retry while the first is running is 409 SDK_IDEMPOTENCY_KEY_IN_FLIGHT, then gets its answer', async () => {
    const first = send('POST', '/slow', { key: '"k-slow"' });
    while (ran('slow') === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const concurrent = await send('POST', '/slow', { key: '"k-slow"' });
    assert.equal(concurrent.statusCode, 409);
    assert.equal(codeOf(concurrent), 'SDK_IDEMPOTENCY_KEY_IN_FLIGHT');
    releaseSlow();
    assert.equal((await first).statusCode, 200);
    const after = await send('POST', '/slow', { key: '"k-slow"' });
    assert.deepEqual(after.json(), { done: true });
    assert.equal(ran('slow'), 1);
  });

  it('of 15 concurrent requests with one key, the handler runs once', async () => {
    const before = ran('things');
    const answers = await Promise.all(
      Array.from({ length: 15 }, () => send('POST', '/things', { key: '"k-burst"', body: { name: 'c' } })),
    );
    assert.equal(ran('things'), before + 1);
    const created = answers.filter((res) => res.statusCode === 201);
    assert.ok(created.length >= 1);
    for (const res of created) assert.equal(res.body, created[0]?.body);
    for (const res of answers.filter((r) => r.statusCode !== 201)) {
      assert.equal(codeOf(res), 'SDK_IDEMPOTENCY_KEY_IN_FLIGHT');
    }
  });

  it('a 5xx releases the key: the retry runs again', async () => {
    const failed = await send('POST', '/flaky', { key: '"k-flaky"' });
    assert.equal(failed.statusCode, 500);
    const retried = await send('POST', '/flaky', { key: '"k-flaky"' });
    assert.equal(retried.statusCode, 200);
    assert.equal(ran('flaky'), 2);
  });

  it('a 4xx answer is final: it is replayed', async () => {
    const first = await send('POST', '/refuse', { key: '"k-refuse"' });
    assert.equal(first.statusCode, 404);
    const again = await send('POST', '/refuse', { key: '"k-refuse"' });
    assert.equal(again.statusCode, 404);
    assert.match(String(again.headers['content-type']), /^application\/problem\+json/);
    assert.equal(ran('refuse'), 1);
  });

  it('a key belongs to one principal and one route: nobody replays another’s answer', async () => {
    const alice = await send('POST', '/things', { key: '"k-shared"', body: { name: 'alice' } });
    const bob = await send('POST', '/things', { key: '"k-shared"', body: { name: 'alice' }, sub: 'bob' });
    const helper = await send('POST', '/things', {
      key: '"k-shared"',
      body: { name: 'alice' },
      actor: 'helper',
    });
    assert.notEqual(bob.body, alice.body);
    assert.notEqual(helper.body, alice.body);
    assert.notEqual(helper.body, bob.body);
    const patched = await send('PATCH', '/things/1', { key: '"k-shared"', body: { name: 'alice' } });
    assert.equal(patched.statusCode, 200, 'another route: another key');
    const patchedAgain = await send('PATCH', '/things/1', { key: '"k-shared"', body: { name: 'alice' } });
    assert.equal(patchedAgain.body, patched.body);
    assert.equal(ran('patch'), 1);
  });

  it('PUT is idempotent by itself: the key is ignored', async () => {
    await send('PUT', '/things', { key: '"k-put"' });
    await send('PUT', '/things', { key: '"k-put"' });
    assert.equal(ran('put'), 2);
  });

  it('a malformed key is 400 SDK_IDEMPOTENCY_KEY_INVALID, and nothing runs', async () => {
    const before = ran('things');
    for (const key of ['unquoted', '""', ['"a"', '"b"'], `"${'x'.repeat(256)}"`]) {
      const res = await send('POST', '/things', { key, body: { name: 'a' } });
      assert.equal(res.statusCode, 400, JSON.stringify(key));
      assert.equal(codeOf(res), 'SDK_IDEMPOTENCY_KEY_INVALID');
    }
    assert.equal(ran('things'), before);
  });

  it('a route may require a key: 400 SDK_IDEMPOTENCY_KEY_MISSING without one', async () => {
    const res = await send('POST', '/required');
    assert.equal(res.statusCode, 400);
    assert.equal(codeOf(res), 'SDK_IDEMPOTENCY_KEY_MISSING');
    assert.equal(ran('required'), 0);
    assert.equal((await send('POST', '/required', { key: '"k-required"' })).statusCode, 200);
    assert.throws(() => {
      service!.route({
        method: 'GET',
        url: '/nope',
        scopes: [],
        requireIdempotencyKey: true,
        handler: () => 1,
      });
    }, TypeError);
  });

  it('stores neither the key nor the answer in clear', async () => {
    const secret = 'Wilhelmina Zwicky-Oyelaran';
    await send('POST', '/things', { key: '"k-sealed-7f3a"', body: { name: secret } });
    const rows = await service!.store.all<Record<string, unknown>>(`SELECT * FROM ${IDEMPOTENCY_TABLE}`);
    assert.ok(rows.length > 0);
    const dump = JSON.stringify(rows);
    assert.doesNotMatch(dump, /Wilhelmina|k-sealed-7f3a|alice/);
  });
});
