import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openEmbeddedStore, openPostgresStore, type Store } from '@rampart/sdk';
import {
  describeIfAvailable,
  requireService,
  tempDir,
  type TempDir,
  PG_ADMIN_URL,
  createTempSchema,
} from '@rampart/testing';
import {
  createOrderRepository,
  migrations,
  PAYMENT_LEASE_MS,
  type Order,
  type OrderRepository,
} from '../services/orders/repository.ts';

const newOrder = (): Order => ({
  id: randomUUID(),
  status: 'pending',
  items: [{ sku: 'MUG-1', quantity: 2, unitPriceCents: 1200 }],
  totalCents: 2400,
  currency: 'EUR',
  createdAt: new Date().toISOString(),
});
const PAYMENT = { id: randomUUID(), last4: '1111' };

interface Engine {
  readonly name: string;
  readonly availability: { skip: false } | { skip: string };
  open(): Promise<{ store: Store; replica: Store; cleanup(): Promise<void> }>;
}

/** The order's payment states on one engine: pending → paying → paid, or back to pending. */
function runPaymentStateSuite(engine: Engine): void {
  describeIfAvailable(`orders: the payment state of an order (${engine.name})`, engine.availability, () => {
    let opened: Awaited<ReturnType<Engine['open']>> | undefined;
    let orders: OrderRepository;
    let onReplica: OrderRepository;
    before(async () => {
      opened = await engine.open();
      await opened.store.migrate(migrations);
      orders = createOrderRepository(opened.store);
      onReplica = createOrderRepository(opened.replica);
    });
    after(async () => {
      await opened?.replica.close();
      await opened?.store.close();
      await opened?.cleanup();
    });
    const statusOf = async (id: string): Promise<string | undefined> =>
      (await orders.findFor('alice', id))?.status;

    it('of 16 concurrent attempts on two replicas, exactly one takes the order', async () => {
      const order = newOrder();
      await orders.create('alice', order);
      const taken = await Promise.all(
        Array.from({ length: 16 }, (_, n) =>
          (n % 2 === 0 ? orders : onReplica).beginPayment('alice', order.id, `attempt-${n}`),
        ),
      );
      assert.equal(taken.filter(Boolean).length, 1);
      assert.equal(await statusOf(order.id), 'paying');
      const winner = `attempt-${taken.indexOf(true)}`;
      assert.equal(await orders.completePayment('alice', order.id, 'attempt-other', PAYMENT), false);
      assert.equal(await orders.completePayment('alice', order.id, winner, PAYMENT), true);
      const paid = await orders.findFor('alice', order.id);
      assert.equal(paid?.status, 'paid');
      assert.deepEqual(paid.payment, PAYMENT);
      assert.equal(await orders.beginPayment('alice', order.id, 'late'), false, 'paid is final');
    });

    it('a failed attempt gives the order back; only its own attempt can', async () => {
      const order = newOrder();
      await orders.create('alice', order);
      assert.equal(await orders.beginPayment('alice', order.id, 'a1'), true);
      await orders.abandonPayment('alice', order.id, 'someone-else');
      assert.equal(await statusOf(order.id), 'paying');
      await orders.abandonPayment('alice', order.id, 'a1');
      assert.equal(await statusOf(order.id), 'pending');
      assert.equal(await orders.beginPayment('alice', order.id, 'a2'), true);
    });

    it('another owner can never take the order', async () => {
      const order = newOrder();
      await orders.create('alice', order);
      assert.equal(await orders.beginPayment('mallory', order.id, 'm1'), false);
      assert.equal(await statusOf(order.id), 'pending');
    });

    it('an attempt that died is taken over after the lease, and its late completion is refused', async () => {
      const order = newOrder();
      await orders.create('alice', order);
      const start = Date.now();
      assert.equal(await orders.beginPayment('alice', order.id, 'dead', start), true);
      assert.equal(
        await orders.beginPayment('alice', order.id, 'early', start + PAYMENT_LEASE_MS - 1),
        false,
      );
      assert.equal(await orders.beginPayment('alice', order.id, 'next', start + PAYMENT_LEASE_MS), true);
      assert.equal(await orders.completePayment('alice', order.id, 'dead', PAYMENT), false);
      assert.equal(await orders.completePayment('alice', order.id, 'next', PAYMENT), true);
    });
  });
}

let dir: TempDir | undefined;
runPaymentStateSuite({
  name: 'embedded',
  availability: { skip: false },
  async open() {
    dir = await tempDir('shop-orders-');
    const file = join(dir.path, 'service.sqlite');
    return {
      store: openEmbeddedStore(file),
      replica: openEmbeddedStore(file),
      cleanup: () => dir!.cleanup(),
    };
  },
});

runPaymentStateSuite({
  name: 'PostgreSQL',
  availability: await requireService('postgres'),
  async open() {
    const temp = await createTempSchema();
    const open = () => openPostgresStore({ url: PG_ADMIN_URL, schema: temp.schema, maxConnections: 8 });
    return { store: open(), replica: open(), cleanup: () => temp.drop() };
  },
});

describe('orders migration 0003 keeps the orders and items written before it', () => {
  it('on the embedded store: rows, items and the cascade from orders to items survive the rebuild', async () => {
    const temp = await tempDir('shop-orders-migration-');
    const store = openEmbeddedStore(join(temp.path, 'service.sqlite'));
    try {
      await store.migrate(migrations.slice(0, 2));
      const order = newOrder();
      await createOrderRepository(store).create('alice', order);
      await store.migrate(migrations);
      const kept = await createOrderRepository(store).findFor('alice', order.id);
      assert.deepEqual(kept, order);
      await store.run('DELETE FROM orders WHERE id = ?', [order.id]);
      const items = await store.all('SELECT sku FROM order_items WHERE order_id = ?', [order.id]);
      assert.deepEqual(items, [], 'deleting an order still deletes its items');
      await assert.rejects(
        store.run(
          'INSERT INTO order_items (order_id, position, sku, quantity, unit_price_cents) VALUES (?, 0, ?, 1, 1)',
          [randomUUID(), 'MUG-1'],
        ),
        'an item still needs its order',
      );
    } finally {
      await store.close();
      await temp.cleanup();
    }
  });
});
