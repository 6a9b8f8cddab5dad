// CORS origin reflection (any Origin echoed with credentials: the 2016 "exploiting CORS
// misconfigurations" class) and HTTP/2 `:authority` vs `Host` confusion (request routing and
// host-header injection through a front end and a back end reading different hosts).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { shopYaml, startGatewayFixture, type GatewayFixture } from './shop.ts';

describe('regression: CORS reflection and authority confusion', () => {
  let gw: GatewayFixture;
  before(async () => {
    gw = await startGatewayFixture({
      services: ['orders'],
      yaml: (ports) =>
        shopYaml(ports, 'gateway:\n  cors: { origins: ["https://shop.example"], credentials: true }\n'),
    });
  });
  after(async () => {
    await gw.close();
  });

  for (const origin of [
    'https://evil.example',
    'https://shop.example.evil.example',
    'null',
    'https://shop.example:8443',
  ]) {
    it(`never reflects ${origin}`, async () => {
      const res = await gw.call('/catalog', { headers: { origin } });
      assert.equal(res.status, 403);
      assert.equal(res.headers['access-control-allow-origin'], undefined);
    });
  }

  it('an HTTP/2 request whose Host differs from :authority is refused', async () => {
    const res = await gw.h2('/catalog', { headers: { ':authority': '127.0.0.1', host: 'evil.example' } });
    assert.equal(res.status, 400);
    assert.equal(res.json()['code'], 'GW_BAD_HEADER');
  });
});
