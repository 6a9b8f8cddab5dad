import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { isRampartError } from '@rampart/errors';
import { verifyDpopProof } from '../../src/auth/dpop.ts';
import { createProofReplayCache } from '../../src/auth/proof-replay.ts';
import { presentedToken } from '../../src/auth/bearer.ts';

const URL_ = 'https://127.0.0.1:8443/orders';
const TOKEN = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.sig';

interface Key {
  readonly privateKey: CryptoKey;
  readonly jwk: JWK;
  readonly jkt: string;
}

async function key(alg = 'ES256'): Promise<Key> {
  const pair = await generateKeyPair(alg);
  const jwk = await exportJWK(pair.publicKey);
  return { privateKey: pair.privateKey, jwk, jkt: await calculateJwkThumbprint(jwk) };
}

const ath = (token: string): string => createHash('sha256').update(token).digest('base64url');

async function proof(
  k: Key,
  claims: Record<string, unknown> = {},
  header: Record<string, unknown> = {},
): Promise<string> {
  const { iat, ...rest } = claims;
  return new SignJWT({ htm: 'GET', htu: URL_, ath: ath(TOKEN), jti: randomUUID(), ...rest })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: k.jwk, ...header })
    .setIssuedAt(typeof iat === 'number' ? iat : undefined)
    .sign(k.privateKey);
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isRampartError(error) && error.code === 'GW_TOKEN_INVALID', String(error));
    return String(error.detail);
  }
  assert.fail('the proof was accepted');
}

describe('DPoP proofs at the gateway (RFC 9449)', () => {
  it('accepts a proof for this request, by the bound key, once', async () => {
    const k = await key();
    const replay = createProofReplayCache();
    const p = await proof(k);
    await verifyDpopProof({ proof: p, method: 'GET', url: URL_, accessToken: TOKEN, jkt: k.jkt }, replay);
    assert.match(
      await refusal(
        verifyDpopProof({ proof: p, method: 'GET', url: URL_, accessToken: TOKEN, jkt: k.jkt }, replay),
      ),
      /replayed/,
    );
  });

  it('matches htu on scheme, host and path only (query ignored, as the RFC says)', async () => {
    const k = await key();
    const p = await proof(k, { htu: `${URL_}?page=2` });
    await verifyDpopProof(
      { proof: p, method: 'GET', url: URL_, accessToken: TOKEN, jkt: k.jkt },
      createProofReplayCache(),
    );
  });

  const cases: [string, (k: Key, other: Key) => Promise<string>, RegExp][] = [
    ['no proof', () => Promise.resolve(''), /no proof/],
    ['a proof by another key', (_k, other) => proof(other), /not the key the token is bound to/],
    ['another method', (k) => proof(k, { htm: 'POST' }), /htm/],
    ['another URL', (k) => proof(k, { htu: 'https://127.0.0.1:8443/profiles/me' }), /htu/],
    ['another host', (k) => proof(k, { htu: 'https://evil.example/orders' }), /htu/],
    ['an old proof', (k) => proof(k, { iat: Math.floor(Date.now() / 1000) - 600 }), /iat/],
    ['a proof from the future', (k) => proof(k, { iat: Math.floor(Date.now() / 1000) + 600 }), /iat/],
    ['another access token', (k) => proof(k, { ath: ath('other-token') }), /ath/],
    ['no jti', (k) => proof(k, { jti: undefined }), /jti/],
    ['the wrong typ', (k) => proof(k, {}, { typ: 'JWT' }), /type|algorithm/],
    [
      'alg none',
      (k) =>
        Promise.resolve(
          `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'dpop+jwt', jwk: k.jwk })).toString('base64url')}.${Buffer.from(
            JSON.stringify({
              htm: 'GET',
              htu: URL_,
              ath: ath(TOKEN),
              jti: 'x',
              iat: Math.floor(Date.now() / 1000),
            }),
          ).toString('base64url')}.`,
        ),
      /signature|type|algorithm/,
    ],
    [
      'a private key in the jwk header',
      async (k) => {
        const pair = await generateKeyPair('ES256', { extractable: true });
        const privateJwk = await exportJWK(pair.privateKey);
        return proof({ ...k, privateKey: pair.privateKey }, {}, { jwk: privateJwk });
      },
      /private/,
    ],
    ['a 5 KB proof', () => Promise.resolve('a'.repeat(5000)), /too large/],
  ];
  for (const [name, make, reason] of cases) {
    it(`refuses ${name}`, async () => {
      const k = await key();
      const other = await key();
      const p = await make(k, other);
      const detail = await refusal(
        verifyDpopProof(
          { proof: p, method: 'GET', url: URL_, accessToken: TOKEN, jkt: k.jkt },
          createProofReplayCache(),
        ),
      );
      assert.match(detail, reason);
    });
  }

  it('fails closed when the replay cache is full of live proofs', async () => {
    const k = await key();
    const replay = createProofReplayCache({ kind: 'memory' }, 2);
    for (let i = 0; i < 2; i++) {
      await verifyDpopProof(
        { proof: await proof(k), method: 'GET', url: URL_, accessToken: TOKEN, jkt: k.jkt },
        replay,
      );
    }
    assert.match(
      await refusal(
        verifyDpopProof(
          { proof: await proof(k), method: 'GET', url: URL_, accessToken: TOKEN, jkt: k.jkt },
          replay,
        ),
      ),
      /replayed/,
    );
  });

  it('refuses with 503 when a shared replay store cannot answer: a proof never gets a second chance', async () => {
    const k = await key();
    const unreachable = { remember: () => Promise.reject(new Error('redis down')) };
    await assert.rejects(
      verifyDpopProof(
        { proof: await proof(k), method: 'GET', url: URL_, accessToken: TOKEN, jkt: k.jkt },
        unreachable,
      ),
      (error: unknown) => isRampartError(error) && error.code === 'GW_UPSTREAM_UNAVAILABLE',
    );
  });

  it('reads the DPoP and Bearer schemes, and refuses two Authorization headers', () => {
    assert.deepEqual(presentedToken(['Authorization', `DPoP ${TOKEN}`]), { scheme: 'dpop', token: TOKEN });
    assert.deepEqual(presentedToken(['authorization', `Bearer ${TOKEN}`]), {
      scheme: 'bearer',
      token: TOKEN,
    });
    assert.throws(() =>
      presentedToken(['authorization', `DPoP ${TOKEN}`, 'Authorization', `Bearer ${TOKEN}`]),
    );
  });
});
