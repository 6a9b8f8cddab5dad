// The gateway in front of HTTPS upstreams outside the mesh (rampart.yaml `external`), under
// `rampart up`: a route reaches the partner's server over TLS pinned to the partner's CA, under the
// URL's base path, and the partner sees none of the client's credentials nor anything of the
// platform's inside; an upstream whose certificate another CA signed is refused with a 502
// GW_UPSTREAM_TLS problem (and one clear log line), and a replaced CA file is pinned within seconds.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { Agent, request } from 'undici';
import {
  freePorts,
  partnerCa,
  startPartnerServer,
  startShop,
  tempDir,
  type PartnerCa,
  type PartnerRequest,
  type PartnerServer,
  type RunningShop,
  type TempDir,
} from '@rampart/testing';

/** Stands in for identity: an issuer publishing one ES256 key at /jwks (as gateway.test.ts does). */
async function startIssuer(): Promise<{ url: string; key: CryptoKey; server: Server }> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  const [port] = await freePorts(1);
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${port}`, key: privateKey, server };
}

describe('external upstreams: HTTPS outside the mesh, pinned CA, nothing of the platform sent out', () => {
  let files: TempDir;
  let partner: PartnerCa;
  let other: PartnerCa;
  let good: PartnerServer;
  let rogue: PartnerServer;
  let shop: RunningShop;
  let issuer: Awaited<ReturnType<typeof startIssuer>>;
  let agent: Agent;
  const rogueCaFile = (): string => join(files.path, 'rogue-ca.pem');

  before(async () => {
    files = await tempDir('rampart-e2e-external-');
    partner = await partnerCa(files.path, 'partner');
    other = await partnerCa(files.path, 'other');
    good = await startPartnerServer(await partner.issue({ ipSans: ['127.0.0.1'] }));
    // Signed by another CA than the one pinned for it.
    rogue = await startPartnerServer(await other.issue({ ipSans: ['127.0.0.1'] }));
    writeFileSync(rogueCaFile(), partner.pem);
    issuer = await startIssuer();
    shop = await startShop({
      edit: (yaml) =>
        `${yaml.replace(
          /^identity:\n/m,
          `identity:\n  issuer: ${issuer.url}\n  dangerouslyAllowHttpIssuer: true\n`,
        )}
external:
  partner:
    url: https://127.0.0.1:${good.port}/base/v1
    ca: ${partner.file}
    routes:
      - { method: GET, path: '/partner/quotes/{id}', policy: read-orders }
      - { method: POST, path: /partner/orders, policy: write-orders }
  rogue:
    url: https://127.0.0.1:${rogue.port}
    ca: ${rogueCaFile()}
    routes:
      - { method: GET, path: /rogue/quotes, policy: read-orders }
`,
    });
    agent = new Agent({ connect: { ca: readFileSync(join(shop.home, 'ca.pem'), 'utf8') } });
  });

  after(async () => {
    await agent.close();
    await shop.stop();
    await Promise.all([good.close(), rogue.close()]);
    await new Promise((resolve) => issuer.server.close(resolve));
    await files.cleanup();
  });

  async function token(scope: string): Promise<string> {
    return new SignJWT({ client_id: 'shop-cli', scope })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'k1' })
      .setIssuer(issuer.url)
      .setAudience(`https://127.0.0.1:${shop.ports.gateway}`)
      .setSubject('alice')
      .setIssuedAt()
      .setJti(randomUUID())
      .setExpirationTime('5m')
      .sign(issuer.key);
  }

  async function call(
    method: 'GET' | 'POST',
    path: string,
    headers: Record<string, string>,
    body?: string,
  ): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
    const res = await request(`https://127.0.0.1:${shop.ports.gateway}${path}`, {
      dispatcher: agent,
      method,
      headers,
      ...(body === undefined ? {} : { body }),
    });
    return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
  }

  it('forwards an authorized request under the base path; the partner sees no credential, token or x-rampart-*', async () => {
    const access = await token('orders:read');
    const answer = await call('GET', '/partner/quotes/42?fx=EUR', {
      authorization: `Bearer ${access}`,
      cookie: '_session=identity-session; other=1',
      'x-rampart-subject': 'forged-subject',
      'x-rampart-token': 'v4.public.forged',
      'x-forwarded-for': '10.9.9.9',
      accept: 'application/json',
    });
    assert.equal(answer.status, 200, answer.text);
    const seen = JSON.parse(answer.text) as PartnerRequest;
    assert.equal(seen.url, '/base/v1/partner/quotes/42?fx=EUR');
    const sent = JSON.stringify(seen.headers);
    for (const name of ['authorization', 'cookie', 'dpop', 'x-forwarded-for', 'traceparent', 'tracestate']) {
      assert.equal(seen.headers[name], undefined, `${name} reached the partner: ${sent}`);
    }
    assert.deepEqual(
      Object.keys(seen.headers).filter((name) => name.startsWith('x-rampart-')),
      [],
      sent,
    );
    // Neither the client's token nor any internal token (PASETO v4.public) left the platform.
    assert.ok(!sent.includes(access), sent);
    assert.ok(!sent.includes('v4.public'), sent);
    assert.equal(seen.headers['accept'], 'application/json');
    assert.equal(seen.headers['x-request-id'], answer.headers['x-request-id']);
    // The answer is sanitized like a service's: no cookie of the partner's, no banner; security headers.
    assert.equal(answer.headers['set-cookie'], undefined);
    assert.equal(answer.headers['server'], undefined);
    assert.equal(answer.headers['x-content-type-options'], 'nosniff');
  });

  it('applies the route policy before anything goes out', async () => {
    const before = good.received.length;
    const anonymous = await call('GET', '/partner/quotes/1', {});
    assert.equal(anonymous.status, 401);
    const unscoped = await call(
      'POST',
      '/partner/orders',
      {
        authorization: `Bearer ${await token('orders:read')}`,
        'content-type': 'application/json',
      },
      '{}',
    );
    assert.equal(unscoped.status, 403);
    assert.equal(good.received.length, before);
  });

  it('keeps a path inside the base: a dot segment never reaches the partner', async () => {
    const before = good.received.length;
    const answer = await call('GET', '/partner/quotes/%2e%2e', {
      authorization: `Bearer ${await token('orders:read')}`,
    });
    assert.ok(answer.status === 400 || answer.status === 404, `${answer.status} ${answer.text}`);
    assert.equal(good.received.length, before);
  });

  it('refuses an upstream whose certificate another CA signed: 502 GW_UPSTREAM_TLS, nothing sent, one clear log line', async () => {
    const answer = await call('GET', '/rogue/quotes', {
      authorization: `Bearer ${await token('orders:read')}`,
    });
    assert.equal(answer.status, 502, answer.text);
    const problem = JSON.parse(answer.text) as { code: string; detail?: string };
    assert.equal(problem.code, 'GW_UPSTREAM_TLS');
    assert.equal(problem.detail, undefined);
    assert.equal(rogue.received.length, 0);
    // The gateway's lines reach its log file through the supervisor: give them a moment.
    const refusals = (): string[] =>
      readFileSync(join(shop.home, 'logs', 'gateway.log'), 'utf8')
        .split('\n')
        .filter((line) => line.includes('GW_UPSTREAM_TLS') && line.includes('"msg":"request refused"'));
    let log = refusals();
    for (let waited = 0; log.length === 0 && waited < 5_000; waited += 100) {
      await sleep(100);
      log = refusals();
    }
    assert.ok(log.length > 0, 'no log line');
    const line = log.at(-1) ?? '';
    assert.match(
      line,
      /external rogue \(https:\/\/127\.0\.0\.1:\d+\): certificate refused against the pinned ca/,
    );
    assert.match(line, /SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE/);
    assert.ok(!line.includes('    at '), 'a stack trace in the log');
  });

  it('pins a replaced CA file within seconds, without a restart', async () => {
    writeFileSync(`${rogueCaFile()}.new`, other.pem);
    renameSync(`${rogueCaFile()}.new`, rogueCaFile());
    const deadline = Date.now() + 15_000;
    let status = 0;
    while (Date.now() < deadline) {
      status = (await call('GET', '/rogue/quotes', { authorization: `Bearer ${await token('orders:read')}` }))
        .status;
      if (status === 200) break;
      await sleep(500);
    }
    assert.equal(status, 200);
    assert.equal(rogue.received.length, 1);
  });
});
