// One access-token verification, two callers: the gateway (`GW_TOKEN_INVALID`) and identity's
// admin API (`invalid_token`, audited as `admin.denied/<reason>`) refuse the same hostile tokens —
// alg none (CVE-2015-9235), HS256 keyed with the public key (CVE-2016-10555), a key in the header
// (CVE-2018-0114, jku/x5u/x5c), crit, an ID token's typ, no kid, iat in the future, JWE, oversized.
// Each token is built the same way for both, with that caller's issuer, audience and real signing
// key: the un-mutated token is accepted by both, so each refusal is the attack's. Before
// @rampart/tokens held the one verification, the admin API answered 200 to a token signed by its
// real key that carried jwk, jku, x5u or x5c in its header, and to one issued an hour ahead.
import assert from 'node:assert/strict';
import { randomUUID, webcrypto } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { exportJWK, generateKeyPair, importJWK, type CryptoKey } from 'jose';
import { ADMIN_CLI_CLIENT_ID, startAdminHarness, type AdminHarness } from '@rampart/identity/testing';
import { b64url, shopYaml, startGatewayFixture, type GatewayFixture } from './shop.ts';

/** One caller as a token issuer sees it: where the token goes, and the key that really signs for it. */
interface Target {
  readonly issuer: string;
  readonly audience: string;
  readonly kid: string;
  readonly privateKey: CryptoKey;
  /** The public JWK as published (what an attacker can read). */
  readonly publicJwk: Readonly<Record<string, unknown>>;
  /** The claims of a token this caller accepts, besides iss, aud, iat, exp, jti. */
  readonly claims: Readonly<Record<string, unknown>>;
}

type Header = Readonly<Record<string, unknown>>;

async function es256(privateKey: CryptoKey, header: Header, payload: object): Promise<string> {
  const input = `${b64url(header)}.${b64url(payload)}`;
  const signature = await webcrypto.subtle.sign(
    { name: 'ECDSA', hash: 'SHA-256' },
    privateKey,
    new TextEncoder().encode(input),
  );
  return `${input}.${Buffer.from(signature).toString('base64url')}`;
}

async function hs256(secret: string, header: Header, payload: object): Promise<string> {
  const input = `${b64url(header)}.${b64url(payload)}`;
  const key = await webcrypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const mac = await webcrypto.subtle.sign('HMAC', key, new TextEncoder().encode(input));
  return `${input}.${Buffer.from(mac).toString('base64url')}`;
}

function payloadFor(target: Target, overrides: Readonly<Record<string, unknown>> = {}): object {
  const now = Math.floor(Date.now() / 1000);
  return {
    ...target.claims,
    iss: target.issuer,
    aud: target.audience,
    jti: randomUUID(),
    iat: now,
    exp: now + 300,
    ...overrides,
  };
}

const header = (target: Target, extra: Header = {}): Header => ({
  alg: 'ES256',
  typ: 'at+jwt',
  kid: target.kid,
  ...extra,
});

/** [attack, the token for a target, the admin API's audit reason]. The gateway answers GW_TOKEN_INVALID to each. */
const attacks: readonly [string, (target: Target) => Promise<string>, string][] = [
  [
    'alg none, unsigned (CVE-2015-9235)',
    (t) => Promise.resolve(`${b64url({ alg: 'none', typ: 'at+jwt' })}.${b64url(payloadFor(t))}.`),
    'malformed_token',
  ],
  [
    'alg none with a kid and a signature segment',
    (t) => Promise.resolve(`${b64url(header(t, { alg: 'none' }))}.${b64url(payloadFor(t))}.c2ln`),
    'algorithm_not_allowed',
  ],
  [
    'HS256 keyed with the public key (CVE-2016-10555)',
    (t) => hs256(JSON.stringify(t.publicJwk), header(t, { alg: 'HS256' }), payloadFor(t)),
    'algorithm_not_allowed',
  ],
  [
    "an embedded jwk, the attacker's (CVE-2018-0114)",
    async (t) => {
      const attacker = await generateKeyPair('ES256', { extractable: true });
      const jwk = await exportJWK(attacker.publicKey);
      return es256(attacker.privateKey, header(t, { jwk }), payloadFor(t));
    },
    'key_in_header',
  ],
  [
    'an embedded jwk, signed by the real key',
    (t) => es256(t.privateKey, header(t, { jwk: t.publicJwk }), payloadFor(t)),
    'key_in_header',
  ],
  [
    'jku pointing elsewhere, signed by the real key',
    (t) => es256(t.privateKey, header(t, { jku: 'https://evil.example/jwks' }), payloadFor(t)),
    'key_in_header',
  ],
  [
    'x5u pointing elsewhere, signed by the real key',
    (t) => es256(t.privateKey, header(t, { x5u: 'https://evil.example/cert.pem' }), payloadFor(t)),
    'key_in_header',
  ],
  [
    'x5c carrying a chain, signed by the real key',
    (t) => es256(t.privateKey, header(t, { x5c: ['MIIBfakecert'] }), payloadFor(t)),
    'key_in_header',
  ],
  [
    'an unknown crit extension, signed by the real key',
    (t) => es256(t.privateKey, header(t, { crit: ['urn:x:ext'], 'urn:x:ext': true }), payloadFor(t)),
    'unsupported_critical',
  ],
  [
    'typ JWT (an ID token as an access token)',
    (t) => es256(t.privateKey, header(t, { typ: 'JWT' }), payloadFor(t)),
    'wrong_token_type',
  ],
  [
    'no kid, signed by the real key',
    (t) => es256(t.privateKey, header(t, { kid: undefined }), payloadFor(t)),
    'malformed_token',
  ],
  [
    'iat an hour in the future, signed by the real key',
    (t) => {
      const now = Math.floor(Date.now() / 1000);
      return es256(t.privateKey, header(t), payloadFor(t, { iat: now + 3600, exp: now + 7200 }));
    },
    'token_not_yet_valid',
  ],
  [
    'a JWE (5 segments)',
    () => Promise.resolve(`${b64url({ alg: 'dir', enc: 'A256GCM' })}..aXY.Y2lwaGVy.dGFn`),
    'malformed_token',
  ],
  [
    'oversized (9 000 characters), signed by the real key',
    (t) => es256(t.privateKey, header(t), payloadFor(t, { pad: 'x'.repeat(9000) })),
    'malformed_token',
  ],
];

describe('regression: the gateway and the admin API refuse the same hostile access tokens', () => {
  let gw: GatewayFixture;
  let admin: AdminHarness;
  let gateway: Target;
  let identity: Target;

  before(async () => {
    [gw, admin] = await Promise.all([
      startGatewayFixture({ services: ['orders'], yaml: (ports) => shopYaml(ports) }),
      startAdminHarness(),
    ]);
    gateway = {
      issuer: gw.issuer,
      audience: gw.audience,
      kid: gw.key.kid,
      privateKey: gw.key.privateKey,
      publicJwk: gw.key.publicJwk,
      claims: { sub: 'alice', client_id: 'shop-web', scope: 'orders:read' },
    };
    const [signing] = await admin.h.identity.keys.privateJwks();
    assert.ok(signing?.kid !== undefined, 'identity has a current signing key with a kid');
    const privateKey = await importJWK(signing, 'ES256');
    assert.ok(!(privateKey instanceof Uint8Array), 'an ES256 key');
    const { kty, crv, x, y, kid } = signing;
    identity = {
      issuer: admin.h.issuer,
      audience: `${admin.h.issuer}/admin`, // the admin API's audience, as its README says
      kid,
      privateKey,
      publicJwk: { kty, crv, x, y, kid, alg: 'ES256', use: 'sig' },
      claims: {
        sub: admin.admin.id,
        client_id: ADMIN_CLI_CLIENT_ID,
        scope: 'admin',
        amr: ['pwd', 'otp', 'mfa'],
      },
    };
  });
  after(async () => {
    await Promise.all([gw.close(), admin.close()]);
  });

  async function atGateway(token: string) {
    const res = await gw.call('/orders/1', { token });
    return { status: res.status, code: res.status === 200 ? undefined : res.json()['code'] };
  }

  async function atAdminApi(token: string) {
    const from = admin.h.events.length;
    const res = await admin.h.fetch(`${admin.base}/users`, { headers: { authorization: `Bearer ${token}` } });
    const body = (await res.json()) as Record<string, unknown>;
    const denied = admin.eventsSince(from).find((event) => event.event === 'admin.denied');
    return { status: res.status, error: body['error'], reason: denied?.reason };
  }

  it('accepts the un-mutated token at both (the control)', async () => {
    assert.deepEqual(await atGateway(await es256(gateway.privateKey, header(gateway), payloadFor(gateway))), {
      status: 200,
      code: undefined,
    });
    const res = await atAdminApi(await es256(identity.privateKey, header(identity), payloadFor(identity)));
    assert.deepEqual(res, { status: 200, error: undefined, reason: undefined });
  });

  for (const [attack, build, reason] of attacks) {
    it(`${attack}: GW_TOKEN_INVALID at the gateway, invalid_token (${reason}) at the admin API`, async () => {
      const hits = () => gw.services.get('orders')?.hits.get('/orders/1') ?? 0;
      const before = hits();
      assert.deepEqual(await atGateway(await build(gateway)), { status: 401, code: 'GW_TOKEN_INVALID' });
      assert.equal(hits(), before, 'the service was not reached');
      assert.deepEqual(await atAdminApi(await build(identity)), {
        status: 401,
        error: 'invalid_token',
        reason,
      });
    });
  }
});
