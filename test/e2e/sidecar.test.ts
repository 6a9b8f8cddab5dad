import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { Agent, request } from 'undici';
import {
  CertificateAuthority,
  componentSpiffeId,
  createWorkloadCsr,
  serviceSpiffeId,
  verifyPeerSpiffeId,
} from '@rampart/mesh';
import { securityEvents, startShop, SHOP_TRUST_DOMAIN, tempDir, type RunningShop } from '@rampart/testing';

/** What the reviews process (Python) says the sidecar told it, at GET /whoami. */
interface WhoAmI {
  identity: { caller: string; subject: string; kind: string; scopes: string[] };
  headers: Record<string, string>;
  counts: Record<string, number>;
  traceparent: string;
}

const ordersId = serviceSpiffeId(SHOP_TRUST_DOMAIN, 'orders');
const gatewayId = componentSpiffeId(SHOP_TRUST_DOMAIN, 'gateway');

/** The environment of the process serving `port` (this test's user may read its own processes' environ). */
function processEnvironment(service: string, port: number): Record<string, string> {
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    let environ: string;
    try {
      environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
    } catch {
      continue;
    }
    const entries = Object.fromEntries(
      environ
        .split('\0')
        .filter((line) => line.includes('='))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    if (entries['RAMPART_SERVICE'] === service && entries['PORT'] === String(port)) return entries;
  }
  throw new Error(`no process of ${service} on port ${port}`);
}

/** A plain-HTTP request on loopback (the egress port, or the process's own port). */
function plainHttp(
  port: number,
  path: string,
  headers: Record<string, string>,
  method = 'GET',
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

async function waitForEvent(home: string, component: string, event: string, before: number): Promise<number> {
  for (let i = 0; i < 80; i++) {
    const now = securityEvents(home, component, event).length;
    if (now > before) return now;
    await sleep(25);
  }
  return securityEvents(home, component, event).length;
}

describe('sidecar: unmodified Python and Java services in the mesh, behind the gateway', () => {
  let shop: RunningShop;
  let edge: Agent;
  let token: string;
  let asOrders: Agent;
  let reviewsPort: number;

  before(async () => {
    shop = await startShop();
    reviewsPort = shop.sidecars.reviews.port;
    edge = new Agent({ connect: { ca: readFileSync(join(shop.home, 'ca.pem'), 'utf8') } });
    const secret = readFileSync(join(shop.home, 'clients/shop-cli.secret'), 'utf8').trim();
    const answer = await request(`https://127.0.0.1:${shop.ports.gateway}/auth/token`, {
      dispatcher: edge,
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`shop-cli:${secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials&scope=orders%3Aread%20orders%3Awrite%20reviews%3Aread%20reviews%3Awrite',
    });
    const body = (await answer.body.json()) as { access_token?: string };
    assert.equal(answer.statusCode, 200, JSON.stringify(body));
    token = body.access_token ?? '';
    const orders = await shop.credentials(ordersId);
    asOrders = new Agent({
      connect: {
        ca: shop.bundle(),
        cert: orders.cert,
        key: orders.key,
        checkServerIdentity: verifyPeerSpiffeId(serviceSpiffeId(SHOP_TRUST_DOMAIN, 'reviews')),
      },
    });
  });

  after(async () => {
    await edge.close();
    await asOrders.close();
    await shop.stop();
  });

  async function viaGateway(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const answer = await request(`https://127.0.0.1:${shop.ports.gateway}${path}`, {
      dispatcher: edge,
      method,
      headers: {
        ...headers,
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await answer.body.text();
    return {
      status: answer.statusCode,
      body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
    };
  }

  /** GET /whoami on the reviews sidecar as orders (mTLS), with a token orders exchanged. */
  async function whoAmI(extraHeaders: [string, string][] = []): Promise<{ status: number; body: WhoAmI }> {
    const internal = await shop.token({
      sub: 'alice',
      aud: 'reviews',
      scope: 'orders:read',
      act: { sub: 'orders' },
    });
    const answer = await request(`https://127.0.0.1:${reviewsPort}/whoami`, {
      dispatcher: asOrders,
      headers: [...extraHeaders.flat(), 'authorization', `Bearer ${internal}`],
    });
    const text = await answer.body.text();
    return { status: answer.statusCode, body: JSON.parse(text) as WhoAmI };
  }

  it('serves a Python service through the gateway, which calls a Java service through its egress port', async () => {
    const created = await viaGateway('POST', '/reviews', { sku: 'TEA-GREEN', rating: 5, text: 'lovely' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const by = created.body['by'] as WhoAmI['identity'];
    assert.equal(by.caller, gatewayId, 'the sidecar names the verified mTLS peer');
    assert.equal(by.kind, 'client');
    assert.match(by.subject, /shop-cli/);
    assert.ok(by.scopes.includes('reviews:write'));
    assert.equal(created.body['available'], 120, 'stock (Java) answered through the egress port');
    const listed = await viaGateway('GET', '/reviews/TEA-GREEN');
    assert.equal(listed.status, 200);
    assert.equal((listed.body['reviews'] as unknown[]).length >= 1, true);
    // Java saw the call as coming from reviews' identity, with a token exchanged for that hop.
    assert.ok(securityEvents(shop.home, 'mesh', 'token.exchanged').length >= 1);
    assert.match(
      readFileSync(join(shop.home, 'logs/stock.log'), 'utf8'),
      /stock: TEA-GREEN for spiffe:\/\/e2e\.local\/service\/reviews/,
    );
  });

  it('lets the orders service (TypeScript) call reviews (Python) along the call graph', async () => {
    await viaGateway('POST', '/reviews', { sku: 'MUG-1', rating: 4 });
    const order = await viaGateway('POST', '/orders', { items: [{ sku: 'MUG-1', quantity: 1 }] });
    assert.equal(order.status, 201, JSON.stringify(order.body));
    const shown = await viaGateway('GET', `/orders/${String(order.body['id'])}`);
    assert.equal(shown.status, 200);
    const ratings = shown.body['ratings'] as Record<string, { average: number; count: number }>;
    assert.equal(ratings['MUG-1']?.count, 1);
  });

  it('checks the route schema and scopes as an SDK service does', async () => {
    const bad = await viaGateway('POST', '/reviews', { sku: 'TEA-GREEN', rating: 9 });
    assert.equal(bad.status, 400);
    // Straight to the sidecar with a gateway token lacking reviews:write: the sidecar's own check.
    const gateway = await shop.credentials(gatewayId);
    const internal = await shop.token({ sub: 'alice', aud: 'reviews', scope: 'reviews:read' });
    const agent = new Agent({
      connect: {
        ca: shop.bundle(),
        cert: gateway.cert,
        key: gateway.key,
        checkServerIdentity: verifyPeerSpiffeId(serviceSpiffeId(SHOP_TRUST_DOMAIN, 'reviews')),
      },
    });
    try {
      const answer = await request(`https://127.0.0.1:${reviewsPort}/reviews`, {
        dispatcher: agent,
        method: 'POST',
        headers: { authorization: `Bearer ${internal}`, 'content-type': 'application/json' },
        body: JSON.stringify({ sku: 'TEA-GREEN', rating: 3 }),
      });
      const body = (await answer.body.json()) as { code: string };
      assert.equal(answer.statusCode, 403);
      assert.equal(body.code, 'SDK_FORBIDDEN');
    } finally {
      await agent.close();
    }
  });

  it('replaces x-rampart-* headers a client sends through the gateway', async () => {
    const created = await viaGateway(
      'POST',
      '/reviews',
      { sku: 'TEA-BLACK', rating: 2 },
      {
        'x-rampart-subject': 'user:admin',
        'x-rampart-caller': 'spiffe://e2e.local/service/payments',
        'x-rampart-scopes': 'admin',
        'x-rampart-sidecar': 'guess',
      },
    );
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const by = created.body['by'] as WhoAmI['identity'];
    assert.notEqual(by.subject, 'user:admin');
    assert.equal(by.caller, gatewayId);
    assert.equal(by.scopes.includes('admin'), false);
  });

  it('replaces x-rampart-* headers a caller sends, in any case and repeated', async () => {
    const { status, body } = await whoAmI([
      ['X-Rampart-Subject', 'user:admin'],
      ['x-rampart-subject', 'user:root'],
      ['X-RAMPART-CALLER', gatewayId],
      ['x-rampart-scopes', 'admin'],
      ['x-rampart-sidecar', 'guess'],
      ['x-rampart-extra', 'anything'],
      ['x-forwarded-for', '10.0.0.1'],
      ['traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'],
    ]);
    // The process continues the trace from the sidecar's own span.
    const [, traceId, parent] = body.traceparent.split('-');
    assert.equal(traceId, '0af7651916cd43dd8448eb211c80319c');
    assert.notEqual(parent, 'b7ad6b7169203331');
    assert.equal(status, 200);
    assert.equal(body.identity.subject, 'alice');
    assert.equal(body.identity.caller, ordersId);
    assert.deepEqual(body.identity.scopes, ['orders:read']);
    assert.equal(body.headers['x-rampart-extra'], undefined);
    for (const [name, count] of Object.entries(body.counts)) {
      if (name.startsWith('x-rampart-')) assert.equal(count, 1, name);
    }
    assert.equal(body.counts['x-forwarded-for'], undefined);
  });

  it('refuses a service that is not among the callers, and records it', async () => {
    const before = securityEvents(shop.home, 'reviews', 'request.denied').length;
    const payments = await shop.credentials(serviceSpiffeId(SHOP_TRUST_DOMAIN, 'payments'));
    const internal = await shop.token({ sub: 'alice', aud: 'reviews', act: { sub: 'payments' } });
    const agent = new Agent({
      connect: {
        ca: shop.bundle(),
        cert: payments.cert,
        key: payments.key,
        checkServerIdentity: verifyPeerSpiffeId(serviceSpiffeId(SHOP_TRUST_DOMAIN, 'reviews')),
      },
    });
    try {
      const answer = await request(`https://127.0.0.1:${reviewsPort}/whoami`, {
        dispatcher: agent,
        headers: { authorization: `Bearer ${internal}` },
      });
      const body = (await answer.body.json()) as { code: string };
      assert.equal(answer.statusCode, 403);
      assert.equal(body.code, 'SDK_CALLER_NOT_ALLOWED');
    } finally {
      await agent.close();
    }
    assert.ok((await waitForEvent(shop.home, 'reviews', 'request.denied', before)) > before);
  });

  it('refuses plain HTTP on the mesh port', async () => {
    await assert.rejects(plainHttp(reviewsPort, '/whoami', {}));
  });

  it('refuses a client certificate from another CA at the handshake, and records it', async () => {
    const before = securityEvents(shop.home, 'stock', 'mesh.handshake_refused').length;
    const dir = await tempDir('rampart-other-ca-');
    const other = await CertificateAuthority.open(dir.path, { trustDomain: SHOP_TRUST_DOMAIN });
    const spiffeId = serviceSpiffeId(SHOP_TRUST_DOMAIN, 'reviews');
    const { keyPem, csrPem } = await createWorkloadCsr(spiffeId);
    const issued = await other.issue({ csrPem, spiffeId });
    await dir.cleanup();
    const agent = new Agent({
      connect: {
        ca: shop.bundle(),
        cert: issued.certPem,
        key: keyPem,
        checkServerIdentity: verifyPeerSpiffeId(serviceSpiffeId(SHOP_TRUST_DOMAIN, 'stock')),
      },
    });
    try {
      await assert.rejects(
        request(`https://127.0.0.1:${shop.sidecars.stock.port}/stock/TEA-GREEN`, { dispatcher: agent }),
      );
    } finally {
      await agent.close();
    }
    assert.ok((await waitForEvent(shop.home, 'stock', 'mesh.handshake_refused', before)) > before);
  });

  it('refuses an egress request without the per-start secret, and relays one with it along the call graph only', async () => {
    const egress = shop.sidecars.reviews.egress;
    const env = processEnvironment('reviews', shop.sidecars.reviews.upstream);
    const secret = env['RAMPART_EGRESS_SECRET'] ?? '';
    assert.equal(env['RAMPART_EGRESS_URL'], `http://127.0.0.1:${egress}`);
    const internal = await shop.token({ sub: 'alice', aud: 'reviews', scope: 'reviews:write' });
    const before = securityEvents(shop.home, 'reviews', 'request.denied').length;

    const cases: {
      name: string;
      headers: Record<string, string>;
      path: string;
      status: number;
      code?: string;
    }[] = [
      {
        name: 'no secret',
        headers: { authorization: `Bearer ${internal}` },
        path: '/stock/stock/TEA-GREEN',
        status: 401,
        code: 'SIDECAR_EGRESS_UNAUTHENTICATED',
      },
      {
        name: 'a wrong secret',
        headers: { authorization: `Bearer ${internal}`, 'x-rampart-egress-secret': `${secret}x` },
        path: '/stock/stock/TEA-GREEN',
        status: 401,
        code: 'SIDECAR_EGRESS_UNAUTHENTICATED',
      },
      {
        name: 'the secret but no token',
        headers: { 'x-rampart-egress-secret': secret },
        path: '/stock/stock/TEA-GREEN',
        status: 401,
        code: 'SDK_UNAUTHENTICATED',
      },
      {
        name: 'a callee reviews may not call',
        headers: { authorization: `Bearer ${internal}`, 'x-rampart-egress-secret': secret },
        path: '/payments/payments',
        status: 403,
        code: 'SDK_CALLER_NOT_ALLOWED',
      },
      {
        name: 'an undeclared callee',
        headers: { authorization: `Bearer ${internal}`, 'x-rampart-egress-secret': secret },
        path: '/nobody/x',
        status: 403,
        code: 'SDK_CALLER_NOT_ALLOWED',
      },
      {
        name: 'the secret and its token',
        headers: { authorization: `Bearer ${internal}`, 'x-rampart-egress-secret': secret },
        path: '/stock/stock/POT-1',
        status: 200,
      },
    ];
    for (const c of cases) {
      const answer = await plainHttp(egress, c.path, c.headers);
      assert.equal(answer.status, c.status, `${c.name}: ${answer.body}`);
      if (c.code !== undefined)
        assert.equal((JSON.parse(answer.body) as { code: string }).code, c.code, c.name);
    }
    // A token for another service is no use at reviews' egress port, even with the secret.
    const forOrders = await shop.token({ sub: 'alice', aud: 'orders', scope: 'orders:read' });
    const stolen = await plainHttp(egress, '/stock/stock/POT-1', {
      authorization: `Bearer ${forOrders}`,
      'x-rampart-egress-secret': secret,
    });
    assert.equal(stolen.status, 401);
    assert.ok((await waitForEvent(shop.home, 'reviews', 'request.denied', before)) >= before + 5);
  });

  it('has the process refuse a request that did not come through the sidecar', async () => {
    const answer = await plainHttp(shop.sidecars.reviews.upstream, '/whoami', {
      'x-rampart-subject': 'user:admin',
      'x-rampart-caller': ordersId,
    });
    assert.equal(answer.status, 401);
    const java = await plainHttp(shop.sidecars.stock.upstream, '/stock/TEA-GREEN', {
      'x-rampart-sidecar': 'guess',
    });
    assert.equal(java.status, 401);
  });

  it('never forwards a caller-supplied identity header, whatever the headers (property)', async () => {
    const name = fc.oneof(
      fc.constantFrom(
        'subject',
        'caller',
        'scopes',
        'groups',
        'amr',
        'sidecar',
        'subject-kind',
        'egress-secret',
      ),
      fc.stringMatching(/^[a-z0-9-]{1,12}$/),
    );
    const casing = fc.constantFrom('lower', 'upper', 'title');
    const header = fc
      .tuple(name, casing, fc.stringMatching(/^[\x21-\x7e][\x20-\x7e]{0,40}$/))
      .map(([n, c, v]) => {
        const full = `x-rampart-${n}`;
        const cased =
          c === 'upper'
            ? full.toUpperCase()
            : c === 'title'
              ? full.replace(/(^|-)([a-z])/g, (_m, d: string, l: string) => d + l.toUpperCase())
              : full;
        return [cased, v] as [string, string];
      });
    await fc.assert(
      fc.asyncProperty(fc.array(header, { minLength: 1, maxLength: 8 }), async (headers) => {
        const { status, body } = await whoAmI(headers);
        assert.equal(status, 200);
        assert.equal(body.identity.subject, 'alice');
        assert.equal(body.identity.caller, ordersId);
        // Exactly the sidecar's headers, each once, each with the value the token and the peer prove.
        const expected: Record<string, string> = {
          'x-rampart-caller': ordersId,
          'x-rampart-subject': 'alice',
          'x-rampart-subject-kind': 'user',
          'x-rampart-scopes': 'orders:read',
          'x-rampart-groups': '',
          'x-rampart-amr': '',
        };
        assert.deepEqual(body.headers, expected);
        for (const n of Object.keys(expected))
          assert.equal(body.counts[n], 1, `${n} forwarded more than once`);
        assert.equal(body.counts['x-rampart-egress-secret'], undefined);
      }),
      { numRuns: 60 },
    );
    const health = await plainHttp(shop.sidecars.reviews.admin, '/readyz', {});
    assert.equal(health.status, 200, 'the sidecar is still up and ready');
  });
});
