// Access-token attacks, each a CVE class against JWT libraries and gateways: `alg: none`
// (CVE-2015-9235), HS256 signed with the RSA/EC public key (CVE-2016-10555, CVE-2016-5431),
// embedded `jwk` (CVE-2018-0114), `jku`/`x5u` pointing elsewhere, `kid` path and SQL injection,
// `crit` headers, ID tokens used as access tokens, oversized tokens.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { b64url, mint, shopYaml, startGatewayFixture, type GatewayFixture } from './shop.ts';

describe('regression: access-token attacks', () => {
  let gw: GatewayFixture;
  before(async () => {
    gw = await startGatewayFixture({ services: ['orders'], yaml: (ports) => shopYaml(ports) });
  });
  after(async () => {
    await gw.close();
  });

  const claims = () => ({
    iss: gw.issuer,
    aud: gw.audience,
    sub: 'mallory',
    client_id: 'x',
    scope: 'orders:read',
    groups: ['admins'],
    jti: 'j',
    iat: Math.floor(Date.now() / 1000),
    exp: Math.floor(Date.now() / 1000) + 300,
  });

  const attacks: [cve: string, token: () => Promise<string> | string][] = [
    ['CVE-2015-9235: alg none', () => `${b64url({ alg: 'none', typ: 'at+jwt' })}.${b64url(claims())}.`],
    [
      'CVE-2016-10555: HS256 keyed with the public key',
      () => {
        const head = `${b64url({ alg: 'HS256', typ: 'at+jwt', kid: gw.key.kid })}.${b64url(claims())}`;
        const mac = createHmac('sha256', JSON.stringify(gw.key.publicJwk)).update(head).digest('base64url');
        return `${head}.${mac}`;
      },
    ],
    [
      'CVE-2018-0114: embedded jwk',
      () => mint(gw.key, { header: { jwk: gw.key.publicJwk }, claims: claims() }),
    ],
    [
      'jku pointing elsewhere',
      () => mint(gw.key, { header: { jku: 'https://evil.example/jwks' }, claims: claims() }),
    ],
    [
      'x5u pointing elsewhere',
      () => mint(gw.key, { header: { x5u: 'https://evil.example/cert' }, claims: claims() }),
    ],
    ['kid with a path', () => mint(gw.key, { header: { kid: '../../../../dev/null' }, claims: claims() })],
    ['kid with SQL', () => mint(gw.key, { header: { kid: "' OR 1=1 --" }, claims: claims() })],
    [
      'an unknown crit header',
      () =>
        mint(gw.key, {
          header: { crit: ['x-ext'], 'x-ext': 1 },
          claims: claims(),
          signOptions: { crit: { 'x-ext': true } },
        }),
    ],
    [
      'an ID token (typ JWT) as an access token',
      () => mint(gw.key, { header: { typ: 'JWT' }, claims: claims() }),
    ],
    ['another audience', () => mint(gw.key, { claims: { ...claims(), aud: 'https://elsewhere.example' } })],
    ['another issuer', () => mint(gw.key, { claims: { ...claims(), iss: 'https://evil.example' } })],
    ['expired', () => mint(gw.key, { claims: { ...claims(), exp: Math.floor(Date.now() / 1000) - 600 } })],
    [
      'not yet valid',
      () => mint(gw.key, { claims: { ...claims(), nbf: Math.floor(Date.now() / 1000) + 600 } }),
    ],
    [
      'a tampered payload',
      async () => {
        const [head, , sig] = (await gw.token({ scope: 'profile:read' })).split('.');
        return `${head ?? ''}.${b64url(claims())}.${sig ?? ''}`;
      },
    ],
    ['a 100 KB token', () => 'a'.repeat(100_000)],
  ];

  for (const [cve, token] of attacks) {
    it(`${cve}: 401, and the admin route is not reached`, async () => {
      const res = await gw.call('/admin', { token: await token() });
      // 401 from the verifier; a token past the header limit never gets that far (400/431).
      assert.ok([400, 401, 431].includes(res.status), `${res.status} ${res.body}`);
      assert.notEqual(res.status, 200);
      assert.equal(gw.services.get('orders')?.hits.get('/admin'), undefined);
    });
  }
});
