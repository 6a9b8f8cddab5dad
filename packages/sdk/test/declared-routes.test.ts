import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import { componentEnv, type RampartConfig } from '@rampart/config';
import { createService, ServiceStartError, type Service } from '@rampart/sdk';
import { createServiceFixture, type ServiceFixture } from '@rampart/testing';

/** `orders` with two routes in rampart.yaml; `billing` calls it (so it may also have internal routes). */
function config(
  options: { readScopes?: string[]; callers?: string[]; extraRoute?: boolean } = {},
): RampartConfig {
  return {
    version: 1,
    name: 'declared',
    policies: {
      'read-orders': { scopes: options.readScopes ?? ['orders:read'] },
      'write-orders': { scopes: ['orders:write'] },
    },
    services: {
      orders: {
        entry: 'orders.ts',
        port: 7102,
        callers: options.callers ?? ['gateway'],
        routes: [
          { method: 'GET', path: '/orders/{id}', policy: 'read-orders' },
          {
            method: 'POST',
            path: '/orders',
            policy: 'write-orders',
            schema: {
              body: {
                type: 'object',
                additionalProperties: false,
                required: ['sku'],
                properties: { sku: { type: 'string', maxLength: 8 } },
              },
            },
          },
          ...(options.extraRoute === true
            ? [{ method: 'DELETE' as const, path: '/orders/{id}', policy: 'write-orders' }]
            : []),
        ],
      },
      billing: { entry: 'billing.ts', port: 7103, callers: ['gateway'] },
    },
  };
}

describe('routes and scopes declared once, in rampart.yaml', () => {
  const open: { fixture: ServiceFixture; svc: Service }[] = [];
  async function orders(c = config()): Promise<{ fixture: ServiceFixture; svc: Service }> {
    const fixture = await createServiceFixture({ component: 'orders', config: c });
    const svc = await createService({ env: fixture.env, logDestination: { write: () => true } });
    const opened = { fixture, svc };
    open.push(opened);
    return opened;
  }
  /** Both routes of rampart.yaml, each naming only method and url. */
  function serveBoth(svc: Service): void {
    svc.route<{ Params: { id: string } }>({
      method: 'GET',
      url: '/orders/{id}',
      handler: (r) => ({ id: r.params.id }),
    });
    svc.route<{ Body: { sku: string } }>({
      method: 'POST',
      url: '/orders',
      handler: (r) => ({ sku: r.body.sku }),
    });
  }
  afterEach(async () => {
    for (const { svc, fixture } of open.splice(0)) {
      await svc.stop();
      await fixture.cleanup();
    }
  });
  after(async () => {
    for (const { svc, fixture } of open.splice(0)) {
      await svc.stop();
      await fixture.cleanup();
    }
  });

  it("a handler naming only its route gets the policy's scopes and the route's request schema", async () => {
    const { fixture, svc } = await orders();
    serveBoth(svc);
    const reader = { authorization: `Bearer ${await fixture.token({ sub: 'alice', scope: 'orders:read' })}` };
    const writer = {
      authorization: `Bearer ${await fixture.token({ sub: 'alice', scope: 'orders:write' })}`,
    };
    assert.equal((await svc.inject({ url: '/orders/7', headers: reader })).statusCode, 200);
    assert.equal((await svc.inject({ url: '/orders/7', headers: writer })).statusCode, 403);
    const post = (body: unknown) =>
      svc.inject({
        method: 'POST',
        url: '/orders',
        headers: { ...writer, 'content-type': 'application/json' },
        payload: JSON.stringify(body),
      });
    assert.equal((await post({ sku: 'A1' })).statusCode, 200);
    assert.equal((await post({ sku: 'A1', extra: 1 })).statusCode, 400);
    assert.equal((await post({ sku: 'far-too-long' })).statusCode, 400);
  });

  it('refuses a handler whose scopes differ from its policy, naming both', async () => {
    const { svc } = await orders();
    assert.throws(
      () => {
        svc.route({ method: 'GET', url: '/orders/:id', scopes: ['orders:write'], handler: () => ({}) });
      },
      (error: unknown) =>
        error instanceof TypeError &&
        error.message.includes('demands scopes [orders:write]') &&
        error.message.includes(
          'services.orders.routes[0] (GET /orders/{id}, policy `read-orders`) requires [orders:read]',
        ),
    );
  });

  it('accepts a handler repeating the same scopes', async () => {
    const { svc } = await orders();
    svc.route({ method: 'GET', url: '/orders/{id}', scopes: ['orders:read'], handler: () => ({}) });
  });

  it('refuses a handler whose request schema differs from the route', async () => {
    const { svc } = await orders();
    assert.throws(() => {
      svc.route({
        method: 'POST',
        url: '/orders',
        schema: { body: { type: 'object' } },
        handler: () => ({}),
      });
    }, /svc\.route\(POST \/orders\) declares schema\.body, which differs from rampart\.yaml's services\.orders\.routes\[1\]/u);
  });

  it('refuses to start while a route of rampart.yaml has no handler, naming it', async () => {
    const { svc } = await orders();
    svc.route({ method: 'GET', url: '/orders/{id}', handler: () => ({}) });
    await assert.rejects(svc.start(), (error: unknown) => {
      assert.ok(error instanceof ServiceStartError);
      assert.match(
        error.message,
        /rampart\.yaml declares POST \/orders for service "orders" \(services\.orders\.routes\[1\]\), but no handler serves it/u,
      );
      return true;
    });
  });

  it('refuses to start with a handler for a route rampart.yaml does not declare, when only the gateway calls', async () => {
    const { svc } = await orders();
    serveBoth(svc);
    svc.route({ method: 'GET', url: '/orders', scopes: ['orders:read'], handler: () => [] });
    await assert.rejects(
      svc.start(),
      /svc\.route\(GET \/orders\) is not a route of service "orders" in rampart\.yaml, and only the gateway calls it/u,
    );
  });

  it('an internal route (another service calls) names its own scopes, and must', async () => {
    const { svc } = await orders(config({ callers: ['gateway', 'billing'] }));
    serveBoth(svc);
    assert.throws(() => {
      svc.route({ method: 'GET', url: '/internal/totals', handler: () => ({}) });
    }, /rampart\.yaml declares no such route for service "orders", so the handler must name its scopes/u);
    svc.route({ method: 'GET', url: '/internal/totals', scopes: ['orders:read'], handler: () => ({}) });
    // Past the route check, start stops at the mesh (none in this test).
    await assert.rejects(svc.start(), new RegExp(`${componentEnv.meshUrl.name} is not set`, 'u'));
  });

  it("applies a policy's new scopes on reload at once; refuses a reload adding a route without a handler", async () => {
    const { fixture, svc } = await orders();
    serveBoth(svc);
    const reader = { authorization: `Bearer ${await fixture.token({ sub: 'alice', scope: 'orders:read' })}` };
    svc.applyConfig(1, config({ readScopes: ['orders:read', 'orders:audit'] }));
    assert.equal((await svc.inject({ url: '/orders/7', headers: reader })).statusCode, 403);
    assert.throws(() => {
      svc.applyConfig(2, config({ extraRoute: true }));
    }, /rampart\.yaml declares DELETE \/orders\/\{id\} for service "orders" \(services\.orders\.routes\[2\]\), but no handler serves it/u);
    assert.equal(svc.revision(), 1);
  });
});
