// Double spend by a race (check-then-act, CWE-367): concurrent requests that each read "pending",
// each pass the check, and each act — five payments for one order. Run against the real shop under
// `rampart up` (gateway, identity, orders, payments), with real clients through the gateway.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { Agent, request } from 'undici';
import { fetchWith, startShop, type RunningShop } from '@rampart/testing';

const CARD = { cardNumber: '4111111111111111', expiry: `12/${(new Date().getUTCFullYear() + 1) % 100}` };
/**
 * With the other cases, within the payment route's rate limit (10 a minute for this client): the
 * race is on trial, not the limiter.
 */
const RACERS = 6;

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

describe('double spend: concurrent payments of one order (check-then-act race)', () => {
  let shop: RunningShop | undefined;
  let ca: string;
  let token: string;
  const agents: Agent[] = [];

  before(async () => {
    shop = await startShop();
    ca = readFileSync(join(shop.home, 'ca.pem'), 'utf8');
    const agent = new Agent({ connect: { ca } });
    agents.push(agent);
    const secret = readFileSync(join(shop.home, 'clients/shop-cli.secret'), 'utf8').trim();
    const config = await oidc.discovery(
      new URL(`https://127.0.0.1:${shop.ports.gateway}/auth`),
      'shop-cli',
      undefined,
      oidc.ClientSecretBasic(secret),
      { [oidc.customFetch]: fetchWith(agent) as unknown as oidc.CustomFetch },
    );
    token = (await oidc.clientCredentialsGrant(config, { scope: 'orders:read orders:write' })).access_token;
  });
  after(async () => {
    await Promise.all(agents.map((agent) => agent.close()));
    await shop?.stop();
  });

  /** One request through the gateway, on a client (a connection) of its own. */
  const send = async (
    method: 'GET' | 'POST',
    path: string,
    body?: object,
    headers: Record<string, string> = {},
  ): Promise<Answer> => {
    const agent = new Agent({ connect: { ca } });
    agents.push(agent);
    const response = await request(`https://127.0.0.1:${shop!.ports.gateway}${path}`, {
      dispatcher: agent,
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.statusCode, body: (await response.body.json()) as Record<string, unknown> };
  };

  const newOrder = async (): Promise<string> => {
    const created = await send('POST', '/orders', { items: [{ sku: 'MUG-1', quantity: 1 }] });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return String(created.body['id']);
  };

  /** Payments rows for an order, read from the payments service's own store. */
  const paymentsFor = (orderId: string): number => {
    const db = new DatabaseSync(join(shop!.home, 'services/payments/service.sqlite'), { readOnly: true });
    try {
      const row = db.prepare('SELECT COUNT(*) AS n FROM payments WHERE order_id = ?').get(orderId);
      return Number(row?.['n']);
    } finally {
      db.close();
    }
  };

  it(`${RACERS} concurrent payments of one order: one 200, the rest 409 SHOP_ORDER_NOT_PENDING, one payment`, async () => {
    const id = await newOrder();
    const answers = await Promise.all(
      Array.from({ length: RACERS }, () => send('POST', `/orders/${id}/payment`, CARD)),
    );
    const statuses = answers.map((answer) => answer.status).sort();
    assert.deepEqual(statuses, [200, ...Array<number>(RACERS - 1).fill(409)], JSON.stringify(answers));
    for (const refused of answers.filter((answer) => answer.status === 409)) {
      assert.equal(refused.body['code'], 'SHOP_ORDER_NOT_PENDING');
    }
    assert.equal(paymentsFor(id), 1, 'exactly one payment stored');
    const order = await send('GET', `/orders/${id}`);
    assert.equal(order.body['status'], 'paid');
    const paid = answers.find((answer) => answer.status === 200);
    assert.deepEqual(order.body['payment'], paid?.body['payment']);
  });

  it('an order paid once cannot be paid again', async () => {
    const id = await newOrder();
    assert.equal((await send('POST', `/orders/${id}/payment`, CARD)).status, 200);
    const again = await send('POST', `/orders/${id}/payment`, CARD);
    assert.equal(again.status, 409);
    assert.equal(again.body['code'], 'SHOP_ORDER_NOT_PENDING');
    assert.equal(paymentsFor(id), 1);
  });

  it('a refused card gives the order back: it is never stuck, and the next card pays it', async () => {
    const id = await newOrder();
    const refused = await send('POST', `/orders/${id}/payment`, { ...CARD, cardNumber: '4111111111111112' });
    assert.equal(refused.status, 400);
    assert.equal(refused.body['code'], 'SHOP_CARD_REJECTED');
    assert.equal((await send('GET', `/orders/${id}`)).body['status'], 'pending');
    assert.equal((await send('POST', `/orders/${id}/payment`, CARD)).status, 200);
    assert.equal(paymentsFor(id), 1);
  });

  it('a client retrying with an Idempotency-Key through the gateway gets the first answer, not a second order', async () => {
    const key = { 'idempotency-key': `"${crypto.randomUUID()}"` };
    const items = { items: [{ sku: 'TEA-GREEN', quantity: 2 }] };
    const answers = await Promise.all(Array.from({ length: 5 }, () => send('POST', '/orders', items, key)));
    const created = answers.filter((answer) => answer.status === 201);
    assert.ok(created.length >= 1, JSON.stringify(answers));
    for (const answer of answers.filter((a) => a.status !== 201)) {
      assert.equal(answer.status, 409);
      assert.equal(answer.body['code'], 'SDK_IDEMPOTENCY_KEY_IN_FLIGHT');
    }
    const retry = await send('POST', '/orders', items, key);
    assert.equal(retry.status, 201);
    assert.equal(new Set([...created, retry].map((answer) => answer.body['id'])).size, 1, 'one order');
    const other = await send('POST', '/orders', { items: [{ sku: 'POT-1', quantity: 1 }] }, key);
    assert.equal(other.status, 422);
    assert.equal(other.body['code'], 'SDK_IDEMPOTENCY_KEY_REUSED');
  });
});
