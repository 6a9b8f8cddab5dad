import { createPrivateKey, createPublicKey } from 'node:crypto';
import { SecretKeyFromCryptoKey, type SecretKey } from 'paseto/v4/public';
import type { PublicKey } from 'paseto/v4/public';
import { importInternalTokenKey } from '@rampart/sdk';

/** The Ed25519 pair of internal tokens: the signing key stays inside this object. */
export interface InternalTokenKeys {
  readonly publicKeyPem: string;
  readonly publicKey: PublicKey;
  readonly secretKey: SecretKey;
}

/**
 * Reads the signing key (PKCS#8 PEM) and its public key (SPKI PEM), checking they are an Ed25519
 * pair. Throws a `TypeError` naming the mistake, never quoting a key.
 */
export async function loadInternalTokenKeys(
  privatePem: string,
  publicPem: string,
): Promise<InternalTokenKeys> {
  let privateKey;
  try {
    privateKey = createPrivateKey({ key: privatePem, format: 'pem' });
  } catch (cause) {
    throw new TypeError('the internal token signing key is not a PEM private key', { cause });
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new TypeError('the internal token signing key must be Ed25519');
  }
  const publicKey = await importInternalTokenKey(publicPem);
  const derived = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const given = createPublicKey(publicPem).export({ type: 'spki', format: 'der' });
  if (!derived.equals(given)) throw new TypeError('the internal token keys are not a pair');
  return {
    publicKeyPem: createPublicKey(publicPem).export({ type: 'spki', format: 'pem' }).toString(),
    publicKey,
    secretKey: await SecretKeyFromCryptoKey(privateKey.toCryptoKey('Ed25519', false, ['sign'])),
  };
}
