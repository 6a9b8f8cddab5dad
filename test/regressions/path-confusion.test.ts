// Path confusion: a gateway and the service behind it read one path two ways, and a protected
// route is reached through an unprotected reading. Each case is a known CVE class; every one must be
// refused (400 GW_BAD_PATH) or, where one meaning is safe (duplicate slashes), read that way and
// still authorized — never forwarded as written.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { shopYaml, startGatewayFixture, upstreamHits, type GatewayFixture } from './shop.ts';

const refused: [cve: string, target: string][] = [
  ['CVE-2020-1957 (Shiro) / Tomcat: path parameter `..;/`', '/orders/..;/admin'],
  ['CVE-2020-1957 variant: `;` in a segment', '/admin;jsessionid=x'],
  ['CVE-2021-41773 (httpd): encoded dot-segment `.%2e`', '/orders/.%2e/admin'],
  ['CVE-2021-41773: `%2e%2e`', '/orders/%2e%2e/admin'],
  ['CVE-2021-42013 (httpd): double-encoded dot `%%32%65`', '/orders/%%32%65%%32%65/admin'],
  ['CVE-2021-42013: `%252e%252e`', '/orders/%252e%252e/admin'],
  ['CVE-2019-9901 (Envoy) class: encoded slash `%2f`', '/orders%2f..%2fadmin'],
  ['encoded slash, lower and upper case', '/orders/%2F..%2Fadmin'],
  ['IIS/Tomcat class: backslash', '/orders\\..\\admin'],
  ['encoded backslash `%5c`', '/orders/%5c..%5cadmin'],
  ['plain dot-segment sent raw', '/orders/../admin'],
  ['trailing dot-segment', '/admin/.'],
  ['CVE-2007-0450 class: overlong UTF-8 `%c0%ae`', '/orders/%c0%ae%c0%ae/admin'],
  ['fullwidth dot-segment (NFKC folds to `..`)', '/orders/%EF%BC%8E%EF%BC%8E/admin'],
  ['NUL byte', '/admin%00.json'],
  ['fragment sent to the server', '/admin#x'],
  ['absolute-form target', 'https://internal.example/admin'],
];

describe('regression: path confusion (gateway CVE classes)', () => {
  let gw: GatewayFixture;
  before(async () => {
    gw = await startGatewayFixture({ services: ['orders'], yaml: (ports) => shopYaml(ports) });
  });
  after(async () => {
    await gw.close();
  });

  for (const [cve, target] of refused) {
    it(`${cve}: ${target} is refused before any service`, async () => {
      const before = upstreamHits(gw.services.get('orders')?.hits);
      const answer = await gw.raw([`GET ${target} HTTP/1.1`, 'host: 127.0.0.1', 'connection: close']);
      assert.match(answer, /^HTTP\/1\.1 400 /u, answer.split('\r\n')[0]);
      assert.match(answer, /"code":"GW_BAD_PATH"/u);
      assert.equal(upstreamHits(gw.services.get('orders')?.hits), before);
    });
  }

  it('duplicate slashes `//admin`: collapsed, then authorized as /admin (no bypass)', async () => {
    const token = await gw.token({ scope: 'orders:read', groups: ['customers'] });
    const res = await gw.call('//admin', { token });
    assert.equal(res.status, 403);
    assert.equal(res.json()['code'], 'GW_FORBIDDEN');
  });

  it('case `/ADMIN`: a different path, not a bypass of /admin (404)', async () => {
    const res = await gw.call('/ADMIN', { token: await gw.token({ scope: 'orders:read' }) });
    assert.equal(res.status, 404);
  });

  it('trailing slash `/admin/`: not /admin (404), never forwarded', async () => {
    const res = await gw.call('/admin/', { token: await gw.token({ scope: 'orders:read' }) });
    assert.equal(res.status, 404);
  });

  it('the identity mount is no way around: `/auth/..;/admin`, `/auth/%2e%2e/admin` refused', async () => {
    for (const target of ['/auth/..;/admin', '/auth/%2e%2e/admin', '/auth/../admin']) {
      const answer = await gw.raw([`GET ${target} HTTP/1.1`, 'host: 127.0.0.1', 'connection: close']);
      assert.match(answer, /^HTTP\/1\.1 400 /u, target);
    }
    assert.equal(gw.identity.received.length, 0);
  });

  it('HTTP/2 `:path` meets the same rules', async () => {
    for (const [, target] of refused.filter(([, t]) => !t.startsWith('https:') && !t.includes('#'))) {
      const res = await gw.h2(target).catch((error: unknown) => error);
      if (res instanceof Error) continue; // refused by the HTTP/2 layer itself
      assert.equal((res as { status: number }).status, 400, target);
    }
  });
});
