import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_ROUTE_RATE_LIMIT } from '@rampart/config';
import { startGatewayFixture, type FixturePorts, type GatewayFixture } from './gateway-fixture.ts';
import { yamlHead } from '@rampart/testing';

/** Two routes without a `rateLimit` of their own, one with, one with `off`. */
const config = (ports: FixturePorts, gateway = ''): string =>
  `${yamlHead(ports)}${gateway}
policies:
  read: { scopes: [orders:read] }
  anyone: { public: true }
services:
  orders:
    entry: orders.ts
    port: ${ports.services['orders']}
    callers: [gateway]
    routes:
      - { method: GET, path: "/orders/{id}", policy: read }
      - { method: GET, path: /catalog, policy: anyone }
      - { method: GET, path: /limited, policy: read, rateLimit: { points: 2, window: 1m, by: [user] } }
      - { method: GET, path: /health-check, policy: anyone, rateLimit: off }
`;

describe('default rate limits: a route without rateLimit is limited all the same', () => {
  let gw: GatewayFixture;
  /** `count` calls, 20 at a time (one address may hold only so many connections), their statuses. */
  const statuses = async (count: number, call: (i: number) => Promise<{ status: number }>) => {
    const found: number[] = [];
    for (let start = 0; start < count; start += 20) {
      const batch = Array.from({ length: Math.min(20, count - start) }, (_, i) => call(start + i));
      for (const reply of await Promise.all(batch)) found.push(reply.status);
    }
    return found;
  };
  const count = (list: readonly number[], status: number): number => list.filter((s) => s === status).length;

  before(async () => {
    gw = await startGatewayFixture({ services: ['orders'], yaml: (ports) => config(ports) });
  });
  after(async () => {
    await gw.close();
  });

  it(`stops one user scripting a route after ${DEFAULT_ROUTE_RATE_LIMIT.principal.points} requests, and not another user`, async () => {
    const mallory = await gw.token({ sub: 'mallory', scope: 'orders:read' });
    const points = DEFAULT_ROUTE_RATE_LIMIT.principal.points;
    const burst = await statuses(points + 20, (i) => gw.call(`/orders/${i}`, { token: mallory }));
    assert.equal(count(burst, 200), points, `statuses: ${burst.join(',')}`);
    assert.equal(count(burst, 429), 20);
    const refused = await gw.call('/orders/1', { token: mallory });
    assert.equal(refused.status, 429);
    assert.equal(refused.json()['code'], 'GW_RATE_LIMITED');
    assert.ok(Number(refused.headers['retry-after']) >= 1, 'Retry-After says when to come back');
    const alice = await gw.token({ sub: 'alice', scope: 'orders:read' });
    assert.equal((await gw.call('/orders/1', { token: alice })).status, 200, 'counted per user');
  });

  it(`stops one IP on an anonymous route after ${DEFAULT_ROUTE_RATE_LIMIT.ip.points} requests`, async () => {
    const points = DEFAULT_ROUTE_RATE_LIMIT.ip.points;
    const burst = await statuses(points + 10, () => gw.call('/catalog'));
    assert.equal(count(burst, 200), points, `statuses: ${burst.join(',')}`);
    assert.equal(count(burst, 429), 10);
  });

  it("counts a route's own limit in place of the defaults, and nothing on a route with `off`", async () => {
    const bob = await gw.token({ sub: 'bob', scope: 'orders:read' });
    assert.deepEqual(
      await statuses(3, () => gw.call('/limited', { token: bob })).then((s) => s.sort()),
      [200, 200, 429],
    );
    const open = await statuses(DEFAULT_ROUTE_RATE_LIMIT.ip.points + 50, () => gw.call('/health-check'));
    assert.equal(count(open, 200), open.length, 'rateLimit: off is not limited');
  });

  it('takes gateway.defaultRateLimit from rampart.yaml, live: per principal and per IP, or off', async () => {
    try {
      gw.reload((ports) =>
        config(
          ports,
          'gateway:\n  defaultRateLimit: { principal: { points: 3, window: 1m }, ip: { points: 6, window: 1m } }\n',
        ),
      );
      const carol = await gw.token({ sub: 'carol', scope: 'orders:read' });
      assert.deepEqual(
        (await statuses(4, () => gw.call('/orders/7', { token: carol }))).sort(),
        [200, 200, 200, 429],
        'per principal',
      );
      // Carol's four requests all counted against the address (six): of three more users, two get through.
      const others = await Promise.all(
        ['dan', 'eve', 'fay'].map((sub) => gw.token({ sub, scope: 'orders:read' })),
      );
      const fromOneIp = await statuses(3, (i) => gw.call('/orders/7', { token: others[i] ?? '' }));
      assert.deepEqual(fromOneIp.sort(), [200, 200, 429], 'per IP, across users');

      gw.reload((ports) => config(ports, 'gateway:\n  defaultRateLimit: off\n'));
      const unlimited = await statuses(DEFAULT_ROUTE_RATE_LIMIT.ip.points + 50, () => gw.call('/catalog'));
      assert.equal(count(unlimited, 200), unlimited.length, 'defaultRateLimit: off');
    } finally {
      gw.reload((ports) => config(ports));
    }
  });
});
