import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  type JSONWebKeySet,
} from 'jose';
import * as oidc from 'openid-client';
import { startIdentity, type Harness } from '../support/harness.ts';

const API = 'https://127.0.0.1:8443';

describe('client credentials, introspection, revocation, JWKS (openid-client over HTTPS)', () => {
  let h: Harness;
  let config: oidc.Configuration;

  before(async () => {
    h = await startIdentity();
    config = await oidc.discovery(
      new URL(h.issuer),
      'shop-cli',
      undefined,
      oidc.ClientSecretBasic(h.secrets['shop-cli'] ?? ''),
      { [oidc.customFetch]: h.fetch as unknown as oidc.CustomFetch },
    );
  });
  after(async () => {
    await h.close();
  });

  it('publishes discovery with code + S256 only, iss in responses, no implicit or password grant', () => {
    const meta = config.serverMetadata();
    assert.equal(meta.issuer, h.issuer);
    assert.deepEqual(meta.response_types_supported, ['code']);
    assert.deepEqual(meta.code_challenge_methods_supported, ['S256']);
    assert.equal(meta.authorization_response_iss_parameter_supported, true);
    assert.ok(!(meta.grant_types_supported ?? []).includes('password'));
    assert.ok(!(meta.grant_types_supported ?? []).includes('implicit'));
    assert.ok((meta.dpop_signing_alg_values_supported ?? []).length > 0);
    for (const alg of meta.id_token_signing_alg_values_supported ?? [])
      assert.notEqual(alg.slice(0, 2), 'HS');
  });

  it('issues an RFC 9068 JWT access token for the API, signed by a published key', async () => {
    const tokens = await oidc.clientCredentialsGrant(config, { scope: 'orders:read' });
    assert.equal(tokens.token_type.toLowerCase(), 'bearer');
    const header = decodeProtectedHeader(tokens.access_token);
    assert.equal(header.typ, 'at+jwt');
    assert.equal(header.alg, 'ES256');
    const jwks = (await (await h.fetch(`${h.issuer}/jwks`)).json()) as JSONWebKeySet;
    assert.deepEqual(
      jwks.keys.map((key) => key.alg).sort(),
      ['ES256', 'ES256', 'RS256', 'RS256'],
      'the current key and the next one of each algorithm are published',
    );
    for (const key of jwks.keys) assert.equal((key as { d?: string }).d, undefined, 'no private part');
    const { payload } = await jwtVerify(tokens.access_token, createLocalJWKSet(jwks), {
      issuer: h.issuer,
      audience: API,
      typ: 'at+jwt',
    });
    assert.equal(payload['client_id'], 'shop-cli');
    assert.equal(payload.sub, 'client:shop-cli', 'a client is its own subject, in the client namespace');
    assert.equal(payload['scope'], 'orders:read');
    assert.equal((payload.exp ?? 0) - (payload.iat ?? 0), 600);
    assert.ok(h.events.some((e) => e.event === 'token.issued' && e.reason === 'client_credentials'));
  });

  it('binds the token to the client key when it sends a DPoP proof (RFC 9449), and refuses a bad proof', async () => {
    const keys = await generateKeyPair('ES256', { extractable: false });
    const tokens = await oidc.clientCredentialsGrant(
      config,
      { scope: 'orders:read' },
      { DPoP: oidc.getDPoPHandle(config, keys) },
    );
    assert.equal(tokens.token_type.toLowerCase(), 'dpop');
    const cnf = decodeJwt(tokens.access_token)['cnf'] as { jkt?: string } | undefined;
    assert.equal(cnf?.jkt, await calculateJwkThumbprint(await exportJWK(keys.publicKey)));
    const forged = await h.fetch(`${h.issuer}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`shop-cli:${h.secrets['shop-cli'] ?? ''}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
        dpop: 'eyJhbGciOiJub25lIn0.e30.',
      },
      body: 'grant_type=client_credentials&scope=orders:read',
    });
    assert.equal(forged.status, 400);
    assert.equal(((await forged.json()) as { error: string }).error, 'invalid_dpop_proof');
  });

  it('refuses a wrong secret and an unknown client with invalid_client, and records it', async () => {
    for (const [id, secret] of [
      ['shop-cli', 'not-the-secret'],
      ['nobody', 'x'],
    ] as const) {
      const res = await h.fetch(`${h.issuer}/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=client_credentials',
      });
      assert.equal(res.status, 401);
      assert.equal(((await res.json()) as { error: string }).error, 'invalid_client');
    }
    assert.ok(h.events.some((e) => e.event === 'token.refused' && e.reason === 'invalid_client'));
  });

  it('refuses a scope the client was not given, never widens one, and refuses grants it does not have', async () => {
    await assert.rejects(
      oidc.clientCredentialsGrant(config, { scope: 'profile' }),
      (error: { error?: string }) => error.error === 'invalid_scope',
    );
    const narrowed = await oidc.clientCredentialsGrant(config, { scope: 'orders:read made-up:scope' });
    assert.equal(narrowed.scope, 'orders:read', 'an unknown scope is dropped, never granted');
    for (const grant of ['password', 'implicit', 'authorization_code']) {
      const res = await h.fetch(`${h.issuer}/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`shop-cli:${h.secrets['shop-cli'] ?? ''}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: `grant_type=${grant}&username=a&password=b&code=c&redirect_uri=http://x`,
      });
      assert.equal(res.status, 400, grant);
      const body = (await res.json()) as { error: string; error_description: string };
      // Grants the server never offers are unsupported; one it offers to others is not this
      // client's: unauthorized_client (RFC 6749 §5.2).
      assert.equal(
        body.error,
        grant === 'authorization_code' ? 'unauthorized_client' : 'unsupported_grant_type',
      );
    }
  });

  it('introspects and revokes its JWT access tokens (RFC 7662, RFC 7009); the revocation reaches the feed', async () => {
    const tokens = await oidc.clientCredentialsGrant(config, { scope: 'orders:read' });
    const answer = await oidc.tokenIntrospection(config, tokens.access_token);
    assert.equal(answer.active, true);
    assert.equal(answer.client_id, 'shop-cli');
    assert.equal(answer.sub, 'shop-cli');
    assert.equal(answer.scope, 'orders:read');
    assert.equal(answer.aud, API);
    assert.equal(answer.token_type, 'Bearer');
    const { next } = await h.identity.revocations.since(0);
    await oidc.tokenRevocation(config, tokens.access_token);
    assert.equal((await oidc.tokenIntrospection(config, tokens.access_token)).active, false);
    const { entries } = await h.identity.revocations.since(next);
    assert.deepEqual(
      entries.map((entry) => [entry.kind, entry.value]),
      [['subject', 'shop-cli']],
      'a client-credentials token has no grant: the client is revoked as subject',
    );
    assert.ok(h.events.some((e) => e.event === 'token.revoked' && e.reason === 'client_credentials'));
  });

  it('answers malformed requests with RFC 6749 errors, never a stack trace', async () => {
    const res = await h.fetch(`${h.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"grant_type":',
    });
    assert.ok(res.status === 400 || res.status === 401);
    const text = await res.text();
    assert.doesNotMatch(text, /at [A-Za-z]+ \(|node_modules|\.js:\d+/);
    assert.match(text, /"error":"[a-z_]+"/);
  });
});
