import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { PublicProtocol } from 'paseto';
import { SignFactory } from 'paseto/v4/public';
import {
  importInternalTokenKey,
  importInternalTokenSigningKey,
  loadInternalTokenKeyPair,
  MAX_ACT_DEPTH,
  signInternalToken,
  verifyInternalToken,
  type InternalActor,
  type InternalTokenRefusal,
  type PublicKey,
  type SecretKey,
} from '@rampart/tokens';

const v4 = new PublicProtocol(SignFactory);
const NOW = new Date('2030-01-01T00:00:00.000Z');

interface Pair {
  readonly privatePem: string;
  readonly publicPem: string;
  readonly secretKey: SecretKey;
  readonly publicKey: PublicKey;
}

async function pair(): Promise<Pair> {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return {
    privatePem,
    publicPem,
    secretKey: await importInternalTokenSigningKey(privatePem),
    publicKey: await importInternalTokenKey(publicPem),
  };
}

function chain(depth: number): InternalActor {
  return depth === 1 ? { sub: 'svc-1' } : { sub: `svc-${depth}`, act: chain(depth - 1) };
}

describe('signInternalToken and verifyInternalToken', () => {
  it('round-trips every claim', async () => {
    const keys = await pair();
    const act = { sub: 'orders', act: { sub: 'profiles' } };
    const token = await signInternalToken(keys.secretKey, {
      sub: 'alice',
      aud: 'payments',
      scope: 'a b',
      groups: ['staff'],
      amr: ['pwd'],
      act,
      issuedAt: NOW,
      expiresAt: new Date(NOW.getTime() + 60_000),
    });
    const verified = await verifyInternalToken(token, {
      publicKeys: [keys.publicKey],
      audience: 'payments',
      now: NOW,
    });
    assert.deepEqual(verified, {
      ok: true,
      token: {
        sub: 'alice',
        aud: 'payments',
        scope: 'a b',
        groups: ['staff'],
        amr: ['pwd'],
        act,
        expiresAtMs: NOW.getTime() + 60_000,
      },
    });
  });

  it('accepts a token of either trusted signer (the gateway’s and the mesh’s)', async () => {
    const [gateway, mesh] = [await pair(), await pair()];
    for (const signer of [gateway, mesh]) {
      const token = await signInternalToken(signer.secretKey, {
        sub: 'alice',
        aud: 'orders',
        issuedAt: NOW,
        expiresAt: new Date(NOW.getTime() + 60_000),
      });
      const verified = await verifyInternalToken(token, {
        publicKeys: [mesh.publicKey, gateway.publicKey],
        audience: 'orders',
        now: NOW,
      });
      assert.ok(verified.ok);
    }
  });

  const minute = 60_000;
  const raw = (claims: Record<string, unknown>) => async (keys: Pair) =>
    v4.Sign(
      keys.secretKey,
      { iss: 'rampart', sub: 'alice', aud: 'orders', ...claims },
      { now: NOW, expiresIn: 60 },
    );
  const cases: readonly [
    name: string,
    make: (keys: Pair) => Promise<string>,
    reason: InternalTokenRefusal,
  ][] = [
    ['a token over 4096 characters', () => Promise.resolve(`v4.public.${'A'.repeat(5000)}`), 'malformed'],
    ['a v4.local token', () => Promise.resolve('v4.local.abc'), 'malformed'],
    ['garbage', () => Promise.resolve('v4.public.garbage'), 'untrusted'],
    ['another issuer', raw({ iss: 'evil' }), 'claims'],
    ['another audience', raw({ aud: 'payments' }), 'claims'],
    ['no sub', raw({ sub: undefined }), 'claims'],
    [
      'expired beyond the skew',
      (k) =>
        v4.Sign(
          k.secretKey,
          { iss: 'rampart', sub: 'a', aud: 'orders' },
          { now: new Date(NOW.getTime() - 2 * minute), expiresIn: 60 },
        ),
      'claims',
    ],
    [
      'a lifetime of an hour',
      (k) => v4.Sign(k.secretKey, { iss: 'rampart', sub: 'a', aud: 'orders' }, { now: NOW, expiresIn: 3600 }),
      'lifetime',
    ],
    [
      'iat to exp over 5 minutes',
      raw({ iat: new Date(NOW.getTime() - 10 * minute).toISOString() }),
      'lifetime',
    ],
    ['an empty sub', raw({ sub: '' }), 'claim_type'],
    ['a sub of 256 characters', raw({ sub: 'a'.repeat(256) }), 'claim_type'],
    ['a scope that is a list', raw({ scope: ['a'] }), 'claim_type'],
    ['groups that are a string', raw({ groups: 'staff' }), 'claim_type'],
    ['amr holding a number', raw({ amr: ['pwd', 1] }), 'claim_type'],
    ['act that is a string', raw({ act: 'orders' }), 'claim_type'],
    ['act without sub', raw({ act: { act: { sub: 'x' } } }), 'claim_type'],
    ['act deeper than MAX_ACT_DEPTH', raw({ act: chain(MAX_ACT_DEPTH + 1) }), 'claim_type'],
  ];
  for (const [name, make, reason] of cases) {
    it(`refuses ${name} as ${reason}, never quoting the token`, async () => {
      const keys = await pair();
      const token = await make(keys);
      const verified = await verifyInternalToken(token, {
        publicKeys: [keys.publicKey],
        audience: 'orders',
        now: NOW,
      });
      assert.ok(!verified.ok);
      assert.equal(verified.reason, reason, verified.detail);
      assert.ok(!verified.detail.includes(token.slice(10, 30)));
    });
  }

  it('accepts an act chain of exactly MAX_ACT_DEPTH', async () => {
    const keys = await pair();
    const token = await raw({ act: chain(MAX_ACT_DEPTH) })(keys);
    assert.ok(
      (await verifyInternalToken(token, { publicKeys: [keys.publicKey], audience: 'orders', now: NOW })).ok,
    );
  });

  it('refuses a token signed by no trusted key, and any token when no key is trusted', async () => {
    const [signer, other] = [await pair(), await pair()];
    const token = await raw({})(signer);
    const untrusted = await verifyInternalToken(token, {
      publicKeys: [other.publicKey],
      audience: 'orders',
      now: NOW,
    });
    assert.ok(!untrusted.ok && untrusted.reason === 'untrusted');
    const none = await verifyInternalToken(token, { publicKeys: [], audience: 'orders', now: NOW });
    assert.ok(!none.ok && none.reason === 'untrusted' && none.detail === 'no internal token key is trusted');
  });

  it('does not retry a claim failure with another key', async () => {
    const [a, b] = [await pair(), await pair()];
    const token = await raw({ aud: 'payments' })(a);
    const verified = await verifyInternalToken(token, {
      publicKeys: [a.publicKey, b.publicKey],
      audience: 'orders',
      now: NOW,
    });
    assert.ok(!verified.ok && verified.reason === 'claims');
    assert.match(verified.detail, /ERR_PASETO_CLAIM_VALIDATION/);
  });
});

describe('internal token keys', () => {
  it('refuses keys that are not Ed25519, naming the mistake without quoting the key', async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await assert.rejects(
      importInternalTokenKey(ec.publicKey.export({ type: 'spki', format: 'pem' }).toString()),
      TypeError,
    );
    await assert.rejects(importInternalTokenKey('not a pem'), TypeError);
    await assert.rejects(
      importInternalTokenSigningKey(ec.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()),
      /must be Ed25519/,
    );
    await assert.rejects(importInternalTokenSigningKey('not a pem'), /not a PEM private key/);
  });

  it('loads a matching pair and refuses two halves of different pairs', async () => {
    const [a, b] = [await pair(), await pair()];
    const loaded = await loadInternalTokenKeyPair(a.privatePem, a.publicPem);
    assert.equal(loaded.publicKeyPem.trim(), a.publicPem.trim());
    await assert.rejects(loadInternalTokenKeyPair(a.privatePem, b.publicPem), /not a pair/);
  });
});
