import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startGatewayFixture, type FixturePorts, type GatewayFixture } from './gateway-fixture.ts';
import { yamlHead } from '@rampart/testing';

const config = (ports: FixturePorts): string =>
  `${yamlHead(ports)}
policies:
  read: { scopes: [orders:read] }
  write: { scopes: [orders:write] }
  anyone: { public: true }
services:
  orders:
    entry: orders.ts
    port: ${ports.services['orders']}
    callers: [gateway]
    routes:
      - { method: GET, path: /orders, policy: read, cache: { ttl: 1s } }
      - { method: POST, path: /orders, policy: write, schema: { contentTypes: [application/json] } }
      - { method: GET, path: /banners, policy: read, cache: { ttl: 1m } }
      - { method: GET, path: /answer, policy: read, cache: { ttl: 1m } }
      - { method: GET, path: /catalog, policy: anyone, cache: { ttl: 1m } }
      - { method: GET, path: /live, policy: read }
`;

interface Echo {
  readonly url: string;
  readonly hit: number;
  readonly headers: Record<string, string>;
}

describe('the response cache', () => {
  let gw: GatewayFixture;
  let alice: string;
  let bob: string;
  before(async () => {
    gw = await startGatewayFixture({ services: ['orders'], yaml: config });
    alice = await gw.token({ sub: 'alice', scope: 'orders:read orders:write' });
    bob = await gw.token({ sub: 'bob', scope: 'orders:read orders:write' });
  });
  after(async () => {
    await gw.close();
  });

  const get = async (path: string, token?: string, headers: Record<string, string> = {}) => {
    const res = await gw.call(path, { ...(token === undefined ? {} : { token }), headers });
    assert.equal(res.status, 200, res.body);
    return { res, echo: res.json() as unknown as Echo };
  };

  it('serves each principal its own answer, never another’s', async () => {
    const a1 = await get('/orders', alice);
    const b1 = await get('/orders', bob);
    assert.notEqual(a1.echo.hit, b1.echo.hit, 'bob went to the service, not to alice’s answer');
    assert.notEqual(a1.echo.headers['authorization'], b1.echo.headers['authorization']);
    const a2 = await get('/orders', alice);
    const b2 = await get('/orders', bob);
    assert.deepEqual(a2.echo, a1.echo, 'alice’s second read is her cached answer');
    assert.deepEqual(b2.echo, b1.echo, 'bob’s second read is his');
    assert.equal(gw.services.get('orders')?.hits.get('/orders'), b1.echo.hit);
    assert.match(String(a2.res.headers['age']), /^\d+$/u);
    assert.notEqual(a2.res.headers['x-request-id'], a1.res.headers['x-request-id']);
    assert.match(String(a2.res.headers['strict-transport-security']), /max-age/u);
  });

  it('keys the query too, and a new token of the same principal shares the answer', async () => {
    const first = await get('/orders?page=2', alice);
    const other = await get('/orders?page=3', alice);
    assert.notEqual(first.echo.hit, other.echo.hit);
    const again = await get(
      '/orders?page=2',
      await gw.token({ sub: 'alice', scope: 'orders:read orders:write' }),
    );
    assert.equal(again.echo.hit, first.echo.hit);
  });

  it('does not share an answer between tokens of one subject with different scopes', async () => {
    const narrow = await gw.token({ sub: 'alice', scope: 'orders:read' });
    const wide = await get('/orders?page=9', alice);
    const n = await get('/orders?page=9', narrow);
    assert.notEqual(n.echo.hit, wide.echo.hit);
  });

  it('expires answers after the route’s ttl', async () => {
    const first = await get('/orders?ttl', alice);
    assert.equal((await get('/orders?ttl', alice)).echo.hit, first.echo.hit);
    await sleep(1100);
    assert.notEqual((await get('/orders?ttl', alice)).echo.hit, first.echo.hit);
  });

  it('never stores an answer that sets a cookie', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await gw.call('/banners', { token: alice });
      assert.equal(res.status, 200);
      assert.equal(res.headers['set-cookie'], undefined, 'and the cookie never reaches the client');
    }
    assert.equal(gw.services.get('orders')?.hits.get('/banners'), 3);
  });

  for (const directive of ['no-store', 'private', 'no-cache', 'max-age=0']) {
    it(`never stores an answer with Cache-Control: ${directive}`, async () => {
      const path = `/answer?h=cache-control:${directive}`;
      const first = await get(path, alice);
      assert.notEqual((await get(path, alice)).echo.hit, first.echo.hit);
    });
  }

  it('bypasses the cache for a request with no-cache, and stores nothing for no-store', async () => {
    const first = await get('/answer?bypass', alice);
    const forced = await get('/answer?bypass', alice, { 'cache-control': 'no-cache' });
    assert.notEqual(forced.echo.hit, first.echo.hit);
    assert.equal(
      (await get('/answer?bypass', alice)).echo.hit,
      forced.echo.hit,
      'the fresh answer was stored',
    );
  });

  it('answers a matching If-None-Match with 304 from the cache', async () => {
    const path = '/answer?h=etag:"v7"';
    await get(path, alice);
    const res = await gw.call(path, { token: alice, headers: { 'if-none-match': 'W/"v7"' } });
    assert.equal(res.status, 304);
    assert.equal(res.body, '');
  });

  it('caches a public route per anonymous principal, apart from any token holder', async () => {
    const anonymous = await get('/catalog');
    assert.equal((await get('/catalog')).echo.hit, anonymous.echo.hit);
    assert.notEqual((await get('/catalog', alice)).echo.hit, anonymous.echo.hit);
  });

  it('drops the answers of a path after a successful POST to it', async () => {
    const before = await get('/orders?after-post', alice);
    const created = await gw.call('/orders', {
      method: 'POST',
      token: bob,
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(created.status, 200);
    assert.notEqual((await get('/orders?after-post', alice)).echo.hit, before.echo.hit);
  });

  it('never caches a route without cache', async () => {
    const first = await get('/live', alice);
    assert.notEqual((await get('/live', alice)).echo.hit, first.echo.hit);
  });

  it('still runs every check before serving from the cache', async () => {
    await get('/orders?checked', alice);
    const noToken = await gw.call('/orders?checked');
    assert.equal(noToken.status, 401);
    const unscoped = await gw.call('/orders?checked', {
      token: await gw.token({ sub: 'alice', scope: 'profile:read' }),
    });
    assert.equal(unscoped.status, 403);
  });

  it('counts hits, misses and bypasses by route template', async () => {
    const text = await (await fetch(`${gw.adminUrl}/metrics`)).text();
    for (const [route, result] of [
      ['/orders', 'hit'],
      ['/orders', 'miss'],
      ['/answer', 'bypass'],
    ] as const) {
      assert.match(
        text,
        new RegExp(`gateway_cache_total\\{route="${route}",result="${result}"[^}]*\\} [1-9]`, 'u'),
      );
    }
    assert.doesNotMatch(text, /gateway_cache_total\{route="\/orders\?/u);
  });

  it('forgets every answer when rampart.yaml is reloaded', async () => {
    const first = await get('/orders?reload', alice);
    gw.reload(config);
    assert.notEqual((await get('/orders?reload', alice)).echo.hit, first.echo.hit);
  });
});
