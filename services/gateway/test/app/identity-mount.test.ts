import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startGatewayFixture, serviceId, type FixturePorts, type GatewayFixture } from './gateway-fixture.ts';
import { yamlHead } from '@rampart/testing';

const shop = (ports: FixturePorts, extra = ''): string =>
  `${yamlHead(ports)}${extra}
policies:
  read-orders: { scopes: [orders:read] }
services:
  orders:
    entry: orders.ts
    port: ${ports.services['orders']}
    callers: [gateway]
    routes:
      - method: GET
        path: /orders
        policy: read-orders
`;

describe('the identity mount at /auth', () => {
  let gw: GatewayFixture;

  before(async () => {
    gw = await startGatewayFixture({ services: ['orders'], yaml: (ports) => shop(ports) });
  });
  after(async () => {
    await gw.close();
  });

  const last = () => {
    const received = gw.identity.received.at(-1);
    assert.ok(received, 'identity received the request');
    return received;
  };

  it('passes discovery through, with X-Forwarded-* set by the gateway and its security headers', async () => {
    const discovery = JSON.stringify({
      issuer: 'https://127.0.0.1/auth',
      jwks_uri: 'https://127.0.0.1/auth/jwks',
    });
    gw.identity.answer = () => ({
      status: 200,
      headers: [
        ['content-type', 'application/json; charset=utf-8'],
        ['cache-control', 'public, max-age=60'],
        ['server', 'oidc-provider/9'],
        ['x-powered-by', 'koa'],
      ],
      body: discovery,
    });
    const res = await gw.call('/auth/.well-known/openid-configuration', {
      headers: {
        'x-forwarded-host': 'evil.example',
        'x-forwarded-for': '6.6.6.6',
        'x-rampart-user': 'admin',
      },
    });
    assert.equal(res.status, 200);
    assert.equal(res.body, discovery);
    assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(res.headers['cache-control'], 'public, max-age=60');
    assert.equal(res.headers['server'], undefined);
    assert.equal(res.headers['x-powered-by'], undefined);
    assert.match(String(res.headers['strict-transport-security']), /max-age=63072000/u);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(typeof res.headers['x-request-id'], 'string');

    const received = last();
    assert.equal(received.method, 'GET');
    assert.equal(received.url, '/auth/.well-known/openid-configuration');
    assert.equal(received.headers['x-forwarded-proto'], 'https');
    assert.equal(received.headers['x-forwarded-for'], '127.0.0.1', 'the client IP, never the chain it sent');
    assert.equal(
      received.headers['x-forwarded-host'],
      new URL(gw.url).host,
      'the public host, never a Host or X-Forwarded-Host the client chose',
    );
    assert.equal(received.headers['x-rampart-user'], undefined);
    assert.equal(received.headers['authorization'], undefined, 'no internal token for identity');
    assert.equal(received.headers['x-request-id'], res.headers['x-request-id']);
  });

  it('reaches identity at /auth itself and at /auth/, and with an escaped but canonical path', async () => {
    for (const [path, expected] of [
      ['/auth', '/auth'],
      ['/auth/', '/auth/'],
      ['/%61uth/jwks', '/auth/jwks'],
      ['/auth//jwks', '/auth/jwks'],
    ] as const) {
      const res = await gw.call(path);
      assert.equal(res.status, 200, path);
      assert.equal(last().url, expected, path);
    }
  });

  it('forwards an authorization request query untouched: percent-encoded URLs are not path-decoded', async () => {
    const query =
      'client_id=shop-web&response_type=code&scope=openid%20orders%3Aread' +
      '&redirect_uri=http%3A%2F%2F127.0.0.1%3A5173%2Fcallback%3Fa%3D1%26b%3D2' +
      '&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256' +
      '&state=a%2Bb%2F%2E%2E&nonce=n-0S6_WzA2Mj&prompt=login';
    gw.identity.answer = () => ({
      status: 303,
      headers: [['location', '/auth/interaction/J0Q8dXH3R6tq-rzQ0P1ZZ']],
    });
    const res = await gw.call(`/auth/auth?${query}`);
    assert.equal(res.status, 303);
    assert.equal(res.headers['location'], '/auth/interaction/J0Q8dXH3R6tq-rzQ0P1ZZ');
    assert.equal(last().url, `/auth/auth?${query}`);
  });

  it('forwards a token request intact: form body, Basic client authentication, DPoP proof, cookies', async () => {
    const form =
      'grant_type=authorization_code&code=SplxlOBeZQQYbYS6WxSbIA&redirect_uri=http%3A%2F%2F127.0.0.1%3A5173%2Fcallback&code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
    const basic = `Basic ${Buffer.from('shop-cli:s3cr3t').toString('base64')}`;
    gw.identity.answer = () => ({
      status: 400,
      headers: [
        ['content-type', 'application/json; charset=utf-8'],
        ['cache-control', 'no-store'],
        ['pragma', 'no-cache'],
        ['www-authenticate', 'DPoP error="use_dpop_nonce", error_description="nonce required"'],
        ['dpop-nonce', 'eyJ7S_zG.eyJH0-Z.HX4w-7v'],
      ],
      body: '{"error":"use_dpop_nonce","error_description":"nonce required"}',
    });
    const res = await gw.call('/auth/token', {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basic,
        dpop: 'eyJ0eXAiOiJkcG9wK2p3dCJ9.e30.sig',
        cookie: '_session=abc; _session.legacy=def',
        origin: 'http://127.0.0.1:5173',
      },
      body: form,
    });
    assert.equal(res.status, 400, 'an OAuth error is identity’s answer, not a gateway refusal');
    assert.deepEqual(res.json(), { error: 'use_dpop_nonce', error_description: 'nonce required' });
    assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.equal(res.headers['pragma'], 'no-cache');
    assert.equal(res.headers['dpop-nonce'], 'eyJ7S_zG.eyJH0-Z.HX4w-7v');
    assert.equal(
      res.headers['www-authenticate'],
      'DPoP error="use_dpop_nonce", error_description="nonce required"',
    );

    const received = last();
    assert.equal(received.method, 'POST');
    assert.equal(received.body, form);
    assert.equal(received.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.equal(received.headers['content-length'], String(form.length));
    assert.equal(received.headers['authorization'], basic);
    assert.equal(received.headers['dpop'], 'eyJ0eXAiOiJkcG9wK2p3dCJ9.e30.sig');
    assert.equal(received.headers['cookie'], '_session=abc; _session.legacy=def');
    assert.equal(received.headers['origin'], 'http://127.0.0.1:5173');
  });

  it('passes Set-Cookie and a redirect to a registered loopback redirect_uri', async () => {
    gw.identity.answer = () => ({
      status: 303,
      headers: [
        ['location', 'http://127.0.0.1:5173/callback?code=abc&state=xyz&iss=https%3A%2F%2F127.0.0.1%2Fauth'],
        ['set-cookie', '_session=new; path=/auth; secure; httponly; samesite=lax'],
        ['set-cookie', '_interaction=; path=/auth/interaction; expires=Thu, 01 Jan 1970 00:00:00 GMT'],
        ['content-security-policy', "default-src 'none'; form-action 'self'"],
        ['x-frame-options', 'SAMEORIGIN'],
      ],
    });
    const res = await gw.call('/auth/interaction/J0Q8dXH3R6tq-rzQ0P1ZZ/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: '_interaction=1' },
      body: 'login=alice&password=pw',
    });
    assert.equal(res.status, 303);
    assert.equal(
      res.headers['location'],
      'http://127.0.0.1:5173/callback?code=abc&state=xyz&iss=https%3A%2F%2F127.0.0.1%2Fauth',
    );
    assert.deepEqual(res.headers['set-cookie'], [
      '_session=new; path=/auth; secure; httponly; samesite=lax',
      '_interaction=; path=/auth/interaction; expires=Thu, 01 Jan 1970 00:00:00 GMT',
    ]);
    assert.equal(
      res.headers['content-security-policy'],
      "default-src 'none'; form-action 'self'",
      'identity’s CSP is kept',
    );
    assert.equal(res.headers['x-frame-options'], 'SAMEORIGIN', 'identity’s own framing policy is kept');
    assert.equal(res.headers['referrer-policy'], 'no-referrer', 'the gateway’s where identity set none');
  });

  it("drops a Location naming identity's own listener, which clients must never learn", async () => {
    gw.identity.answer = () => ({
      status: 302,
      headers: [['location', `https://127.0.0.1:${gw.identity.port}/auth/interaction/x`]],
    });
    const res = await gw.call('/auth/auth?client_id=x');
    assert.equal(res.status, 302);
    assert.equal(res.headers['location'], undefined);
  });

  it('passes 201, 204, HEAD and a CORS preflight through', async () => {
    gw.identity.answer = () => ({
      status: 201,
      headers: [['content-type', 'application/json']],
      body: '{"client_id":"c"}',
    });
    const created = await gw.call('/auth/reg', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(created.status, 201);
    assert.equal(created.body, '{"client_id":"c"}');

    gw.identity.answer = () => ({
      status: 204,
      headers: [
        ['access-control-allow-origin', 'http://127.0.0.1:5173'],
        ['access-control-allow-methods', 'POST'],
        ['access-control-allow-headers', 'dpop, content-type'],
        ['access-control-max-age', '3600'],
        ['vary', 'Origin'],
      ],
    });
    const preflight = await gw.call('/auth/token', {
      method: 'OPTIONS',
      headers: { origin: 'http://127.0.0.1:5173', 'access-control-request-method': 'POST' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers['access-control-allow-origin'], 'http://127.0.0.1:5173');
    assert.equal(preflight.headers['access-control-allow-headers'], 'dpop, content-type');
    assert.equal(preflight.headers['content-length'], undefined);
    assert.equal(last().method, 'OPTIONS');

    gw.identity.answer = () => ({
      status: 200,
      headers: [
        ['content-type', 'application/json'],
        ['content-length', '42'],
      ],
    });
    const head = await gw.call('/auth/jwks', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], '42', 'HEAD keeps the announced length');
    assert.equal(last().method, 'HEAD');
  });

  it('refuses methods identity does not serve, with Allow', async () => {
    const before = gw.identity.received.length;
    for (const method of ['PUT', 'PATCH', 'DELETE']) {
      const res = await gw.call('/auth/token', { method });
      assert.equal(res.status, 405, method);
      assert.equal(res.json()['code'], 'GW_METHOD_NOT_ALLOWED');
      assert.equal(res.headers['allow'], 'GET, HEAD, POST, OPTIONS');
    }
    assert.equal(gw.identity.received.length, before);
  });

  it('passes every method of the admin API under /auth/admin (and only there), with its body', async () => {
    gw.identity.answer = () => ({ status: 204, headers: [], body: '' });
    for (const [method, path, body] of [
      ['PATCH', '/auth/admin/users/0b0e3c5e-7d1a-4f57-9f0e-2f7c1f1b6a11', '{"disabled":true}'],
      ['PUT', '/auth/admin/users/0b0e3c5e-7d1a-4f57-9f0e-2f7c1f1b6a11/groups', '{"groups":[]}'],
      ['DELETE', '/auth/admin/clients/rogue-job', undefined],
      ['DELETE', '/auth/admin/users/0b0e3c5e-7d1a-4f57-9f0e-2f7c1f1b6a11/sessions', undefined],
    ] as const) {
      const res = await gw.call(path, {
        method,
        ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body }),
      });
      assert.equal(res.status, 204, `${method} ${path}`);
      assert.equal(last().method, method);
      assert.equal(last().url, path);
      if (body !== undefined) assert.equal(last().body, body);
    }
    const before = gw.identity.received.length;
    for (const path of ['/auth/token', '/auth/administrator', '/auth/account/admin']) {
      const res = await gw.call(path, { method: 'DELETE' });
      assert.equal(res.status, 405, path);
      assert.equal(res.headers['allow'], 'GET, HEAD, POST, OPTIONS');
    }
    assert.equal(gw.identity.received.length, before);
  });

  it('refuses a body over 64 KiB without forwarding it', async () => {
    const before = gw.identity.received.length;
    const res = await gw.call('/auth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `a=${'x'.repeat(64 * 1024)}`,
    });
    assert.equal(res.status, 413);
    assert.equal(res.json()['code'], 'GW_PAYLOAD_TOO_LARGE');
    assert.equal(gw.identity.received.length, before);
  });

  const tricks = [
    '/auth/%2e%2e/orders',
    '/auth/%2E%2E/orders',
    '/auth/..;/orders',
    '/auth/../orders',
    '/auth/./token',
    '/auth%2f..%2forders',
    '/auth/%252e%252e/orders',
    '/auth\\..\\orders',
    '/auth;/token',
    '/auth/token%00',
  ];
  for (const target of tricks) {
    it(`refuses the path trick ${target} before identity or a service sees it`, async () => {
      const identityBefore = gw.identity.received.length;
      const ordersBefore = [...(gw.services.get('orders')?.hits.values() ?? [])].reduce((a, b) => a + b, 0);
      const answer = await gw.raw([`GET ${target} HTTP/1.1`, 'host: 127.0.0.1', 'connection: close']);
      assert.match(answer, /^HTTP\/1\.1 400 /u, answer.split('\r\n')[0]);
      assert.match(answer, /"code":"GW_BAD_PATH"/u);
      assert.equal(gw.identity.received.length, identityBefore);
      const ordersAfter = [...(gw.services.get('orders')?.hits.values() ?? [])].reduce((a, b) => a + b, 0);
      assert.equal(ordersAfter, ordersBefore);
    });
  }

  it("turns identity's 500 into a 502 without its body", async () => {
    gw.identity.answer = () => ({
      status: 500,
      headers: [
        ['content-type', 'text/html'],
        ['set-cookie', 'debug=1'],
      ],
      body: '<pre>Error: boom at /srv/identity/src/db.ts:12 (10.0.0.7)</pre>',
    });
    const res = await gw.call('/auth/token', {
      method: 'POST',
      body: 'grant_type=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(res.status, 502);
    assert.equal(res.headers['content-type'], 'application/problem+json');
    assert.equal(res.json()['code'], 'GW_UPSTREAM_ERROR');
    assert.doesNotMatch(res.body, /boom|srv|10\.0\.0\.7/u);
    assert.equal(res.headers['set-cookie'], undefined);
  });

  it('never sends cookies, DPoP proofs or the client token to a service: only the internal token', async () => {
    const token = await gw.token({ scope: 'orders:read' });
    const res = await gw.call('/orders', {
      token,
      headers: { cookie: '_session=abc', dpop: 'eyJ0eXAiOiJkcG9wK2p3dCJ9.e30.sig' },
    });
    assert.equal(res.status, 200, res.body);
    const echo = res.json() as { headers: Record<string, string> };
    assert.equal(echo.headers['cookie'], undefined);
    assert.equal(echo.headers['dpop'], undefined);
    assert.match(echo.headers['authorization'] ?? '', /^Bearer v4\.public\./u);
    assert.notEqual(echo.headers['authorization'], `Bearer ${token}`);
  });

  it("counts the mount under identity's endpoint names (the labels identity counts itself under)", async () => {
    const text = await (await fetch(`${gw.adminUrl}/metrics`)).text();
    const routes = new Set(
      [...text.matchAll(/^http_requests_total\{[^}]*route="([^"]+)"/gmu)].map((m) => m[1]),
    );
    assert.ok(routes.has('/auth token'), [...routes].join(', '));
    assert.ok(routes.has('/auth discovery'), [...routes].join(', '));
    assert.ok(!routes.has('/auth'), 'no single label for the whole mount');
  });

  it('rate-limits the mount per IP, as gateway.identityRateLimit says, with Retry-After', async () => {
    gw.reload((ports) =>
      shop(ports, 'gateway:\n  identityRateLimit: { points: 3, window: 1m, blockFor: 1m }\n'),
    );
    gw.identity.answer = () => ({ status: 200, headers: [['content-type', 'application/json']], body: '{}' });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await gw.call('/auth/jwks')).status);
    assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
    const limited = await gw.call('/auth/jwks');
    assert.equal(limited.json()['code'], 'GW_RATE_LIMITED');
    assert.ok(Number(limited.headers['retry-after']) >= 1);
  });
});

describe('the identity mount refuses an upstream that is not identity', () => {
  let gw: GatewayFixture;
  before(async () => {
    // Listens where identity should, with a valid mesh certificate — of a service named identity.
    gw = await startGatewayFixture({
      services: [],
      identitySpiffeId: serviceId('identity'),
      yaml: (ports) => `${yamlHead(ports)}services:\n  orders:\n    entry: orders.ts\n    port: 7102\n`,
    });
  });
  after(async () => {
    await gw.close();
  });

  it('answers 503 and sends identity nothing', async () => {
    const res = await gw.call('/auth/token', {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: 'Basic c2hvcC1jbGk6cw==',
      },
      body: 'grant_type=client_credentials',
    });
    assert.equal(res.status, 503);
    assert.equal(res.json()['code'], 'GW_UPSTREAM_UNAVAILABLE');
    assert.equal(gw.identity.received.length, 0);
    const refused = gw.logs.find((line) => line['msg'] === 'request refused');
    assert.match(String(refused?.['reason']), /ERR_MESH_PEER_IDENTITY/u);
  });
});
