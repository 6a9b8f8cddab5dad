import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { loadConsoleSite, type ConsoleSite } from '@rampart/console';
import { yamlHead } from '@rampart/testing';
import { startGatewayFixture, type GatewayFixture, type Reply } from './gateway-fixture.ts';

/** The console's CSP; the fixture's issuer is on another origin, which `connect-src` then names. */
const cspFor = (issuer: string): string =>
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  `connect-src 'self' ${new URL(issuer).origin}; base-uri 'none'; form-action 'self'; frame-ancestors 'none'`;
let CSP = '';

const TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
};

function typeOf(path: string): string {
  if (path === '/console/' || path === '/console/callback') return 'text/html; charset=utf-8';
  const type = TYPES[path.slice(path.lastIndexOf('.'))];
  assert.ok(type !== undefined, `a content type for ${path}`);
  return type;
}

/** The headers every console answer has, whatever its status. */
function assertConsoleHeaders(res: Pick<Reply, 'headers'>, what: string): void {
  assert.equal(res.headers['content-security-policy'], CSP, `${what}: CSP`);
  assert.equal(res.headers['x-content-type-options'], 'nosniff', `${what}: nosniff`);
  assert.equal(res.headers['referrer-policy'], 'no-referrer', `${what}: referrer`);
}

describe('the console mount at /console', () => {
  let gw: GatewayFixture;
  let site: ConsoleSite;

  before(async () => {
    gw = await startGatewayFixture({
      services: ['orders'],
      yaml: (ports) => `${yamlHead(ports)}
services:
  orders:
    entry: orders.ts
    port: ${ports.services['orders']}
    callers: [gateway]
`,
    });
    const issuer = gw.issuer;
    CSP = cspFor(issuer);
    site = loadConsoleSite({ gatewayOrigin: gw.audience, issuer });
  });
  after(async () => {
    await gw.close();
  });

  it('serves every file of the console with its content type, cache policy, ETag and the CSP', async () => {
    assert.ok(site.assets.size > 20, 'the pages, modules, styles and vendor files');
    for (const [path, asset] of site.assets) {
      const res = await gw.call(path);
      assert.equal(res.status, 200, path);
      assert.equal(res.headers['content-type'], typeOf(path), path);
      assert.equal(res.headers['cache-control'], asset.cacheControl, path);
      assert.equal(res.headers['etag'], asset.etag, path);
      assert.equal(res.body, asset.body.toString(), path);
      assertConsoleHeaders(res, path);
      assert.equal(res.headers['x-frame-options'], 'DENY', path);
    }
    assert.match(String((await gw.call('/console/')).headers['cache-control']), /no-cache/);
    const vendor = [...site.assets.keys()].find((path) => path.includes('/vendor/lit-html@'));
    assert.match(String((await gw.call(vendor ?? '')).headers['cache-control']), /immutable/);
  });

  it('answers HEAD with the headers alone and a matching If-None-Match with 304', async () => {
    const head = await gw.call('/console/app/main.js', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    assertConsoleHeaders(head, 'HEAD');
    const etag = String(head.headers['etag']);
    const again = await gw.call('/console/app/main.js', { headers: { 'if-none-match': etag } });
    assert.equal(again.status, 304);
    assert.equal(again.body, '');
    assertConsoleHeaders(again, '304');
    const changed = await gw.call('/console/app/main.js', { headers: { 'if-none-match': '"other"' } });
    assert.equal(changed.status, 200);
  });

  it('sends /console to /console/', async () => {
    const res = await gw.call('/console');
    assert.equal(res.status, 301);
    assert.equal(res.headers['location'], '/console/');
    assertConsoleHeaders(res, 'redirect');
  });

  it('answers an unknown path with a 404 problem carrying the CSP, and another method with 405', async () => {
    for (const path of [
      '/console/nope',
      '/console/app/',
      '/console/app/main.ts',
      '/console/index.html',
      '/console/config.json/x',
    ]) {
      const res = await gw.call(path);
      assert.equal(res.status, 404, path);
      assert.equal(res.json()['code'], 'GW_ROUTE_NOT_FOUND', path);
      assertConsoleHeaders(res, path);
    }
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const res = await gw.call('/console/', { method });
      assert.equal(res.status, 405, method);
      assert.equal(res.headers['allow'], 'GET, HEAD', method);
      assertConsoleHeaders(res, method);
    }
  });

  it('never reads outside the console: traversal shapes are refused (raw request lines)', async () => {
    for (const target of [
      '/console/../package.json',
      '/console/..%2fpackage.json',
      '/console/%2e%2e/%2e%2e/package.json',
      '/console/app/../../../../etc/passwd',
      '/console/vendor/lit-html@3.3.3/../../../node_modules/lit-html/package.json',
      '/console/%5c..%5cpackage.json',
      '/console/app%00/main.js',
      '/console//etc/passwd',
    ]) {
      const answer = await gw.raw([`GET ${target} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close']);
      const status = Number(/^HTTP\/1\.1 (\d{3})/u.exec(answer)?.[1]);
      assert.ok(status === 400 || status === 404, `${target}: ${status}`);
      assert.doesNotMatch(answer, /"name":|root:x:0/u, target);
      assert.match(answer, /content-security-policy: default-src 'none'/iu, `${target}: a CSP`);
    }
  });

  it('answers 200 only for the files it loaded, whatever the generated path', async () => {
    const segment = fc.oneof(
      fc.constantFrom(
        '..',
        '.',
        '%2e%2e',
        '%2f',
        '%5c',
        'app',
        'vendor',
        'main.js',
        'console.css',
        '',
        '%00',
        '~',
      ),
      fc.stringMatching(/^[A-Za-z0-9._~%-]{1,12}$/u),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(segment, { minLength: 1, maxLength: 6 }), async (segments) => {
        const target = `/console/${segments.join('/')}`;
        const answer = await gw.raw([`GET ${target} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close']);
        const status = Number(/^HTTP\/1\.1 (\d{3})/u.exec(answer)?.[1]);
        assert.match(answer, /content-security-policy: default-src 'none'/iu, target);
        if (status === 200) {
          const path = decodeURIComponent(target).replaceAll(/\/+/gu, '/');
          assert.ok(site.assets.has(path), `${target} answered 200 but is not a console file`);
        } else {
          assert.ok([301, 400, 404].includes(status), `${target}: ${status}`);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('gives every gateway problem a CSP, outside the console too', async () => {
    const res = await gw.call('/no-such-route');
    assert.equal(res.status, 404);
    assert.equal(res.headers['content-security-policy'], "default-src 'none'; frame-ancestors 'none'");
  });
});
