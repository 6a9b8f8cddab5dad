import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { PublicProtocol } from 'paseto';
import { PublicKeyFromCryptoKey, VerifyFactory, type PublicKey } from 'paseto/v4/public';
import { createTokenKeys, mintInternalToken, tempDir } from '@rampart/testing';

/** Reads the PEM the way a service does, without depending on @rampart/sdk (which depends on this). */
function importPem(pem: string): Promise<PublicKey> {
  return PublicKeyFromCryptoKey(createPublicKey(pem).toCryptoKey('Ed25519', true, ['verify']));
}

describe('createTokenKeys and mintInternalToken', () => {
  it('mints a v4.public token that the PEM public key verifies', async () => {
    const keys = await createTokenKeys();
    const dir = await tempDir('rampart-keys-');
    const file = keys.publicKeyFile(dir.path);
    assert.match(readFileSync(file, 'utf8'), /^-----BEGIN PUBLIC KEY-----/);
    const token = await mintInternalToken(keys.privateKey, {
      sub: 'alice',
      aud: 'orders',
      scope: 'orders:read',
    });
    assert.ok(token.startsWith('v4.public.'));
    const v4 = new PublicProtocol(VerifyFactory);
    const { claims } = await v4.Verify(await importPem(readFileSync(file, 'utf8')), token);
    assert.equal(claims.iss, 'rampart');
    assert.equal(claims.sub, 'alice');
    assert.equal(claims.aud, 'orders');
    await dir.cleanup();
  });

  it('expiresIn and now set the lifetime', async () => {
    const keys = await createTokenKeys();
    const now = new Date('2030-01-01T00:00:00Z');
    const token = await mintInternalToken(keys.privateKey, { sub: 'a', aud: 'b' }, { expiresIn: 120, now });
    const v4 = new PublicProtocol(VerifyFactory);
    const { claims } = await v4.Verify(await importPem(keys.publicKeyPem), token, { now });
    assert.equal(claims.exp, '2030-01-01T00:02:00Z');
  });
});
