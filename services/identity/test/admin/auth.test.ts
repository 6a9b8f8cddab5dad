import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { startAdminHarness, PASSWORD, type AdminHarness, type TokenOverrides } from './admin-support.ts';

const API_AUDIENCE = 'https://127.0.0.1:8443';

describe('admin API authentication and authorization (RFC 6750, RFC 9068)', () => {
  let a: AdminHarness;
  let plainUserId: string;
  let disabledAdminId: string;

  before(async () => {
    a = await startAdminHarness();
    const plain = await a.h.identity.accounts.createUser({ username: 'plain-user', password: PASSWORD });
    plainUserId = plain.id;
    const disabled = await a.h.identity.accounts.createUser({
      username: 'old-admin',
      password: PASSWORD,
      roles: ['admin'],
    });
    disabledAdminId = disabled.id;
    await a.h.identity.accounts.disableUser(disabled.id);
  });
  after(async () => {
    await a.close();
  });

  it('accepts an admin CLI token with the admin scope and MFA, for an enabled admin', async () => {
    const res = await a.call('GET', '/users');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
  });

  const foreignKey = (async () =>
    exportJWK((await generateKeyPair('ES256', { extractable: true })).privateKey))();

  /** [name, token overrides (or a raw Authorization value), status, error, deny reason, subject known]. */
  const refusals: readonly [
    string,
    TokenOverrides | { raw: string | null },
    number,
    string,
    string,
    boolean,
  ][] = [
    ['no token', { raw: null }, 401, 'invalid_token', 'missing_token', false],
    ['not a bearer token', { raw: 'Basic YWRtaW46YWRtaW4=' }, 401, 'invalid_token', 'malformed_token', false],
    ['garbage', { raw: 'Bearer not.a.jwt' }, 401, 'invalid_token', 'malformed_token', false],
    ['an expired token', { expiresIn: -120 }, 401, 'invalid_token', 'token_expired', true],
    ['a token for the API audience', { aud: API_AUDIENCE }, 401, 'invalid_token', 'wrong_audience', true],
    [
      'a token from another issuer',
      { iss: 'https://evil.example/auth' },
      401,
      'invalid_token',
      'wrong_issuer',
      true,
    ],
    // typ is a header check, made before any key is looked up: no verified subject to audit.
    ['an ID token (typ JWT)', { typ: 'JWT' }, 401, 'invalid_token', 'wrong_token_type', false],
    [
      'a DPoP-bound token sent as bearer',
      { extra: { cnf: { jkt: 'x'.repeat(43) } } },
      401,
      'invalid_token',
      'sender_constrained',
      true,
    ],
    [
      'a token of a client that may not administer',
      { clientId: 'shop-web' },
      401,
      'invalid_token',
      'not_admin_client',
      true,
    ],
    [
      'a token without the admin scope',
      { scope: 'openid profile' },
      403,
      'insufficient_scope',
      'insufficient_scope',
      true,
    ],
    ['a token without MFA', { amr: ['pwd'] }, 403, 'mfa_required', 'mfa_required', true],
    ['a token without amr', { amr: [] }, 403, 'mfa_required', 'mfa_required', true],
    [
      'a token of an unknown user',
      { sub: '00000000-0000-4000-8000-000000000000' },
      401,
      'invalid_token',
      'unknown_subject',
      true,
    ],
  ];

  for (const [name, input, status, error, reason, subjectKnown] of refusals) {
    it(`refuses ${name} (${status} ${error}) and audits admin.denied/${reason}`, async () => {
      const from = a.h.events.length;
      const token = 'raw' in input ? undefined : await a.token(input);
      const res =
        'raw' in input
          ? await a.h.fetch(`${a.base}/users`, {
              headers: input.raw === null ? {} : { authorization: input.raw },
            })
          : await a.h.fetch(`${a.base}/users`, { headers: { authorization: `Bearer ${token ?? ''}` } });
      assert.equal(res.status, status);
      const body = (await res.json()) as Record<string, unknown>;
      assert.equal(body['error'], error);
      assert.equal(typeof body['error_description'], 'string');
      assert.deepEqual(Object.keys(body).sort(), ['error', 'error_description']);
      const challenge = res.headers.get('www-authenticate') ?? '';
      if (status === 401) {
        assert.match(challenge, /^Bearer /);
        if (reason === 'missing_token')
          assert.doesNotMatch(challenge, /error=/, 'RFC 6750 §3.1: no error code without credentials');
        else assert.match(challenge, /error="invalid_token"/);
      }
      if (error === 'insufficient_scope')
        assert.match(challenge, /error="insufficient_scope", scope="admin"/);
      const denied = a.eventsSince(from).filter((event) => event.event === 'admin.denied');
      assert.equal(denied.length, 1);
      assert.equal(denied[0]?.reason, reason);
      assert.equal(denied[0].outcome, 'failure');
      const sub = 'raw' in input ? undefined : (input.sub ?? a.admin.id);
      assert.equal(denied[0].subject, subjectKnown && sub !== undefined ? a.subjectOf(sub) : undefined);
    });
  }

  it('refuses a token signed by a key that is not one of identity’s (even with a known kid)', async () => {
    const [current] = await a.h.identity.keys.privateJwks();
    for (const kid of [current?.kid ?? '', 'unknown-kid']) {
      const from = a.h.events.length;
      const token = await a.token({ key: { ...(await foreignKey), kid } });
      const res = await a.call('GET', '/users', { token });
      assert.equal(res.status, 401);
      assert.equal(res.json['error'], 'invalid_token');
      const reason = a.eventsSince(from).find((event) => event.event === 'admin.denied')?.reason;
      assert.ok(reason === 'bad_signature' || reason === 'unknown_key', String(reason));
    }
  });

  it('refuses alg none and HS256 (a key confusion attempt with the public key as secret)', async () => {
    const claims = { sub: a.admin.id, scope: 'admin', client_id: 'rampart-cli', amr: ['mfa'], jti: 'j' };
    const header = (alg: string) => Buffer.from(JSON.stringify({ alg, typ: 'at+jwt' })).toString('base64url');
    const payload = Buffer.from(
      JSON.stringify({
        ...claims,
        iss: a.h.issuer,
        aud: `${a.h.issuer}/admin`,
        iat: Math.floor(Date.now() / 1000),
        exp: Math.floor(Date.now() / 1000) + 60,
      }),
    ).toString('base64url');
    const none = `${header('none')}.${payload}.`;
    const [current] = await a.h.identity.keys.privateJwks();
    const hs = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
      .setIssuer(a.h.issuer)
      .setAudience(`${a.h.issuer}/admin`)
      .setIssuedAt()
      .setExpirationTime('1m')
      .sign(new TextEncoder().encode(JSON.stringify({ kty: current?.kty, x: current?.x, y: current?.y })));
    for (const token of [none, hs]) {
      const res = await a.call('GET', '/users', { token });
      assert.equal(res.status, 401);
      assert.equal(res.json['error'], 'invalid_token');
    }
  });

  it('refuses a user without the admin role, and a disabled admin (403 access_denied)', async () => {
    for (const [sub, reason] of [
      [plainUserId, 'not_admin'],
      [disabledAdminId, 'account_disabled'],
    ] as const) {
      const from = a.h.events.length;
      const res = await a.call('GET', '/users', { token: await a.token({ sub }) });
      assert.equal(res.status, 403);
      assert.equal(res.json['error'], 'access_denied');
      const denied = a.eventsSince(from).find((event) => event.event === 'admin.denied');
      assert.equal(denied?.reason, reason);
      assert.equal(denied.subject, a.subjectOf(sub));
    }
  });

  it('takes a revoked admin role into account at once, with the same still-valid token', async () => {
    const deputy = await a.h.identity.accounts.createUser({
      username: 'deputy',
      password: PASSWORD,
      roles: ['admin'],
    });
    const token = await a.token({ sub: deputy.id });
    assert.equal((await a.call('GET', '/users', { token })).status, 200);
    await a.h.identity.accounts.revokeRole(deputy.id, 'admin');
    assert.equal((await a.call('GET', '/users', { token })).status, 403);
  });

  it('authenticates before reading the body: an unauthenticated call changes nothing', async () => {
    const before = (await a.h.identity.accounts.listUsers()).users.length;
    const res = await a.call('POST', '/users', { token: null, body: { username: 'sneaky' } });
    assert.equal(res.status, 401);
    assert.equal((await a.h.identity.accounts.listUsers()).users.length, before);
  });

  it('answers an unknown route 404 and a wrong method 405 with Allow, as JSON errors', async () => {
    for (const path of ['/nothing', '/users/', '//users', '/users/x/y/z/w', '']) {
      const res = await a.call('GET', path);
      assert.equal(res.status, 404, path);
      assert.equal(res.json['error'], 'not_found');
    }
    const res = await a.call('PUT', '/users');
    assert.equal(res.status, 405);
    assert.equal(res.json['error'], 'method_not_allowed');
    assert.equal(res.headers.get('allow'), 'GET, POST');
    assert.equal((await a.call('DELETE', '/openapi.json')).status, 405);
  });

  it('leaves paths that merely start with "admin" to the provider', async () => {
    const res = await a.h.fetch(`${a.h.issuer}/administrator`);
    assert.notEqual(res.headers.get('www-authenticate'), 'Bearer realm="rampart-admin"');
  });
});
