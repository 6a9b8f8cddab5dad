import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { connect as connectHttp2 } from 'node:http2';
import { connect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { Agent, request } from 'undici';
import { parseDocument } from 'yaml';
import { freePorts, startShop, type RunningShop } from '@rampart/testing';

/** Stands in for identity: an issuer publishing one ES256 key at /jwks. */
async function startIssuer(): Promise<{
  issuer: string;
  sign: (claims: Record<string, unknown>, options?: { typ?: string }) => Promise<string>;
  close: () => Promise<void>;
}> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  const [port] = await freePorts(1);
  const server: Server = createServer((req, res) => {
    res.writeHead(req.url === '/jwks' ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${port}`;
  return {
    issuer,
    sign: (claims, options = {}) => sign(privateKey, issuer, claims, options.typ ?? 'at+jwt'),
    close: () =>
      new Promise((resolve) =>
        server.close(() => {
          resolve();
        }),
      ),
  };
}

function sign(key: CryptoKey, issuer: string, claims: Record<string, unknown>, typ: string): Promise<string> {
  const { aud, sub, ...rest } = claims as { aud: string; sub: string };
  return new SignJWT({ client_id: 'shop-cli', ...rest })
    .setProtectedHeader({ alg: 'ES256', typ, kid: 'k1' })
    .setIssuer(issuer)
    .setAudience(aud)
    .setSubject(sub)
    .setIssuedAt()
    .setJti(randomUUID())
    .setExpirationTime('5m')
    .sign(key);
}

describe('gateway: the single guarded entry point, end to end', () => {
  let shop: RunningShop;
  let issuer: Awaited<ReturnType<typeof startIssuer>>;
  let agent: Agent;
  let audience: string;

  before(async () => {
    issuer = await startIssuer();
    shop = await startShop({
      edit: (yaml) =>
        yaml.replace(
          /^identity:\n/m,
          `identity:\n  issuer: ${issuer.issuer}\n  dangerouslyAllowHttpIssuer: true\n`,
        ),
    });
    audience = `https://127.0.0.1:${shop.ports.gateway}`;
    agent = new Agent({ connect: { ca: readFileSync(join(shop.home, 'ca.pem'), 'utf8') } });
  });

  after(async () => {
    await agent.close();
    await shop.stop();
    await issuer.close();
  });

  async function call(
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<{
    status: number;
    headers: Record<string, string | string[] | undefined>;
    body: Record<string, unknown>;
  }> {
    const res = await request(`https://127.0.0.1:${shop.ports.gateway}${path}`, {
      dispatcher: agent,
      method,
      headers: {
        ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...options.headers,
      },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
    const text = await res.body.text();
    return {
      status: res.statusCode,
      headers: res.headers,
      body: text.length === 0 ? {} : (JSON.parse(text) as Record<string, unknown>),
    };
  }

  const token = (scope: string, extra: Record<string, unknown> = {}) =>
    issuer.sign({ sub: 'alice', aud: audience, scope, ...extra });

  it('forwards an authorized request over mTLS with an internal token, and answers with security headers', async () => {
    const created = await call('POST', '/orders', {
      token: await token('orders:write orders:read'),
      body: { items: [{ sku: 'TEA-GREEN', quantity: 2 }] },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body['id'] as string;
    const read = await call('GET', `/orders/${id}`, { token: await token('orders:read') });
    assert.equal(read.status, 200);
    assert.equal(read.body['id'], id);
    assert.match(String(read.headers['strict-transport-security']), /max-age=\d+/);
    assert.equal(read.headers['x-content-type-options'], 'nosniff');
    assert.equal(read.headers['server'], undefined);
    assert.equal(read.headers['x-powered-by'], undefined);
  });

  const refusals: {
    name: string;
    method: 'GET' | 'POST';
    path: string;
    token?: () => Promise<string>;
    status: number;
    code: string;
  }[] = [
    { name: 'no token', method: 'GET', path: '/orders', status: 401, code: 'GW_TOKEN_MISSING' },
    {
      name: 'a token without the scope',
      method: 'GET',
      path: '/orders',
      token: () => token('profile:read'),
      status: 403,
      code: 'GW_FORBIDDEN',
    },
    {
      name: 'a token for another audience',
      method: 'GET',
      path: '/orders',
      token: () => issuer.sign({ sub: 'alice', aud: 'https://elsewhere.example', scope: 'orders:read' }),
      status: 401,
      code: 'GW_TOKEN_INVALID',
    },
    {
      name: 'an ID token (typ JWT) used as an access token',
      method: 'GET',
      path: '/orders',
      token: () => issuer.sign({ sub: 'alice', aud: audience, scope: 'orders:read' }, { typ: 'JWT' }),
      status: 401,
      code: 'GW_TOKEN_INVALID',
    },
    {
      name: 'an encoded slash',
      method: 'GET',
      path: '/orders/a%2f..%2fb',
      token: () => token('orders:read'),
      status: 400,
      code: 'GW_BAD_PATH',
    },
    {
      name: 'a route that does not exist',
      method: 'GET',
      path: '/payments',
      token: () => token('orders:read'),
      status: 404,
      code: 'GW_ROUTE_NOT_FOUND',
    },
    {
      name: 'a body that breaks the route schema',
      method: 'POST',
      path: '/orders',
      token: () => token('orders:write'),
      status: 400,
      code: 'GW_BAD_REQUEST',
    },
  ];
  for (const refusal of refusals) {
    it(`refuses ${refusal.name}: ${refusal.status} ${refusal.code}`, async () => {
      const res = await call(refusal.method, refusal.path, {
        ...(refusal.token === undefined ? {} : { token: await refusal.token() }),
        ...(refusal.method === 'POST' ? { body: { items: [{ sku: 'TEA-GREEN', quantity: 0 }] } } : {}),
      });
      assert.equal(res.status, refusal.status, JSON.stringify(res.body));
      assert.equal(res.body['code'], refusal.code);
      assert.equal(res.headers['content-type'], 'application/problem+json');
      assert.equal(typeof res.body['requestId'], 'string');
      assert.equal(res.body['detail'], undefined, 'the precise reason stays in the audit trail');
    });
  }

  it('refuses what a URL parser would rewrite, sent raw: dot-segments, backslashes, smuggling shapes', async () => {
    const ca = readFileSync(join(shop.home, 'ca.pem'), 'utf8');
    const raw = (lines: string[]): Promise<string> =>
      new Promise((resolve, reject) => {
        const socket = connect({ host: '127.0.0.1', port: shop.ports.gateway, ca }, () => {
          socket.end(`${lines.join('\r\n')}\r\n\r\n`);
        });
        let answer = '';
        socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
        socket.on('end', () => {
          resolve(answer);
        });
        socket.on('error', reject);
      });
    for (const target of [
      '/orders/../profiles/me',
      '/orders/%2e%2e/profiles/me',
      '/orders\\..\\profiles/me',
      '/orders;jsessionid=x',
    ]) {
      const answer = await raw([`GET ${target} HTTP/1.1`, 'host: 127.0.0.1', 'connection: close']);
      assert.match(answer, /^HTTP\/1\.1 400 /, `${target} → ${answer.split('\r\n')[0]}`);
      assert.match(answer, /"code":"GW_BAD_PATH"/);
    }
    const smuggled = await raw([
      'POST /orders HTTP/1.1',
      'host: 127.0.0.1',
      'content-length: 4',
      'transfer-encoding: chunked',
      'connection: close',
      '',
      '0',
    ]);
    assert.match(smuggled, /^HTTP\/1\.1 400 /);
  });

  it("serves /auth as identity's mount, not a route: path tricks under it refused", async () => {
    const discovery = await request(
      `https://127.0.0.1:${shop.ports.gateway}/auth/.well-known/openid-configuration`,
      { dispatcher: agent },
    );
    const text = await discovery.body.text();
    // Identity's own answer (or, where `rampart up` does not run it, GW_UPSTREAM_UNAVAILABLE):
    // never the router's, since /auth is no route of rampart.yaml.
    assert.doesNotMatch(text, /GW_ROUTE_NOT_FOUND/u, `${discovery.statusCode} ${text}`);
    assert.equal(discovery.headers['x-content-type-options'], 'nosniff');
    // Sent raw: a URL parser would resolve the escaped dot-segment before the gateway saw it.
    const ca = readFileSync(join(shop.home, 'ca.pem'), 'utf8');
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: shop.ports.gateway, ca }, () => {
        socket.end('GET /auth/%2e%2e/orders HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n');
      });
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
      socket.on('end', () => {
        resolve(text);
      });
      socket.on('error', reject);
    });
    assert.match(answer, /^HTTP\/1\.1 400 /u);
    assert.match(answer, /"code":"GW_BAD_PATH"/u);
  });

  it('speaks HTTP/2 (ALPN h2) through the same pipeline and denials', async () => {
    const session = connectHttp2(`https://127.0.0.1:${shop.ports.gateway}`, {
      ca: readFileSync(join(shop.home, 'ca.pem'), 'utf8'),
    });
    const get = (path: string, headers: Record<string, string> = {}) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const stream = session.request({ ':path': path, ...headers });
        let status = 0;
        let body = '';
        stream.on('response', (h) => (status = Number(h[':status'])));
        stream.setEncoding('utf8');
        stream.on('data', (chunk: string) => (body += chunk));
        stream.on('end', () => {
          resolve({ status, body });
        });
        stream.on('error', reject);
      });
    try {
      const ok = await get('/orders', { authorization: `Bearer ${await token('orders:read')}` });
      assert.equal(session.alpnProtocol, 'h2');
      assert.equal(ok.status, 200, ok.body);
      const missing = await get('/orders');
      assert.equal(missing.status, 401);
      assert.match(missing.body, /"code":"GW_TOKEN_MISSING"/u);
      const trick = await get('/orders/%2e%2e/profiles/me');
      assert.equal(trick.status, 400);
      assert.match(trick.body, /"code":"GW_BAD_PATH"/u);
    } finally {
      session.close();
    }
  });

  it('ignores headers that claim an identity', async () => {
    const res = await call('GET', '/orders', {
      headers: { 'x-rampart-user': 'admin', 'x-forwarded-user': 'admin' },
    });
    assert.equal(res.status, 401);
  });

  it('rate-limits a route as rampart.yaml says, with Retry-After', async () => {
    const write = await token('orders:write');
    let limited: Awaited<ReturnType<typeof call>> | undefined;
    for (let i = 0; i < 25 && limited === undefined; i++) {
      const res = await call('POST', '/orders', {
        token: write,
        body: { items: [{ sku: 'MUG-1', quantity: 1 }] },
      });
      if (res.status === 429) limited = res;
    }
    assert.ok(limited !== undefined, 'the 21st POST /orders within a minute is refused');
    assert.equal(limited.body['code'], 'GW_RATE_LIMITED');
    assert.ok(Number(limited.headers['retry-after']) >= 1);
  });

  it('keeps metrics on the admin port, by route template', async () => {
    const text = await (await fetch(`http://127.0.0.1:${shop.ports.admin}/metrics`)).text();
    assert.match(text, /http_requests_total\{[^}]*route="\/orders\/\{id\}"/);
    assert.doesNotMatch(text, /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/);
    // The process's own figures, read from /proc/self under the permission model, once for all workers.
    const resident = /^process_resident_memory_bytes\{[^}]*\} (\d+)$/mu.exec(text)?.[1];
    assert.ok(Number(resident) > 10 * 1024 * 1024, `resident memory reported: ${String(resident)}`);
    assert.match(text, /^process_open_fds\{[^}]*\} [1-9]\d*$/mu);
  });

  it('applies an edited policy at once, without a restart', async () => {
    const reader = await token('orders:read');
    assert.equal((await call('GET', '/orders', { token: reader })).status, 200);
    const file = join(shop.dir, 'rampart.yaml');
    const from = shop.up.output.length;
    // Through the YAML document, not a pattern on the text: an edit that silently matched nothing
    // would leave the policy as it was.
    const doc = parseDocument(readFileSync(file, 'utf8'));
    assert.ok(doc.hasIn(['policies', 'read-orders', 'scopes']));
    doc.setIn(['policies', 'read-orders', 'scopes'], ['orders:read', 'orders:audit']);
    writeFileSync(file, doc.toString());
    await shop.up.waitFor(/applied .* as revision 1/, 10_000, from);
    for (let i = 0; i < 40 && (await call('GET', '/orders', { token: reader })).status === 200; i++)
      await sleep(50);
    const res = await call('GET', '/orders', { token: reader });
    assert.equal(res.status, 403);
    assert.equal(res.body['code'], 'GW_FORBIDDEN');
    assert.doesNotMatch(shop.up.output.slice(from), /gateway\s+exited/, 'the gateway was not restarted');
  });
});
