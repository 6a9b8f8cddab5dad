import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SignJWT, decodeJwt, decodeProtectedHeader, generateKeyPair, importJWK } from 'jose';
import * as oidc from 'openid-client';
import { startIdentity, type Harness } from '../support/harness.ts';
import { authorization, CALLBACK, exchange, PASSWORD, publicClient, signIn } from '../interaction/support.ts';
import { TestBrowser } from '@rampart/testing';

const API = 'https://127.0.0.1:8443';

const IDENTITY_YAML = `
  clients:
    - id: shop-cli
      type: confidential
      grants: [client_credentials]
      scopes: [orders:read]
    - id: shop-web
      type: public
      grants: [authorization_code, refresh_token]
      redirectUris: [${CALLBACK}]
      postLogoutRedirectUris: [http://127.0.0.1:5173/signed-out]
      scopes: [openid, profile, groups, orders:read]
    - id: web-opaque
      type: public
      grants: [authorization_code]
      redirectUris: [${CALLBACK}]
      scopes: [openid, profile, orders:read]
      accessTokenFormat: opaque
`;

/**
 * Identity's answers where the RFCs and OpenID Connect are precise (the platform-wide suite with an
 * independent client is test/e2e/oidc-conformance): userinfo for the tokens meant for it only,
 * introspection and revocation of identity's own JWTs, and the refusals around them.
 */
describe('OpenID Connect / OAuth 2.0 answers (userinfo, introspection, revocation, POST)', () => {
  let h: Harness;
  let web: oidc.Configuration;
  let cli: oidc.Configuration;
  let tokens: oidc.TokenEndpointResponse;
  let userId: string;

  const userinfo = (token: string, method = 'GET'): Promise<Response> =>
    h.fetch(`${h.issuer}/me`, { method, headers: { authorization: `Bearer ${token}` } });
  const introspect = async (token: string, headers: Record<string, string> = {}): Promise<Response> =>
    h.fetch(`${h.issuer}/token/introspection`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams({ token }).toString(),
    });
  const asShopCli = (): Record<string, string> => ({
    authorization: `Basic ${Buffer.from(`shop-cli:${h.secrets['shop-cli'] ?? ''}`).toString('base64')}`,
  });

  before(async () => {
    h = await startIdentity({ identityYaml: IDENTITY_YAML });
    const user = await h.identity.accounts.createUser({ username: 'uma', password: PASSWORD });
    userId = user.id;
    web = await publicClient(h);
    cli = await oidc.discovery(
      new URL(h.issuer),
      'shop-cli',
      undefined,
      oidc.ClientSecretBasic(h.secrets['shop-cli'] ?? ''),
      { [oidc.customFetch]: h.fetch as unknown as oidc.CustomFetch },
    );
    const auth = await authorization(web, 'openid profile orders:read');
    const done = await signIn(new TestBrowser(h), auth, { username: 'uma', password: PASSWORD });
    tokens = await exchange(web, done.url, auth);
  });
  after(async () => {
    await h.close();
  });

  it('names the API and the userinfo endpoint as audiences of a token granted openid, the API alone otherwise', async () => {
    assert.deepEqual(decodeJwt(tokens.access_token).aud, [API, `${h.issuer}/me`]);
    const service = await oidc.clientCredentialsGrant(cli, { scope: 'orders:read' });
    assert.equal(decodeJwt(service.access_token).aud, API);
  });

  it('serves userinfo by GET and POST to the token granted openid, with the scopes’ claims', async () => {
    for (const method of ['GET', 'POST']) {
      const res = await userinfo(tokens.access_token, method);
      assert.equal(res.status, 200, method);
      assert.deepEqual(await res.json(), { sub: userId, preferred_username: 'uma' }, method);
    }
  });

  it('refuses at userinfo a token not meant for it, forged, or whose grant was revoked', async () => {
    const service = await oidc.clientCredentialsGrant(cli, { scope: 'orders:read' });
    const { privateKey } = await generateKeyPair('ES256');
    const claims = decodeJwt(tokens.access_token);
    const forged = await new SignJWT(claims)
      .setProtectedHeader({ ...decodeProtectedHeader(tokens.access_token), alg: 'ES256' })
      .sign(privateKey);
    for (const [label, token] of [
      ['a client-credentials token (no openid, API audience only)', service.access_token],
      ['a token signed by another key', forged],
      ['an ID token', tokens.id_token ?? ''],
    ] as const) {
      const res = await userinfo(token);
      assert.equal(res.status, 401, label);
      assert.match(res.headers.get('www-authenticate') ?? '', /error="invalid_token"/, label);
    }
    const auth = await authorization(web, 'openid orders:read');
    const done = await signIn(new TestBrowser(h), auth, { username: 'uma', password: PASSWORD });
    const other = await exchange(web, done.url, auth);
    await h.identity.provider().Grant.adapter.destroy(String(decodeJwt(other.access_token)['gid']));
    assert.equal((await userinfo(other.access_token)).status, 401, 'the grant is gone');
  });

  it('tells tokens apart at userinfo by audience alone: the same claims, signed by identity, without the userinfo audience are refused', async () => {
    const [current] = await h.identity.keys.privateJwks();
    assert.ok(current !== undefined);
    const claims = decodeJwt(tokens.access_token);
    const mint = async (aud: string | string[]): Promise<string> =>
      new SignJWT({ ...claims, aud })
        .setProtectedHeader({
          alg: 'ES256',
          typ: 'at+jwt',
          ...(current.kid === undefined ? {} : { kid: current.kid }),
        })
        .sign(await importJWK(current, 'ES256'));
    assert.equal(
      (await userinfo(await mint([API, `${h.issuer}/me`]))).status,
      200,
      'the control: both audiences',
    );
    const apiOnly = await userinfo(await mint(API));
    assert.equal(apiOnly.status, 401, 'a token for the API alone, granted openid all the same');
    assert.match(apiOnly.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    assert.equal((await userinfo(await mint(`${h.issuer}/admin`))).status, 401, 'a token for the admin API');
  });

  it('serves userinfo to a DPoP-bound token only with a proof from its key (RFC 9449)', async () => {
    const dpop = oidc.getDPoPHandle(web, await generateKeyPair('ES256'));
    const auth = await authorization(web, 'openid profile');
    const done = await signIn(new TestBrowser(h), auth, { username: 'uma', password: PASSWORD });
    const bound = await oidc.authorizationCodeGrant(
      web,
      new URL(done.url),
      { pkceCodeVerifier: auth.verifier, expectedState: auth.state },
      undefined,
      { DPoP: dpop },
    );
    assert.equal(bound.token_type.toLowerCase(), 'dpop');
    assert.equal(
      (await userinfo(bound.access_token)).status,
      401,
      'a stolen bound token is useless as a bearer token',
    );
    const res = await oidc.fetchProtectedResource(
      web,
      bound.access_token,
      new URL(`${h.issuer}/me`),
      'GET',
      undefined,
      undefined,
      {
        DPoP: dpop,
      },
    );
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { sub?: string }).sub, userId);
  });

  it('serves userinfo to an opaque token granted openid too', async () => {
    const opaque = await publicClient(h, 'web-opaque');
    const auth = await authorization(opaque, 'openid profile orders:read');
    const done = await signIn(new TestBrowser(h), auth, { username: 'uma', password: PASSWORD });
    const issued = await exchange(opaque, done.url, auth);
    assert.equal(issued.access_token.split('.').length, 1, 'opaque');
    const res = await userinfo(issued.access_token);
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { sub?: string }).sub, userId);
  });

  it('introspects a JWT as RFC 7662 says, and anything that is not a live token of identity as inactive', async () => {
    const auth = asShopCli();
    const service = await oidc.clientCredentialsGrant(cli, { scope: 'orders:read' });
    const own = (await (await introspect(service.access_token, auth)).json()) as Record<string, unknown>;
    assert.equal(own['active'], true);
    assert.equal(own['jti'], decodeJwt(service.access_token).jti);
    const tampered = `${service.access_token.slice(0, -6)}AAAAAA`;
    for (const token of [tokens.access_token, tampered, tokens.id_token ?? '', 'a.b.c', 'x'.repeat(9000)]) {
      const res = await introspect(token, auth);
      assert.equal(res.status, 200);
      assert.deepEqual(
        await res.json(),
        { active: false },
        'another client’s token, forged, an ID token, junk',
      );
    }
  });

  it('refuses introspection and revocation without client authentication, and introspection by a public client', async () => {
    for (const path of ['/token/introspection', '/token/revocation']) {
      const res = await h.fetch(`${h.issuer}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: tokens.access_token }).toString(),
      });
      assert.equal(res.status, 401, path);
      assert.equal(((await res.json()) as { error?: string }).error, 'invalid_client', path);
      assert.match(res.headers.get('www-authenticate') ?? '', /^Basic realm=/, path);
    }
    for (const token of [tokens.access_token, tokens.refresh_token ?? '']) {
      const res = await h.fetch(`${h.issuer}/token/introspection`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token, client_id: 'shop-web' }).toString(),
      });
      assert.equal(res.status, 401);
      assert.equal(((await res.json()) as { error?: string }).error, 'invalid_client');
    }
    assert.ok(h.events.some((e) => e.event === 'introspection.refused' && e.reason === 'invalid_client'));
  });

  it('revokes a JWT access token’s family on request by its client, and not by another', async () => {
    const auth = await authorization(web, 'openid orders:read');
    const done = await signIn(new TestBrowser(h), auth, { username: 'uma', password: PASSWORD });
    const family = await exchange(web, done.url, auth);
    const gid = String(decodeJwt(family.access_token)['gid']);
    const { next } = await h.identity.revocations.since(0);
    await assert.rejects(
      oidc.tokenRevocation(cli, family.access_token),
      (error: { error?: string }) => error.error === 'invalid_request',
      'another client’s token (as oidc-provider answers for the tokens it stores)',
    );
    assert.ok(await h.identity.provider().Grant.find(gid), 'nothing revoked');
    await oidc.tokenRevocation(web, family.access_token);
    assert.equal(await h.identity.provider().Grant.find(gid), undefined, 'the grant is gone');
    const { entries } = await h.identity.revocations.since(next);
    assert.deepEqual(
      entries.map((entry) => [entry.kind, entry.value]),
      [['grant', gid]],
    );
    await assert.rejects(
      oidc.refreshTokenGrant(web, family.refresh_token ?? ''),
      'the refresh token went with it',
    );
    assert.ok(h.events.some((e) => e.event === 'grant.revoked'));
    assert.ok(h.events.some((e) => e.event === 'token.revoked' && e.reason === 'access_token'));
    assert.ok(!h.events.some((e) => e.reason === 'unsupported_token_type'), 'never recorded as a refusal');
  });

  it('answers a POST to the authorization and end-session endpoints with 303 to the same GET request', async () => {
    const auth = await authorization(web, 'openid');
    const query = new URL(auth.url).searchParams.toString();
    for (const path of ['/authorize', '/session/end']) {
      const res = await h.fetch(`${h.issuer}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: query,
        redirect: 'manual',
      });
      assert.equal(res.status, 303, path);
      assert.equal(res.headers.get('location'), `${h.issuer}${path}?${query}`, path);
    }
    const json = await h.fetch(`${h.issuer}/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
      redirect: 'manual',
    });
    assert.equal(json.status, 415, 'only form serialization (OIDC Core §3.1.2.1)');
  });
});
