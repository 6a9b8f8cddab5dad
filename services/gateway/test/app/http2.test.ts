import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect as connectHttp2 } from 'node:http2';
import { Agent, request } from 'undici';
import { startGatewayFixture, type FixturePorts, type GatewayFixture } from './gateway-fixture.ts';
import { yamlHead } from '@rampart/testing';

const config = (ports: FixturePorts): string =>
  `${yamlHead(ports)}
policies:
  read: { scopes: [orders:read] }
  write: { scopes: [orders:write] }
services:
  orders:
    entry: orders.ts
    port: ${ports.services['orders']}
    callers: [gateway]
    routes:
      - { method: GET, path: /orders, policy: read }
      - method: POST
        path: /orders
        policy: write
        schema:
          maxBodyBytes: 1024
          body: { type: object, additionalProperties: false, properties: { qty: { type: integer } } }
`;

interface Echo {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

describe('HTTP/2 on the public listener', () => {
  let gw: GatewayFixture;
  let agent: Agent;
  let reader: string;
  before(async () => {
    gw = await startGatewayFixture({ services: ['orders'], yaml: config });
    agent = new Agent({ allowH2: true, connect: { ca: [...gw.mesh.bundle] } });
    reader = await gw.token({ scope: 'orders:read orders:write' });
  });
  after(async () => {
    await agent.close();
    await gw.close();
  });

  it('negotiates h2 by ALPN, and still speaks HTTP/1.1 to clients that ask for it', async () => {
    const h2 = await gw.h2('/orders', { headers: { authorization: `Bearer ${reader}` } });
    assert.equal(h2.alpn, 'h2');
    assert.equal(h2.status, 200, h2.body);
    const h1 = await gw.call('/orders', { token: reader });
    assert.equal(h1.status, 200);
    const lines = gw.logs.filter((line) => line['msg'] === 'request').map((line) => line['http']);
    assert.ok(lines.includes('2.0') && lines.includes('1.1'), JSON.stringify(lines));
  });

  it('runs a request from undici (allowH2) through the same pipeline: forwarded like HTTP/1.1', async () => {
    const res = await request(`${gw.url}/orders?page=2`, {
      dispatcher: agent,
      headers: { authorization: `Bearer ${reader}`, 'x-rampart-user': 'admin', cookie: 'a=1; b=2' },
    });
    assert.equal(res.statusCode, 200);
    const echo = (await res.body.json()) as Echo;
    assert.equal(echo.url, '/orders?page=2');
    assert.equal(echo.headers['x-forwarded-host'], new URL(gw.url).host, ':authority is the host');
    assert.equal(echo.headers['x-rampart-user'], undefined);
    assert.equal(echo.headers['cookie'], undefined);
    assert.match(echo.headers['authorization'] ?? '', /^Bearer v4\.public\./u);
    for (const name of Object.keys(echo.headers)) assert.ok(!name.startsWith(':'), `${name} forwarded`);
    assert.equal(res.headers['strict-transport-security'], 'max-age=63072000; includeSubDomains');
    const last = gw.logs.filter((line) => line['msg'] === 'request').at(-1);
    assert.equal(last?.['http'], '2.0');
  });

  it('forwards an h2 body, validated as over HTTP/1.1', async () => {
    const ok = await gw.h2('/orders', {
      method: 'POST',
      headers: { authorization: `Bearer ${reader}`, 'content-type': 'application/json' },
      body: '{"qty":2}',
    });
    assert.equal(ok.status, 200, ok.body);
    assert.equal((ok.json() as unknown as Echo).body, '{"qty":2}');
    const bad = await gw.h2('/orders', {
      method: 'POST',
      headers: { authorization: `Bearer ${reader}`, 'content-type': 'application/json' },
      body: '{"qty":"two"}',
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.json()['code'], 'GW_BAD_REQUEST');
    const big = await gw.h2('/orders', {
      method: 'POST',
      headers: { authorization: `Bearer ${reader}`, 'content-type': 'application/json' },
      body: `{"qty":1${' '.repeat(2000)}}`,
    });
    assert.equal(big.status, 413);
  });

  const denials: [
    label: string,
    path: string,
    options: Parameters<GatewayFixture['h2']>[1],
    status: number,
    code: string,
  ][] = [
    ['no token', '/orders', {}, 401, 'GW_TOKEN_MISSING'],
    ['a token without the scope', '/orders', { headers: {} }, 403, 'GW_FORBIDDEN'],
    ['an escaped dot-segment in :path', '/orders/%2e%2e/admin', {}, 400, 'GW_BAD_PATH'],
    ['a dot-segment in :path', '/orders/../admin', {}, 400, 'GW_BAD_PATH'],
    ['a path parameter trick', '/auth/..;/orders', {}, 400, 'GW_BAD_PATH'],
    ['an encoded slash', '/orders%2fadmin', {}, 400, 'GW_BAD_PATH'],
    ['a backslash', '/orders\\admin', {}, 400, 'GW_BAD_PATH'],
    ['a method off the allow-list', '/orders', { method: 'TRACE' }, 405, 'GW_METHOD_NOT_ALLOWED'],
    ['a route that does not exist', '/payments', {}, 404, 'GW_ROUTE_NOT_FOUND'],
    [
      'a Host that differs from :authority',
      '/orders',
      { headers: { ':authority': '127.0.0.1', host: 'evil.example' } },
      400,
      'GW_BAD_HEADER',
    ],
    [
      'an underscore alias of a framing field',
      '/orders',
      { headers: { content_length: '5' } },
      400,
      'GW_BAD_HEADER',
    ],
  ];
  for (const [label, path, options, status, code] of denials) {
    it(`refuses ${label} over h2 exactly as over HTTP/1.1: ${status} ${code}`, async () => {
      const token =
        label === 'a token without the scope' ? await gw.token({ scope: 'profile:read' }) : undefined;
      const headers = {
        ...options?.headers,
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      };
      const res = await gw.h2(path, { ...options, headers });
      assert.equal(res.alpn, 'h2');
      assert.equal(res.status, status, res.body);
      assert.equal(res.json()['code'], code);
      assert.equal(res.headers['content-type'], 'application/problem+json');
    });
  }

  it('serves the identity mount over h2, with the client credentials going to identity only', async () => {
    gw.identity.answer = () => ({
      status: 200,
      headers: [['content-type', 'application/json']],
      body: '{"ok":true}',
    });
    const res = await gw.h2('/auth/token', {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: 'Basic c2hvcC1jbGk6cw==',
        cookie: '_session=1',
      },
      body: 'grant_type=client_credentials',
    });
    assert.equal(res.status, 200);
    const received = gw.identity.received.at(-1);
    assert.ok(received);
    assert.equal(received.headers['authorization'], 'Basic c2hvcC1jbGk6cw==');
    assert.equal(received.headers['cookie'], '_session=1');
    assert.equal(received.body, 'grant_type=client_credentials');
  });

  it('never lets an absolute-form :path through (nghttp2 or the gateway refuses it)', async () => {
    const res = await gw.h2('https://evil.example/orders').catch((error: unknown) => error);
    if (res instanceof Error) return;
    assert.equal((res as { status: number }).status, 400);
  });

  it('refuses a header list over the limit', async () => {
    const res = await gw
      .h2('/orders', { headers: { authorization: `Bearer ${reader}`, 'x-big': 'a'.repeat(20_000) } })
      .catch((error: unknown) => error);
    if (res instanceof Error) return; // the stream was refused by HTTP/2 itself
    assert.notEqual((res as { status: number }).status, 200);
  });
});

describe('a slow request body (slowloris) over HTTP/2', () => {
  let gw: GatewayFixture;
  before(async () => {
    gw = await startGatewayFixture({ services: ['orders'], yaml: config, requestTimeoutMs: 400 });
  });
  after(async () => {
    await gw.close();
  });

  it('cancels an h2 stream whose body does not arrive in time, and keeps serving', async () => {
    const token = await gw.token({ scope: 'orders:write orders:read' });
    const session = connectHttp2(gw.url, { ca: [...gw.mesh.bundle] });
    const started = Date.now();
    const outcome = await new Promise<string>((resolve) => {
      const stream = session.request({
        ':method': 'POST',
        ':path': '/orders',
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
      });
      stream.write('{"qty":'); // and never the rest
      stream.on('response', (headers) => {
        resolve(`answered ${String(headers[':status'])}`);
      });
      stream.on('close', () => {
        resolve(`closed ${String(stream.rstCode)}`);
      });
      stream.on('error', () => undefined);
    });
    assert.ok(Date.now() - started < 5_000, outcome);
    assert.doesNotMatch(outcome, /answered 200/u);
    session.close();
    const after = await gw.h2('/orders', { headers: { authorization: `Bearer ${token}` } });
    assert.equal(after.status, 200, 'the gateway still serves');
    assert.equal(
      gw.services.get('orders')?.hits.get('/orders'),
      1,
      'the partial body never reached the service',
    );
  });
});
