import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CertificateAuthority, componentSpiffeId, createWorkloadCsr, serviceSpiffeId } from '@rampart/mesh';
import {
  tempDir,
  callService,
  securityEvents,
  startShop,
  SHOP_TRUST_DOMAIN,
  type RunningShop,
} from '@rampart/testing';

const gatewayId = componentSpiffeId(SHOP_TRUST_DOMAIN, 'gateway');
const card = { cardNumber: '4242424242424242', expiry: '12/39' };

describe('mesh: every service-to-service call is mutually authenticated and authorized', () => {
  let shop: RunningShop;
  let gateway: { key: string; cert: string };

  before(async () => {
    shop = await startShop();
    gateway = await shop.credentials(gatewayId);
  });

  after(async () => {
    await shop.stop();
  });

  it('serves the gateway over mTLS with a token addressed to the service', async () => {
    const token = await shop.token({ sub: 'alice', aud: 'orders', scope: 'orders:read orders:write' });
    const created = await callService(
      shop.ports.orders,
      'orders',
      '/orders',
      { ca: shop.bundle(), cert: gateway, token },
      {
        method: 'POST',
        body: { items: [{ sku: 'TEA-GREEN', quantity: 2 }] },
      },
    );
    assert.equal(created.status, 201, JSON.stringify(created.body));
  });

  it('lets orders call payments through a token exchanged for that hop, and only that hop', async () => {
    const token = await shop.token({ sub: 'alice', aud: 'orders', scope: 'orders:read orders:write' });
    const as = { ca: shop.bundle(), cert: gateway, token };
    const order = await callService(shop.ports.orders, 'orders', '/orders', as, {
      method: 'POST',
      body: { items: [{ sku: 'TEA-GREEN', quantity: 1 }] },
    });
    const { id } = order.body as { id: string };
    const paid = await callService(shop.ports.orders, 'orders', `/orders/${id}/payment`, as, {
      method: 'POST',
      body: card,
    });
    assert.equal(paid.status, 200, JSON.stringify(paid.body));
    assert.deepEqual((paid.body as { status: string; payment: { last4: string } }).status, 'paid');
    assert.equal((paid.body as { payment: { last4: string } }).payment.last4, '4242');
    assert.doesNotMatch(JSON.stringify(paid.body), /4242424242424242/);
    assert.equal(securityEvents(shop.home, 'mesh', 'token.exchanged').length >= 1, true);
  });

  const refusals: {
    name: string;
    as: (shop: RunningShop) => Promise<{ cert?: { key: string; cert: string }; ca?: string }>;
    event: string;
  }[] = [
    { name: 'no client certificate', as: () => Promise.resolve({}), event: 'mesh.handshake_refused' },
    {
      name: 'a certificate from another CA',
      as: async () => {
        const dir = await tempDir('rampart-other-ca-');
        const other = await CertificateAuthority.open(dir.path, { trustDomain: SHOP_TRUST_DOMAIN });
        const { keyPem, csrPem } = await createWorkloadCsr(serviceSpiffeId(SHOP_TRUST_DOMAIN, 'orders'));
        const issued = await other.issue({ csrPem, spiffeId: serviceSpiffeId(SHOP_TRUST_DOMAIN, 'orders') });
        await dir.cleanup();
        return { cert: { key: keyPem, cert: issued.certPem } };
      },
      event: 'mesh.handshake_refused',
    },
    {
      name: 'an expired certificate of an allowed caller',
      as: async (s) => ({
        cert: await s.credentials(serviceSpiffeId(SHOP_TRUST_DOMAIN, 'orders'), { expired: true }),
      }),
      event: 'mesh.handshake_refused',
    },
  ];

  for (const refusal of refusals) {
    it(`refuses ${refusal.name} at the handshake, and records it`, async () => {
      const before = securityEvents(shop.home, 'payments', refusal.event).length;
      const as = await refusal.as(shop);
      const token = await shop.token({
        sub: 'alice',
        aud: 'payments',
        scope: 'orders:write',
        act: { sub: 'orders' },
      });
      await assert.rejects(
        callService(
          shop.ports.payments,
          'payments',
          '/payments',
          { ca: shop.bundle(), ...as, token },
          { method: 'POST', body: {} },
        ),
      );
      for (let i = 0; i < 40 && securityEvents(shop.home, 'payments', refusal.event).length === before; i++)
        await sleep(25);
      assert.ok(
        securityEvents(shop.home, 'payments', refusal.event).length > before,
        `no ${refusal.event} event`,
      );
    });
  }

  it('refuses a valid certificate of a service that may not call it, and records it', async () => {
    const profiles = await shop.credentials(serviceSpiffeId(SHOP_TRUST_DOMAIN, 'profiles'));
    const before = securityEvents(shop.home, 'payments', 'request.denied').length;
    for (const act of ['profiles', 'orders']) {
      // Whether the token claims the right hop or a forged one, the peer certificate decides.
      const token = await shop.token({
        sub: 'alice',
        aud: 'payments',
        scope: 'orders:write',
        act: { sub: act },
      });
      const res = await callService(
        shop.ports.payments,
        'payments',
        '/payments',
        { ca: shop.bundle(), cert: profiles, token },
        {
          method: 'POST',
          body: { orderId: '9b2f8c1e-4a5b-4c6d-8e7f-0a1b2c3d4e5f', ...card },
        },
      );
      assert.equal(res.status, 403);
      assert.equal((res.body as { code: string }).code, 'SDK_CALLER_NOT_ALLOWED');
    }
    await sleep(50);
    const denied = securityEvents(shop.home, 'payments', 'request.denied').slice(before);
    assert.equal(denied.length, 2);
    assert.ok(denied.every((e) => e['reason'] === 'SDK_CALLER_NOT_ALLOWED'));
  });

  it('refuses an allowed caller presenting a token minted for another hop', async () => {
    const orders = await shop.credentials(serviceSpiffeId(SHOP_TRUST_DOMAIN, 'orders'));
    // A gateway token (no `act`) replayed by orders: the hop does not match the certificate.
    const token = await shop.token({ sub: 'alice', aud: 'payments', scope: 'orders:write' });
    const res = await callService(
      shop.ports.payments,
      'payments',
      '/payments',
      { ca: shop.bundle(), cert: orders, token },
      {
        method: 'POST',
        body: { orderId: '9b2f8c1e-4a5b-4c6d-8e7f-0a1b2c3d4e5f', ...card },
      },
    );
    assert.equal(res.status, 403);
  });

  it('refuses a token addressed to another service, even from an allowed peer', async () => {
    const token = await shop.token({ sub: 'alice', aud: 'orders', scope: 'orders:read' });
    const res = await callService(shop.ports.profiles, 'profiles', '/profiles/me', {
      ca: shop.bundle(),
      cert: gateway,
      token,
    });
    assert.equal(res.status, 401);
    assert.equal((res.body as { code: string }).code, 'SDK_TOKEN_INVALID');
  });

  it('exposes Prometheus metrics on the admin port, labelled by route template, never by raw path or user', async () => {
    const res = await fetch(`http://127.0.0.1:${shop.ports.orders + 1000}/metrics`);
    const text = await res.text();
    assert.equal(res.status, 200);
    assert.match(text, /http_requests_total\{[^}]*route="\/orders\/:id\/payment"/);
    assert.match(text, /security_events_total/);
    assert.doesNotMatch(
      text,
      /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/,
      'no order id in a label',
    );
    assert.doesNotMatch(text, /alice/);
  });
});
