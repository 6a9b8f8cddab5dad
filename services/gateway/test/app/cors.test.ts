import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startGatewayFixture, type FixturePorts, type GatewayFixture } from './gateway-fixture.ts';
import { yamlHead } from '@rampart/testing';

const APP = 'http://127.0.0.1:5173';

const config = (ports: FixturePorts, cors: string): string =>
  `${yamlHead(ports)}${cors}
policies:
  read: { scopes: [orders:read] }
  write: { scopes: [orders:write] }
services:
  orders:
    entry: orders.ts
    port: ${ports.services['orders']}
    callers: [gateway]
    routes:
      - { method: GET, path: /orders, policy: read, cache: { ttl: 1m } }
      - { method: POST, path: /orders, policy: write, schema: { contentTypes: [application/json] } }
`;

const CORS = `gateway:
  cors:
    origins: ['${APP}']
    credentials: true
    methods: [GET, POST]
    headers: [authorization, content-type]
`;

describe('CORS from gateway.cors', () => {
  let gw: GatewayFixture;
  let reader: string;
  before(async () => {
    gw = await startGatewayFixture({ services: ['orders'], yaml: (ports) => config(ports, CORS) });
    reader = await gw.token({ scope: 'orders:read' });
  });
  after(async () => {
    await gw.close();
  });

  it('answers an allowed preflight itself, before any token, without reaching the service', async () => {
    const before = gw.services.get('orders')?.hits.get('/orders') ?? 0;
    const res = await gw.call('/orders', {
      method: 'OPTIONS',
      headers: {
        origin: APP,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers['access-control-allow-origin'], APP);
    assert.equal(res.headers['access-control-allow-credentials'], 'true');
    assert.equal(res.headers['access-control-allow-methods'], 'GET, POST');
    assert.equal(res.headers['access-control-allow-headers'], 'authorization, content-type');
    assert.equal(res.headers['access-control-max-age'], '600');
    assert.match(String(res.headers['vary']), /Origin/u);
    assert.match(String(res.headers['strict-transport-security']), /max-age/u);
    assert.equal(gw.services.get('orders')?.hits.get('/orders') ?? 0, before);
  });

  it('echoes the allowed origin on the answer, with Vary: Origin, and never "*"', async () => {
    const res = await gw.call('/orders', { token: reader, headers: { origin: APP } });
    assert.equal(res.status, 200);
    assert.equal(res.headers['access-control-allow-origin'], APP);
    assert.equal(res.headers['access-control-allow-credentials'], 'true');
    assert.equal(res.headers['access-control-expose-headers'], 'x-request-id, retry-after');
    assert.match(String(res.headers['vary']), /Origin/u);
  });

  it('adds them to a refusal too, so the page can read why', async () => {
    const res = await gw.call('/orders', { headers: { origin: APP } });
    assert.equal(res.status, 401);
    assert.equal(res.headers['access-control-allow-origin'], APP);
  });

  it('adds them to a cached answer for this request only', async () => {
    const first = await gw.call('/orders?c', { token: reader, headers: { origin: APP } });
    const plain = await gw.call('/orders?c', { token: reader });
    assert.equal(plain.body, first.body, 'the same cached answer');
    assert.equal(plain.headers['access-control-allow-origin'], undefined);
    assert.equal(plain.headers['vary'], 'Origin');
  });

  for (const [label, headers] of [
    ['a request from another origin', { origin: 'https://evil.example' }],
    ['a form post from another origin', { origin: 'https://evil.example', 'content-type': 'text/plain' }],
    [
      'a preflight from another origin',
      { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    ],
    ['a preflight for a method not allowed', { origin: APP, 'access-control-request-method': 'DELETE' }],
    [
      'a preflight for a header not allowed',
      { origin: APP, 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-debug' },
    ],
  ] as const) {
    it(`refuses ${label} with 403 GW_CORS_REFUSED, before the service`, async () => {
      const before = gw.services.get('orders')?.hits.get('/orders') ?? 0;
      const preflight = 'access-control-request-method' in headers;
      const res = await gw.call('/orders', {
        method: preflight ? 'OPTIONS' : 'POST',
        token: await gw.token({ scope: 'orders:write' }),
        headers,
        ...(preflight ? {} : { body: '{}' }),
      });
      assert.equal(res.status, 403);
      assert.equal(res.json()['code'], 'GW_CORS_REFUSED');
      assert.equal(res.headers['access-control-allow-origin'], undefined);
      assert.equal(gw.services.get('orders')?.hits.get('/orders') ?? 0, before);
    });
  }

  it('treats a page of the gateway’s own origin as same-origin', async () => {
    const res = await gw.call('/orders', { token: reader, headers: { origin: gw.url } });
    assert.equal(res.status, 200);
    assert.equal(res.headers['access-control-allow-origin'], undefined);
  });

  it('without gateway.cors, refuses every cross-origin request', async () => {
    gw.reload((ports) => config(ports, ''));
    const res = await gw.call('/orders', { token: reader, headers: { origin: APP } });
    assert.equal(res.status, 403);
    assert.equal(res.json()['code'], 'GW_CORS_REFUSED');
    assert.equal((await gw.call('/orders', { token: reader })).status, 200);
  });

  it('refuses a reload with a malformed trusted proxy, keeping the running configuration', () => {
    assert.throws(() => {
      gw.gateway.applyConfig(99, { ...gw.config, gateway: { trustedProxies: ['proxy.internal'] } });
    }, TypeError);
  });
});

describe('gateway.trustedProxies', () => {
  let gw: GatewayFixture;
  before(async () => {
    gw = await startGatewayFixture({
      services: ['orders'],
      yaml: (ports) => config(ports, 'gateway:\n  trustedProxies: [127.0.0.1]\n'),
    });
  });
  after(async () => {
    await gw.close();
  });

  it('believes X-Forwarded-For from a configured proxy', async () => {
    const res = await gw.call('/orders', {
      token: await gw.token({ scope: 'orders:read' }),
      headers: { 'x-forwarded-for': '203.0.113.9' },
    });
    assert.equal(res.status, 200);
    assert.equal(
      (res.json() as { headers: Record<string, string> }).headers['x-forwarded-for'],
      '203.0.113.9',
    );
  });
});
