import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import * as oidc from 'openid-client';
import { startAdminHarness, type AdminHarness } from './admin-support.ts';

interface KeyJson {
  readonly kid: string;
  readonly state: string;
  readonly alg: string;
}

describe('admin API: signing keys', () => {
  let a: AdminHarness;
  let config: oidc.Configuration;

  const jwks = async (): Promise<JSONWebKeySet> =>
    (await (await a.h.fetch(`${a.h.issuer}/jwks`)).json()) as JSONWebKeySet;
  const kids = (set: JSONWebKeySet): string[] => set.keys.map((key) => key.kid ?? '').sort();

  before(async () => {
    a = await startAdminHarness();
    const { issuer } = a.h;
    config = new oidc.Configuration(
      { issuer, token_endpoint: `${issuer}/token` },
      'shop-cli',
      undefined,
      oidc.ClientSecretBasic(a.h.secrets['shop-cli'] ?? ''),
    );
    config[oidc.customFetch] = a.h.fetch as unknown as oidc.CustomFetch;
  });
  after(async () => {
    await a.close();
  });

  it('lists the current and next keys of each algorithm with dates, never key material', async () => {
    const res = await a.call('GET', '/keys');
    assert.equal(res.status, 200);
    const items = res.json['items'] as KeyJson[];
    assert.deepEqual(
      items.map((key) => `${key.state}/${key.alg}`),
      ['current/ES256', 'current/RS256', 'next/ES256', 'next/RS256'],
    );
    for (const member of ['"d"', '"x"', '"y"', 'private', 'jwk'])
      assert.ok(!res.text.includes(member), member);
  });

  it('rotates: the published next key signs, a new next key is published, earlier tokens still verify', async () => {
    const before = (await a.call('GET', '/keys')).json['items'] as KeyJson[];
    const find = (keys: KeyJson[], state: string, alg = 'ES256'): string | undefined =>
      keys.find((key) => key.state === state && key.alg === alg)?.kid;
    const oldCurrent = find(before, 'current');
    const oldNext = find(before, 'next');
    const [oldRsaCurrent, oldRsaNext] = [find(before, 'current', 'RS256'), find(before, 'next', 'RS256')];
    const earlier = await oidc.clientCredentialsGrant(config, { scope: 'orders:read' });
    assert.equal(decodeProtectedHeader(earlier.access_token).kid, oldCurrent);
    const adminTokenBefore = await a.token();

    const from = a.h.events.length;
    const res = await a.call('POST', '/keys/rotate');
    assert.equal(res.status, 200);
    assert.equal(res.json['current'], oldNext, 'the key published in advance is the one that starts signing');
    const after = res.json['items'] as KeyJson[];
    const newNext = find(after, 'next');
    assert.ok(newNext !== undefined && newNext !== oldCurrent && newNext !== oldNext);
    assert.equal(after.find((key) => key.kid === oldCurrent)?.state, 'retired');
    // The RSA key (RS256 ID tokens) is rotated the same way, at the same moment.
    const newRsaNext = find(after, 'next', 'RS256');
    assert.equal(find(after, 'current', 'RS256'), oldRsaNext);
    assert.equal(after.find((key) => key.kid === oldRsaCurrent)?.state, 'retired');
    assert.ok(newRsaNext !== undefined && newRsaNext !== oldRsaCurrent && newRsaNext !== oldRsaNext);
    assert.deepEqual(
      a.eventsSince(from).map((event) => `${event.event}/${event.subject === a.subjectOf(a.admin.id)}`),
      ['admin.keys_rotated/true'],
    );

    const published = await jwks();
    assert.deepEqual(
      kids(published),
      [oldCurrent, oldNext, newNext, oldRsaCurrent, oldRsaNext, newRsaNext].sort(),
      'retired, current and the new next key of each algorithm',
    );
    for (const key of published.keys) assert.equal((key as { d?: string }).d, undefined);
    const { payload } = await jwtVerify(earlier.access_token, createLocalJWKSet(published), {
      issuer: a.h.issuer,
      audience: a.h.identity.settings.apiAudience,
      typ: 'at+jwt',
    });
    assert.equal(payload['client_id'], 'shop-cli');

    const later = await oidc.clientCredentialsGrant(config, { scope: 'orders:read' });
    assert.equal(
      decodeProtectedHeader(later.access_token).kid,
      oldNext,
      'new tokens are signed by the promoted key',
    );
    await jwtVerify(later.access_token, createLocalJWKSet(published), { issuer: a.h.issuer, typ: 'at+jwt' });

    assert.equal(
      (await a.call('GET', '/users', { token: adminTokenBefore })).status,
      200,
      'an admin token signed before still works',
    );
    assert.equal((await a.call('GET', '/users')).status, 200, 'and one signed with the new key');
  });
});
