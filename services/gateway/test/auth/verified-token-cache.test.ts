import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { JWSHeaderParameters } from 'jose';
import { isRampartError } from '@rampart/errors';
import type { AccessTokenClaims } from '@rampart/tokens';
import { createJwksCache, type JwksCache, type KeySource } from '../../src/auth/jwks-cache.ts';
import { VerifiedTokenCache } from '../../src/auth/verified-token-cache.ts';
import { createAccessTokenVerifier } from '../../src/auth/verify-access-token.ts';
import {
  AUDIENCE,
  ISSUER,
  makeKey,
  mint,
  startJwksServer,
  type JwksServer,
  type TestKey,
} from './helpers.ts';

function claims(jti: string, expiresAt: number): AccessTokenClaims {
  return Object.freeze({
    subject: 's',
    principalKind: 'user',
    clientId: 'c',
    scopes: [],
    groups: [],
    amr: [],
    expiresAt,
    issuedAt: expiresAt - 60,
    jti,
  });
}

describe('verified-token cache', () => {
  let es: TestKey;
  let server: JwksServer;
  let jwks: JwksCache;

  before(async () => {
    es = await makeKey('ES256', 'es-1');
    server = await startJwksServer([es.publicJwk]);
    jwks = createJwksCache({ url: server.url, dangerouslyAllowHttp: true });
  });

  after(async () => {
    await jwks.close();
    await server.close();
  });

  /** A key source that counts lookups: one lookup per signature verification. */
  function spy(): KeySource & { calls: number } {
    const source = {
      calls: 0,
      getKey(header: JWSHeaderParameters) {
        source.calls += 1;
        return jwks.getKey(header);
      },
    };
    return source;
  }

  it('answers a repeated token without a second signature verification', async () => {
    const keys = spy();
    const verifier = createAccessTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: keys });
    const token = await mint(es);
    const first = await verifier.verify(token);
    const second = await verifier.verify(token);
    assert.equal(keys.calls, 1);
    assert.equal(second, first);
    assert.deepEqual(verifier.cache?.stats(), { size: 1, hits: 1, misses: 1, evictions: 0 });
    await verifier.verify(await mint(es));
    assert.equal(keys.calls, 2);
  });

  it('drops an entry at exp (injected clock), then the token is verified again or refused', async () => {
    let clock = Date.now();
    const keys = spy();
    const verifier = createAccessTokenVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwks: keys,
      now: () => clock,
    });
    const nowSeconds = Math.floor(clock / 1000);
    const token = await mint(es, { nowSeconds, claims: { exp: nowSeconds + 60 } });
    await verifier.verify(token);
    clock = (nowSeconds + 59) * 1000;
    await verifier.verify(token);
    assert.equal(keys.calls, 1);
    clock = (nowSeconds + 60) * 1000;
    await verifier.verify(token); // gone from the cache; still inside jose's clock skew
    assert.equal(keys.calls, 2);
    assert.equal(verifier.cache?.size, 0);
    clock = (nowSeconds + 91) * 1000;
    await assert.rejects(
      verifier.verify(token),
      (error: unknown) => isRampartError(error) && error.code === 'GW_TOKEN_EXPIRED',
    );
  });

  it('never caches a refused token', async () => {
    const keys = spy();
    const verifier = createAccessTokenVerifier({
      issuer: ISSUER,
      audience: 'https://other.example',
      jwks: keys,
    });
    const token = await mint(es);
    await assert.rejects(verifier.verify(token));
    await assert.rejects(verifier.verify(token));
    assert.equal(keys.calls, 2);
    assert.equal(verifier.cache?.size, 0);
  });

  it('is off with cacheMaxEntries: 0', async () => {
    const keys = spy();
    const verifier = createAccessTokenVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwks: keys,
      cacheMaxEntries: 0,
    });
    const token = await mint(es);
    await verifier.verify(token);
    await verifier.verify(token);
    assert.equal(keys.calls, 2);
    assert.equal(verifier.cache, undefined);
  });

  it('keys entries by SHA-256 of the token', () => {
    assert.equal(VerifiedTokenCache.keyOf('abc'), createHash('sha256').update('abc').digest('base64url'));
  });

  it('is bounded: evicts the least recently used entry', () => {
    const exp = Math.floor(Date.now() / 1000) + 600;
    const cache = new VerifiedTokenCache({ maxEntries: 2 });
    cache.set('t1', claims('j1', exp));
    cache.set('t2', claims('j2', exp));
    assert.ok(cache.get('t1') !== undefined); // t1 now most recent
    cache.set('t3', claims('j3', exp));
    assert.equal(cache.size, 2);
    assert.equal(cache.get('t2'), undefined);
    assert.ok(cache.get('t1') !== undefined && cache.get('t3') !== undefined);
    assert.equal(cache.stats().evictions, 1);
  });

  it('does not store claims that are already expired', () => {
    const cache = new VerifiedTokenCache();
    cache.set('t', claims('j', Math.floor(Date.now() / 1000) - 1));
    assert.equal(cache.size, 0);
  });

  it('revoke(jti) drops every token with that jti; clear() drops all', () => {
    const exp = Math.floor(Date.now() / 1000) + 600;
    const cache = new VerifiedTokenCache();
    cache.set('t1', claims('same', exp));
    cache.set('t2', claims('same', exp));
    cache.set('t3', claims('other', exp));
    assert.equal(cache.revoke('same'), 2);
    assert.equal(cache.revoke('same'), 0);
    assert.equal(cache.get('t1'), undefined);
    assert.ok(cache.get('t3') !== undefined);
    cache.clear();
    assert.equal(cache.size, 0);
  });

  it('refuses a nonsensical size', () => {
    assert.throws(() => new VerifiedTokenCache({ maxEntries: 0 }), TypeError);
    assert.throws(() => new VerifiedTokenCache({ maxEntries: 1.5 }), TypeError);
  });
});
