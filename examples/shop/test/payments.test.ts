import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setupPayments } from '../services/payments/routes.ts';
import { startShopService, type ShopHarness } from './shop-harness.ts';

const CARD = '4111111111111111';
const nextYear = String((new Date().getUTCFullYear() + 1) % 100).padStart(2, '0');
const EXPIRY = `12/${nextYear}`;

describe('payments service', () => {
  let h: ShopHarness;
  before(async () => {
    h = await startShopService('payments', setupPayments);
  });
  after(() => h.close());

  /** payments is called by orders, acting for the user. */
  const pay = async (sub: string, payload: object, actor = 'orders') =>
    h.svc.inject(
      { method: 'POST', url: '/payments', payload, headers: await h.auth(sub, 'orders:write', actor) },
      { peer: actor },
    );
  const read = async (sub: string, id: string) =>
    h.svc.inject(
      { url: `/payments/${id}`, headers: await h.auth(sub, 'orders:read', 'orders') },
      { peer: 'orders' },
    );

  it('records a payment and returns only id, orderId and last4', async () => {
    const orderId = randomUUID();
    const res = await pay('alice', { orderId, cardNumber: CARD, expiry: EXPIRY });
    assert.equal(res.statusCode, 201);
    const payment = res.json<Record<string, string>>();
    assert.deepEqual(Object.keys(payment).sort(), ['id', 'last4', 'orderId']);
    assert.equal(payment['last4'], '1111');
    assert.ok(!res.body.includes(CARD));

    const again = await read('alice', payment['id'] ?? '');
    assert.deepEqual(again.json(), payment);
    assert.ok(!again.body.includes(CARD));
  });

  it('never stores or logs the card number', async () => {
    await pay('alice', { orderId: randomUUID(), cardNumber: CARD, expiry: EXPIRY });
    const rows = await h.svc.store.all<Record<string, unknown>>('SELECT * FROM payments');
    assert.ok(rows.length > 0);
    assert.ok(!JSON.stringify(rows).includes(CARD));
    assert.ok(!h.logs.join('').includes(CARD));
  });

  it('rejects a number that fails the Luhn check, and an expired card', async () => {
    for (const body of [
      { orderId: randomUUID(), cardNumber: '4111111111111112', expiry: EXPIRY },
      { orderId: randomUUID(), cardNumber: CARD, expiry: '01/20' },
    ]) {
      const res = await pay('alice', body);
      assert.equal(res.statusCode, 400);
      assert.equal(res.json<{ code: string }>().code, 'SHOP_CARD_REJECTED');
      assert.ok(!res.body.includes(body.cardNumber));
    }
  });

  it('400 names the invalid field', async () => {
    const cases: [object, string][] = [
      [{ orderId: 'x', cardNumber: CARD, expiry: EXPIRY }, '/orderId'],
      [{ orderId: randomUUID(), cardNumber: '4111 1111', expiry: EXPIRY }, '/cardNumber'],
      [{ orderId: randomUUID(), cardNumber: CARD, expiry: '13/30' }, '/expiry'],
      [{ orderId: randomUUID(), cardNumber: CARD, expiry: EXPIRY, cvv: '123' }, '/cvv'],
    ];
    for (const [payload, pointer] of cases) {
      const res = await pay('alice', payload);
      assert.equal(res.statusCode, 400, pointer);
      assert.equal(res.json<{ errors: { pointer: string }[] }>().errors[0]?.pointer, pointer);
    }
  });

  it('another user’s payment is 404', async () => {
    const id = (await pay('alice', { orderId: randomUUID(), cardNumber: CARD, expiry: EXPIRY })).json<{
      id: string;
    }>().id;
    assert.equal((await read('bob', id)).statusCode, 404);
  });

  it('is idempotent per order: a second charge answers the first payment and stores no second row', async () => {
    const orderId = randomUUID();
    const first = await pay('alice', { orderId, cardNumber: CARD, expiry: EXPIRY });
    assert.equal(first.statusCode, 201);
    const second = await pay('alice', { orderId, cardNumber: '5555555555554444', expiry: EXPIRY });
    assert.equal(second.statusCode, 200);
    assert.deepEqual(second.json(), first.json());
    const rows = await h.svc.store.all('SELECT id FROM payments WHERE order_id = ?', [orderId]);
    assert.equal(rows.length, 1);
  });

  it('of 12 concurrent charges of one order, one is stored and every answer names it', async () => {
    const orderId = randomUUID();
    const answers = await Promise.all(
      Array.from({ length: 12 }, () => pay('alice', { orderId, cardNumber: CARD, expiry: EXPIRY })),
    );
    assert.deepEqual(
      answers.map((res) => res.statusCode).sort(),
      [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 201],
    );
    assert.equal(new Set(answers.map((res) => res.json<{ id: string }>().id)).size, 1);
    const rows = await h.svc.store.all('SELECT id FROM payments WHERE order_id = ?', [orderId]);
    assert.equal(rows.length, 1);
  });

  it('an order charged for another user is 409 SHOP_ORDER_NOT_PENDING, showing nothing of it', async () => {
    const orderId = randomUUID();
    const alices = await pay('alice', { orderId, cardNumber: CARD, expiry: EXPIRY });
    const bobs = await pay('bob', { orderId, cardNumber: CARD, expiry: EXPIRY });
    assert.equal(bobs.statusCode, 409);
    assert.equal(bobs.json<{ code: string }>().code, 'SHOP_ORDER_NOT_PENDING');
    assert.ok(!bobs.body.includes(alices.json<{ id: string }>().id));
  });

  it('only orders may call: a token forwarded by the gateway is refused', async () => {
    const res = await h.svc.inject({
      method: 'POST',
      url: '/payments',
      payload: { orderId: randomUUID(), cardNumber: CARD, expiry: EXPIRY },
      headers: await h.auth('alice', 'orders:write'),
    });
    assert.equal(res.statusCode, 403);
    assert.equal(res.json<{ code: string }>().code, 'SDK_CALLER_NOT_ALLOWED');
  });
});
