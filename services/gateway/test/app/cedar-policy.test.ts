import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseConfig } from '@rampart/config';
import { startGatewayFixture, type FixturePorts, type GatewayFixture } from './gateway-fixture.ts';
import { yamlHead } from '@rampart/testing';

const config = (ports: FixturePorts, cedar: string): string =>
  `${yamlHead(ports)}
policies:
  own-orders:
    scopes: [orders:read]
    cedar: '${cedar}'
services:
  orders:
    entry: orders.ts
    port: ${ports.services['orders']}
    callers: [gateway]
    routes:
      - method: GET
        path: /users/{userId}/orders
        policy: own-orders
`;

const OWNER = 'permit(principal, action, resource) when { resource.userId == principal.sub };';

describe('a Cedar policy on a route, through the gateway', () => {
  let gw: GatewayFixture;
  before(async () => {
    gw = await startGatewayFixture({ services: ['orders'], yaml: (ports) => config(ports, OWNER) });
  });
  after(async () => {
    await gw.close();
  });

  it('lets the owner through to the service', async () => {
    const res = await gw.call('/users/alice/orders', {
      token: await gw.token({ sub: 'alice', scope: 'orders:read' }),
    });
    assert.equal(res.status, 200, res.body);
  });

  it("refuses another principal's resource: 403 GW_FORBIDDEN, the reason in the log only", async () => {
    const res = await gw.call('/users/alice/orders', {
      token: await gw.token({ sub: 'bob', scope: 'orders:read' }),
    });
    assert.equal(res.status, 403);
    const body = res.json();
    assert.equal(body['code'], 'GW_FORBIDDEN');
    assert.doesNotMatch(res.body, /cedar|permit|own-orders/u);
    const refused = gw.logs.find(
      (line) => line['requestId'] === body['requestId'] && line['msg'] === 'request refused',
    );
    assert.equal(refused?.['reason'], 'cedar policy "own-orders": no permit applies');
    assert.equal(refused['stage'], 'authorize');
  });

  it('checks scopes before Cedar', async () => {
    const res = await gw.call('/users/alice/orders', {
      token: await gw.token({ sub: 'alice', scope: 'profile:read' }),
    });
    assert.equal(res.status, 403);
    const refused = gw.logs.find(
      (line) => line['requestId'] === res.json()['requestId'] && line['msg'] === 'request refused',
    );
    assert.equal(refused?.['reason'], 'missing scopes: orders:read');
  });

  it('refuses a reload whose policy set does not parse, naming the policy, and keeps serving the old one', async () => {
    const broken = (ports: FixturePorts): string =>
      config(ports, 'permit(principal, action, resource) when {');
    // `rampart check` (the loader) refuses it first, with the same parser…
    assert.deepEqual(
      parseConfig(broken(gw.ports), 'rampart.yaml')
        .problems.filter((p) => p.severity === 'error')
        .map((p) => p.code),
      ['CFG_INVALID_CEDAR'],
    );
    // …and the gateway refuses it by itself.
    assert.throws(
      () => {
        gw.reload(broken, { unchecked: true });
      },
      (error: unknown) =>
        error instanceof TypeError &&
        /policy "own-orders": its cedar policy set does not parse/u.test(error.message),
    );
    const res = await gw.call('/users/alice/orders', {
      token: await gw.token({ sub: 'alice', scope: 'orders:read' }),
    });
    assert.equal(res.status, 200);
  });

  it('applies an edited policy set at once', async () => {
    gw.reload((ports) => config(ports, 'forbid(principal, action, resource);'));
    const res = await gw.call('/users/alice/orders', {
      token: await gw.token({ sub: 'alice', scope: 'orders:read' }),
    });
    assert.equal(res.status, 403);
  });
});

describe('a gateway whose configuration holds a Cedar policy set that does not parse', () => {
  it('does not start', async () => {
    await assert.rejects(
      startGatewayFixture({
        services: ['orders'],
        yaml: (ports) => config(ports, 'permit(principal, action, resource)'),
        unchecked: true,
      }),
      /policy "own-orders": its cedar policy set does not parse/u,
    );
  });
});
