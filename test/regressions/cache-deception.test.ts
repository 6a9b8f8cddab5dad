// Web cache deception and cache poisoning: a shared cache serves one user's answer to another
// (Omer Gil's web cache deception, 2017; the PayPal/ChatGPT account-takeover class), or stores an
// answer shaped by an unkeyed request header.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { shopYaml, startGatewayFixture, type GatewayFixture } from './shop.ts';

describe('regression: cache deception and poisoning', () => {
  let gw: GatewayFixture;
  before(async () => {
    gw = await startGatewayFixture({ services: ['orders'], yaml: (ports) => shopYaml(ports) });
  });
  after(async () => {
    await gw.close();
  });

  it("a principal never reads another's cached answer", async () => {
    const alice = await gw.token({ sub: 'alice', scope: 'orders:read' });
    const bob = await gw.token({ sub: 'bob', scope: 'orders:read' });
    const a = (await gw.call('/orders', { token: alice })).json() as { hit: number };
    const b = (await gw.call('/orders', { token: bob })).json() as { hit: number };
    assert.notEqual(a.hit, b.hit);
    assert.equal(((await gw.call('/orders', { token: bob })).json() as { hit: number }).hit, b.hit);
  });

  it('a path suffix cannot make a private answer look static (`/orders/x.css`)', async () => {
    const res = await gw.call('/orders.css', { token: await gw.token({ scope: 'orders:read' }) });
    assert.equal(res.status, 404);
  });

  it('an anonymous request never gets an answer made for a token holder', async () => {
    const holder = await gw.token({ sub: 'alice', scope: 'orders:read' });
    const mine = (await gw.call('/catalog', { token: holder })).json() as { hit: number };
    const anon = (await gw.call('/catalog')).json() as { hit: number };
    assert.notEqual(anon.hit, mine.hit);
  });

  it('an unkeyed X-Forwarded-Host cannot poison a stored answer', async () => {
    const poisoned = (
      await gw.call('/catalog?p', { headers: { 'x-forwarded-host': 'evil.example' } })
    ).json() as {
      headers: Record<string, string>;
    };
    assert.notEqual(poisoned.headers['x-forwarded-host'], 'evil.example');
  });
});
