import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTokenKeys, mintInternalToken } from '@rampart/testing';
import { isRampartError } from '@rampart/errors';
import { createInternalTokenVerifier, importInternalTokenKey, requireUser } from '@rampart/sdk';

const constant =
  <T>(value: T) =>
  (): T =>
    value;

describe('createInternalTokenVerifier', () => {
  it('returns a frozen principal with scopes, groups, amr and actor', async () => {
    const keys = await createTokenKeys();
    const verifier = createInternalTokenVerifier({
      publicKeys: constant([await importInternalTokenKey(keys.publicKeyPem)]),
      audience: 'orders',
    });
    const token = await mintInternalToken(keys.privateKey, {
      sub: 'alice',
      aud: 'orders',
      scope: 'a  b',
      groups: ['staff'],
      amr: ['pwd', 'otp'],
      act: { sub: 'gateway' },
    });
    const principal = await verifier.verify(token);
    assert.deepEqual(principal, {
      subject: 'alice',
      kind: 'user',
      scopes: ['a', 'b'],
      groups: ['staff'],
      amr: ['pwd', 'otp'],
      actor: 'gateway',
    });
    assert.ok(Object.isFrozen(principal) && Object.isFrozen(principal.scopes));
  });

  it('tells a client from a user by the subject namespace, and refuses a malformed client subject', async () => {
    const keys = await createTokenKeys();
    const verifier = createInternalTokenVerifier({
      publicKeys: constant([await importInternalTokenKey(keys.publicKeyPem)]),
      audience: 'orders',
    });
    const verify = async (sub: string) =>
      verifier.verify(await mintInternalToken(keys.privateKey, { sub, aud: 'orders' }));
    const user = await verify('e3b0c442-98fc-4c14-9afb-f4c8996fb924');
    const client = await verify('client:billing-job');
    assert.equal(user.kind, 'user');
    assert.equal(client.kind, 'client');
    assert.equal(client.subject, 'client:billing-job');
    requireUser(user);
    assert.throws(
      () => {
        requireUser(client);
      },
      (error) => isRampartError(error) && error.code === 'SDK_FORBIDDEN',
    );
    for (const sub of ['client:', 'client:Billing', 'client:e3b0c442-98fc-4c14-9afb-f4c8996fb924']) {
      await assert.rejects(
        verify(sub),
        (error) => isRampartError(error) && error.code === 'SDK_TOKEN_INVALID',
        sub,
      );
    }
  });

  it('serves a cached verification only until the token expires', async () => {
    const keys = await createTokenKeys();
    let now = new Date();
    const verifier = createInternalTokenVerifier({
      publicKeys: constant([await importInternalTokenKey(keys.publicKeyPem)]),
      audience: 'orders',
      now: () => now,
    });
    const token = await mintInternalToken(
      keys.privateKey,
      { sub: 'alice', aud: 'orders' },
      { expiresIn: 60, now },
    );
    const first = await verifier.verify(token);
    assert.equal(await verifier.verify(token), first);
    now = new Date(now.getTime() + 120_000);
    await assert.rejects(
      verifier.verify(token),
      (error) => isRampartError(error) && error.code === 'SDK_TOKEN_INVALID',
    );
  });

  it('importInternalTokenKey refuses a key that is not Ed25519', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    await assert.rejects(importInternalTokenKey(pem), TypeError);
    await assert.rejects(importInternalTokenKey('not a pem'), TypeError);
  });

  it('accepts a token signed by any trusted key, and follows the key set as it changes', async () => {
    const [a, b] = [await createTokenKeys(), await createTokenKeys()];
    const keyA = await importInternalTokenKey(a.publicKeyPem);
    const keyB = await importInternalTokenKey(b.publicKeyPem);
    let trusted = [keyA, keyB];
    const verifier = createInternalTokenVerifier({
      publicKeys: () => trusted,
      audience: 'orders',
      cacheSize: 0,
    });
    const byA = await mintInternalToken(a.privateKey, { sub: 'alice', aud: 'orders' });
    const byB = await mintInternalToken(b.privateKey, { sub: 'alice', aud: 'orders' });
    assert.equal((await verifier.verify(byA)).subject, 'alice');
    assert.equal((await verifier.verify(byB)).subject, 'alice');
    trusted = [keyB]; // key A retired
    await assert.rejects(verifier.verify(byA), { code: 'SDK_TOKEN_INVALID' });
    assert.equal((await verifier.verify(byB)).subject, 'alice');
    // A claim failure under the right key is not retried with another key.
    trusted = [keyA, keyB];
    const wrongAudience = await mintInternalToken(a.privateKey, { sub: 'alice', aud: 'payments' });
    await assert.rejects(verifier.verify(wrongAudience), (error: Error & { detail?: string }) =>
      /ERR_PASETO_CLAIM_VALIDATION/.test(error.detail ?? ''),
    );
  });
});
