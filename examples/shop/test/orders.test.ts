import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setupOrders } from '../services/orders/routes.ts';
import { startShopService, type ShopHarness } from './shop-harness.ts';

interface OrderBody {
  id: string;
  status: string;
  totalCents: number;
  currency: string;
  items: { sku: string; quantity: number; unitPriceCents: number }[];
}

describe('orders service', () => {
  let h: ShopHarness;
  before(async () => {
    h = await startShopService('orders', setupOrders);
  });
  after(() => h.close());

  const create = async (sub: string, payload: object) =>
    h.svc.inject({ method: 'POST', url: '/orders', payload, headers: await h.auth(sub, 'orders:write') });
  const read = async (sub: string, url: string) =>
    h.svc.inject({ url, headers: await h.auth(sub, 'orders:read') });

  it('POST creates a pending order priced from the catalog', async () => {
    const res = await create('alice', {
      items: [
        { sku: 'TEA-GREEN', quantity: 2 },
        { sku: 'MUG-1', quantity: 1 },
      ],
    });
    assert.equal(res.statusCode, 201);
    const order = res.json<OrderBody>();
    assert.match(order.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(order.status, 'pending');
    assert.equal(order.totalCents, 2 * 650 + 1200);
    assert.equal(order.currency, 'EUR');
    assert.equal(res.headers['location'], `/orders/${order.id}`);
  });

  it('a user lists and reads only their own orders; another user’s id is 404', async () => {
    const alices = (await create('alice', { items: [{ sku: 'POT-1', quantity: 1 }] })).json<OrderBody>();
    const bobs = (await create('bob', { items: [{ sku: 'TEA-BLACK', quantity: 3 }] })).json<OrderBody>();

    const aliceList = (await read('alice', '/orders')).json<{ orders: OrderBody[] }>().orders;
    assert.ok(aliceList.some((o) => o.id === alices.id));
    assert.ok(!aliceList.some((o) => o.id === bobs.id));

    assert.equal((await read('alice', `/orders/${alices.id}`)).json<OrderBody>().totalCents, 4500);
    const foreign = await read('alice', `/orders/${bobs.id}`);
    const missing = await read('alice', `/orders/${randomUUID()}`);
    assert.equal(foreign.statusCode, 404);
    assert.equal(missing.statusCode, 404);
    assert.equal(foreign.json<{ code: string }>().code, missing.json<{ code: string }>().code);
  });

  it('400 SHOP_UNKNOWN_SKU for a product not in the catalog, and nothing is stored', async () => {
    const res = await create('carol', {
      items: [
        { sku: 'TEA-GREEN', quantity: 1 },
        { sku: 'NOPE-1', quantity: 1 },
      ],
    });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json<{ code: string }>().code, 'SHOP_UNKNOWN_SKU');
    assert.deepEqual((await read('carol', '/orders')).json(), { orders: [] });
  });

  it('400 names the invalid field', async () => {
    const cases: [object, string][] = [
      [{ items: [] }, '/items'],
      [{ items: [{ sku: 'TEA-GREEN', quantity: 0 }] }, '/items/0/quantity'],
      [{ items: [{ sku: 'tea green', quantity: 1 }] }, '/items/0/sku'],
      [{ items: [{ sku: 'TEA-GREEN' }] }, '/items/0/quantity'],
      [{ items: [{ sku: 'TEA-GREEN', quantity: 1, price: 0 }] }, '/items/0/price'],
    ];
    for (const [payload, pointer] of cases) {
      const res = await create('alice', payload);
      assert.equal(res.statusCode, 400, pointer);
      assert.equal(res.json<{ errors: { pointer: string }[] }>().errors[0]?.pointer, pointer);
    }
  });

  it('400 for an order id that is not a UUID', async () => {
    const res = await read('alice', "/orders/1' OR '1'='1");
    assert.equal(res.statusCode, 400);
  });

  it('orders:read cannot create orders', async () => {
    const res = await h.svc.inject({
      method: 'POST',
      url: '/orders',
      payload: { items: [{ sku: 'MUG-1', quantity: 1 }] },
      headers: await h.auth('alice', 'orders:read'),
    });
    assert.equal(res.statusCode, 403);
  });
});
