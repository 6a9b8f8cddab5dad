// Identity headers: a back end trusting `X-Forwarded-User` or `X-Rampart-*` lets a client say who
// it is (the oauth2-proxy / Pomerium / Traefik forward-auth class, and nginx's underscore
// aliases, CVE-2017-7529-era `underscores_in_headers`). `X-Forwarded-For` is a spoofable client IP.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { shopYaml, startGatewayFixture, type GatewayFixture } from './shop.ts';

describe('regression: spoofed identity and client-IP headers', () => {
  let gw: GatewayFixture;
  before(async () => {
    gw = await startGatewayFixture({ services: ['orders'], yaml: (ports) => shopYaml(ports) });
  });
  after(async () => {
    await gw.close();
  });

  it('identity claims are stripped in every spelling, and never authenticate', async () => {
    const claims = {
      'x-rampart-user': 'admin',
      'X-Rampart-Groups': 'admins',
      'x-forwarded-user': 'admin',
      'x-auth-request-user': 'admin',
      'x-remote-user': 'admin',
      'remote-user': 'admin',
      'x-client-cert': 'forged',
    };
    // The underscore spelling alone (beside the dashed one, a request is refused outright).
    const underscored = await gw.call('/catalog?u', {
      headers: { x_forwarded_user: 'admin', X_Rampart_User: 'admin' },
    });
    const seen = (underscored.json() as { headers: Record<string, string> }).headers;
    assert.equal(seen['x_forwarded_user'], undefined);
    assert.equal(seen['x_rampart_user'], undefined);
    assert.equal(
      (await gw.call('/catalog?both', { headers: { x_forwarded_user: 'a', 'x-forwarded-user': 'b' } }))
        .status,
      400,
    );
    const anonymous = await gw.call('/admin', { headers: claims });
    assert.equal(anonymous.status, 401);
    const res = await gw.call('/catalog', { headers: claims });
    const echo = res.json() as { headers: Record<string, string> };
    for (const name of Object.keys(claims)) {
      assert.equal(echo.headers[name.toLowerCase()], undefined, `${name} reached the service`);
    }
  });

  it('X-Forwarded-For from an untrusted peer is not the client IP, nor forwarded as a chain', async () => {
    const res = await gw.call('/catalog?xff', { headers: { 'x-forwarded-for': '10.0.0.1, 192.168.0.1' } });
    const echo = res.json() as { headers: Record<string, string> };
    assert.equal(echo.headers['x-forwarded-for'], '127.0.0.1');
  });

  it('a client token never reaches a service: only an internal token addressed to it', async () => {
    const token = await gw.token({ scope: 'orders:read' });
    const echo = (await gw.call('/orders/1', { token })).json() as { headers: Record<string, string> };
    assert.notEqual(echo.headers['authorization'], `Bearer ${token}`);
    assert.match(echo.headers['authorization'] ?? '', /^Bearer v4\.public\./u);
  });
});
