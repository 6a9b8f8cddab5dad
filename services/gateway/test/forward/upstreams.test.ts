import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isRampartError, type ErrorCode } from '@rampart/errors';
import { serviceSpiffeId, type WorkloadCredentials } from '@rampart/mesh';
import { freePort } from '@rampart/testing';
import { CircuitOpenError } from '../../src/forward/circuit-breaker.ts';
import { createUpstreams, type UpstreamRequest, type UpstreamsOptions } from '../../src/forward/upstreams.ts';
import {
  openMesh,
  startEchoServer,
  TRUST_DOMAIN,
  type Echo,
  type EchoServer,
  type Mesh,
} from './mesh-fixture.ts';

function request(overrides: Partial<UpstreamRequest> = {}): UpstreamRequest {
  return {
    upstream: 'orders',
    method: 'GET',
    target: '/orders?page=2',
    headers: {},
    body: undefined,
    credentials: { kind: 'internal-token', token: 'v4.public.internal' },
    clientIp: '203.0.113.7',
    host: 'shop.example',
    requestId: 'req-1',
    ...overrides,
  };
}

function echoOf(body: Buffer): Echo {
  return JSON.parse(body.toString('utf8')) as Echo;
}

async function rejectsWith(promise: Promise<unknown>, code: ErrorCode): Promise<unknown> {
  let caught: unknown;
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isRampartError(error), `expected a RampartError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    caught = error;
    return true;
  });
  return caught;
}

function sameSerial(a: string, b: string): boolean {
  const normal = (s: string): string => s.toLowerCase().replace(/^0+/u, '');
  return normal(a) === normal(b);
}

describe('createUpstreams over mTLS', () => {
  let mesh: Mesh;
  let orders: EchoServer;
  let impostor: EchoServer;
  let credentials: WorkloadCredentials & { readonly serial: string };
  const ports = new Map<string, number>();
  const open: { close(): Promise<void> }[] = [];

  function upstreams(options: Partial<UpstreamsOptions> = {}): ReturnType<typeof createUpstreams> {
    const created = createUpstreams({
      credentials: () => credentials,
      upstreamOf: (name) => {
        const port = ports.get(name);
        return port === undefined
          ? undefined
          : { peer: name, port, spiffeId: serviceSpiffeId(TRUST_DOMAIN, name) };
      },
      ...options,
    });
    open.push(created);
    return created;
  }

  before(async () => {
    mesh = await openMesh();
    credentials = await mesh.gatewayCredentials();
    orders = await startEchoServer(mesh, 'orders');
    // Listens where `payments` is expected but holds the certificate of `orders`.
    impostor = await startEchoServer(mesh, 'orders');
    ports.set('orders', orders.port);
    ports.set('payments', impostor.port);
  });

  after(async () => {
    await Promise.all(open.map((u) => u.close()));
    await orders.close();
    await impostor.close();
    await mesh.cleanup();
  });

  it('sends the internal token and X-Forwarded-*, never client credentials or proxy chains', async () => {
    const response = await upstreams().forward(
      request({
        method: 'POST',
        body: Buffer.from('{"qty":2}'),
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          authorization: 'Bearer client-access-token',
          cookie: 'session=abc',
          'x-forwarded-for': '10.0.0.1, 10.0.0.2',
          'x-forwarded-host': 'evil.example',
          'x-forwarded-proto': 'http',
          forwarded: 'for=10.0.0.1',
          'x-real-ip': '10.0.0.1',
          host: 'evil.example',
          'content-length': '999',
          'x-request-id': 'client-chosen',
          'x-custom': ['a', 'b'],
        },
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      }),
    );
    assert.equal(response.status, 200);
    const echo = echoOf(response.body);
    assert.equal(echo.method, 'POST');
    assert.equal(echo.url, '/orders?page=2');
    assert.equal(echo.body, '{"qty":2}');
    assert.equal(echo.headers['authorization'], 'Bearer v4.public.internal');
    assert.equal(echo.headers['cookie'], undefined);
    assert.equal(echo.headers['x-forwarded-for'], '203.0.113.7');
    assert.equal(echo.headers['x-forwarded-proto'], 'https');
    assert.equal(echo.headers['x-forwarded-host'], 'shop.example');
    assert.equal(echo.headers['forwarded'], undefined);
    assert.equal(echo.headers['x-real-ip'], undefined);
    assert.equal(echo.headers['host'], `127.0.0.1:${orders.port}`);
    assert.equal(echo.headers['content-length'], '9');
    assert.equal(echo.headers['x-request-id'], 'req-1');
    assert.equal(echo.headers['traceparent'], '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    assert.equal(echo.headers['accept'], 'application/json');
    assert.equal(echo.headers['content-type'], 'application/json');
    assert.equal(echo.headers['x-custom'], 'a, b');
    assert.ok(sameSerial(echo.peerSerial, credentials.serial), 'the gateway presents its mesh certificate');
  });

  it('omits X-Forwarded-Host without a host', async () => {
    const response = await upstreams().forward(request({ host: undefined }));
    assert.equal(echoOf(response.body).headers['x-forwarded-host'], undefined);
  });

  it('refuses a server presenting another SPIFFE ID, before sending anything', async () => {
    const before = impostor.hits.size;
    const error = await rejectsWith(
      upstreams().forward(request({ upstream: 'payments' })),
      'GW_UPSTREAM_UNAVAILABLE',
    );
    assert.match((error as Error).message, /ERR_MESH_PEER_IDENTITY/u);
    assert.equal(impostor.hits.size, before);
  });

  it('retries a GET once after a connection reset', async () => {
    const response = await upstreams().forward(request({ target: '/reset-once/get' }));
    assert.equal(response.status, 200);
    assert.equal(orders.hits.get('/reset-once/get'), 2);
  });

  it('retries a GET only once', async () => {
    await rejectsWith(upstreams().forward(request({ target: '/reset/get' })), 'GW_UPSTREAM_UNAVAILABLE');
    assert.equal(orders.hits.get('/reset/get'), 2);
  });

  for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
    it(`never retries a ${method}`, async () => {
      const target = `/reset-once/${method.toLowerCase()}`;
      await rejectsWith(
        upstreams().forward(request({ method, target, body: Buffer.from('x') })),
        'GW_UPSTREAM_UNAVAILABLE',
      );
      assert.equal(orders.hits.get(target), 1);
    });
  }

  it('times out with GW_UPSTREAM_TIMEOUT', async () => {
    const started = Date.now();
    await rejectsWith(
      upstreams({ timeoutMs: 300 }).forward(request({ target: '/slow' })),
      'GW_UPSTREAM_TIMEOUT',
    );
    assert.ok(Date.now() - started < 3000);
  });

  it('fails a response larger than maxResponseBytes with GW_UPSTREAM_UNAVAILABLE', async () => {
    await rejectsWith(
      upstreams({ maxResponseBytes: 1024 }).forward(request({ target: '/big' })),
      'GW_UPSTREAM_UNAVAILABLE',
    );
    const ok = await upstreams().forward(request({ target: '/big' }));
    assert.equal(ok.body.length, 64 * 1024);
  });

  it('returns a 5xx answer as is (the pipeline replaces its body)', async () => {
    const response = await upstreams().forward(request({ target: '/status/500' }));
    assert.equal(response.status, 500);
  });

  it('returns the upstream headers for sanitizing', async () => {
    const response = await upstreams().forward(request({ target: '/banners' }));
    assert.equal(response.headers['server'], 'orders/1.2.3');
    assert.equal(response.headers['etag'], '"v1"');
  });

  it('throws a TypeError for client credentials to an upstream that does not authenticate clients', async () => {
    const before = orders.hits.size;
    await assert.rejects(upstreams().forward(request({ credentials: { kind: 'client' } })), /identity/u);
    assert.equal(orders.hits.size, before);
  });

  it('sends client credentials to an upstream that authenticates its clients, expecting its SPIFFE ID', async () => {
    // `orders` stands in for identity: same mTLS, its own SPIFFE ID as the expected one.
    const u = upstreams({
      upstreamOf: () => ({
        peer: 'orders',
        port: orders.port,
        spiffeId: serviceSpiffeId(TRUST_DOMAIN, 'orders'),
        authenticatesClients: true,
      }),
    });
    const response = await u.forward(
      request({
        upstream: 'rampart:identity',
        credentials: { kind: 'client' },
        headers: { authorization: 'Basic eDp5', cookie: 's=1' },
      }),
    );
    const echo = echoOf(response.body);
    assert.equal(echo.headers['authorization'], 'Basic eDp5');
    assert.equal(echo.headers['cookie'], 's=1');
  });

  it('throws a TypeError for a service without a port', async () => {
    await assert.rejects(upstreams().forward(request({ upstream: 'ghost' })), TypeError);
  });

  it('rotate() makes new connections present the new certificate', async () => {
    const u = upstreams();
    const first = echoOf((await u.forward(request())).body);
    assert.ok(sameSerial(first.peerSerial, credentials.serial));
    const renewed = await mesh.gatewayCredentials();
    const old = credentials;
    credentials = renewed;
    try {
      const pooled = echoOf((await u.forward(request())).body);
      assert.ok(sameSerial(pooled.peerSerial, old.serial), 'the keep-alive pool is reused until rotate()');
      u.rotate();
      const fresh = echoOf((await u.forward(request())).body);
      assert.ok(sameSerial(fresh.peerSerial, renewed.serial));
    } finally {
      credentials = old;
    }
  });

  describe('circuit breaker', () => {
    it('opens after N consecutive failures, fails fast, then half-opens one probe', async () => {
      let clock = 1_000_000;
      const deadPort = await freePort();
      ports.set('inventory', deadPort);
      const u = upstreams({ breaker: { failures: 3, coolDownMs: 5_000 }, now: () => clock });
      for (let i = 0; i < 3; i++) {
        await rejectsWith(u.forward(request({ upstream: 'inventory' })), 'GW_UPSTREAM_UNAVAILABLE');
      }
      const open = await rejectsWith(
        u.forward(request({ upstream: 'inventory' })),
        'GW_UPSTREAM_UNAVAILABLE',
      );
      assert.ok(open instanceof CircuitOpenError);
      assert.equal(open.retryAfterSeconds, 5);
      assert.equal(open.status, 503);

      // The service comes back, but the circuit stays open until the cool-down ends.
      ports.set('inventory', orders.port);
      clock += 4_000;
      const stillOpen = await rejectsWith(
        u.forward(request({ upstream: 'inventory' })),
        'GW_UPSTREAM_UNAVAILABLE',
      );
      assert.ok(stillOpen instanceof CircuitOpenError);
      assert.equal(stillOpen.retryAfterSeconds, 1);

      // Half-open: orders' certificate is not inventory's, so the probe fails and reopens.
      clock += 1_000;
      const probe = await rejectsWith(
        u.forward(request({ upstream: 'inventory' })),
        'GW_UPSTREAM_UNAVAILABLE',
      );
      assert.ok(!(probe instanceof CircuitOpenError), 'the probe reached the upstream');
      const reopened = await rejectsWith(
        u.forward(request({ upstream: 'inventory' })),
        'GW_UPSTREAM_UNAVAILABLE',
      );
      assert.ok(reopened instanceof CircuitOpenError);
      ports.delete('inventory');
    });

    it('closes after a successful probe, letting one probe through at a time', async () => {
      let clock = 0;
      const u = upstreams({ breaker: { failures: 2, coolDownMs: 1_000 }, now: () => clock });
      for (let i = 0; i < 2; i++) {
        const answer = await u.forward(request({ target: '/status/503' }));
        assert.equal(answer.status, 503, 'a 503 is returned and counted');
      }
      assert.ok(
        (await rejectsWith(u.forward(request()), 'GW_UPSTREAM_UNAVAILABLE')) instanceof CircuitOpenError,
      );
      clock += 1_000;
      const probe = u.forward(request());
      const concurrent = await rejectsWith(u.forward(request()), 'GW_UPSTREAM_UNAVAILABLE');
      assert.ok(concurrent instanceof CircuitOpenError, 'only one probe while half-open');
      assert.equal((await probe).status, 200);
      assert.equal((await u.forward(request())).status, 200, 'closed again');
    });

    it('does not count 500, 4xx or oversized answers', async () => {
      const u = upstreams({ breaker: { failures: 1, coolDownMs: 60_000 }, maxResponseBytes: 1024 });
      assert.equal((await u.forward(request({ target: '/status/500' }))).status, 500);
      assert.equal((await u.forward(request({ target: '/status/404' }))).status, 404);
      await rejectsWith(u.forward(request({ target: '/big' })), 'GW_UPSTREAM_UNAVAILABLE');
      assert.equal((await u.forward(request())).status, 200);
    });

    it('counts timeouts', async () => {
      const u = upstreams({ breaker: { failures: 1, coolDownMs: 60_000 }, timeoutMs: 200 });
      await rejectsWith(u.forward(request({ target: '/slow' })), 'GW_UPSTREAM_TIMEOUT');
      assert.ok(
        (await rejectsWith(u.forward(request()), 'GW_UPSTREAM_UNAVAILABLE')) instanceof CircuitOpenError,
      );
    });
  });

  it('rejects unusable options with a TypeError', () => {
    const base = {
      credentials: () => credentials,
      upstreamOf: () => ({ peer: 'orders', port: 1, spiffeId: serviceSpiffeId(TRUST_DOMAIN, 'orders') }),
    };
    assert.throws(() => createUpstreams({ ...base, timeoutMs: 0 }), TypeError);
    assert.throws(() => createUpstreams({ ...base, breaker: { failures: 0, coolDownMs: 1 } }), TypeError);
  });
});
