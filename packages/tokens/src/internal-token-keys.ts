import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import {
  PublicKeyFromCryptoKey,
  SecretKeyFromCryptoKey,
  type PublicKey,
  type SecretKey,
} from 'paseto/v4/public';

export type { PublicKey, SecretKey } from 'paseto/v4/public';

/** An Ed25519 pair of internal tokens: the signing key stays inside this object. */
export interface InternalTokenKeyPair {
  readonly publicKeyPem: string;
  readonly publicKey: PublicKey;
  readonly secretKey: SecretKey;
}

/**
 * Reads a PEM (SPKI) Ed25519 public key into a PASETO v4.public verification key.
 * Throws a `TypeError` when the PEM is not an Ed25519 public key (a deployment mistake).
 *
 * @example
 * const key = await importInternalTokenKey(readFileSync(env.RAMPART_INTERNAL_TOKEN_KEY, 'utf8'));
 */
export async function importInternalTokenKey(pem: string): Promise<PublicKey> {
  let keyObject;
  try {
    keyObject = createPublicKey({ key: pem, format: 'pem' });
  } catch (cause) {
    throw new TypeError('the internal token key is not a PEM public key', { cause });
  }
  if (keyObject.asymmetricKeyType !== 'ed25519') {
    throw new TypeError(
      `the internal token key must be an Ed25519 public key, got ${keyObject.asymmetricKeyType ?? 'unknown'}`,
    );
  }
  return PublicKeyFromCryptoKey(keyObject.toCryptoKey('Ed25519', true, ['verify']));
}

/**
 * Reads a PKCS#8 PEM Ed25519 private key as a `KeyObject`, synchronously (so that a bad key fails
 * at start). Throws a `TypeError` naming the mistake, never quoting the key.
 */
export function ed25519SigningKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch (cause) {
    throw new TypeError('the internal token signing key is not a PEM private key', { cause });
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new TypeError('the internal token signing key must be Ed25519');
  }
  return key;
}

/**
 * A PASETO v4.public signing key from a PKCS#8 PEM Ed25519 private key (as `rampart up` keeps in
 * `.rampart/keys/*.key.pem`). Throws a `TypeError` as {@link ed25519SigningKey} does.
 *
 * @example
 * const key = await importInternalTokenSigningKey(readFileSync(keyFile, 'utf8'));
 */
export async function importInternalTokenSigningKey(pem: string): Promise<SecretKey> {
  return secretKeyOf(ed25519SigningKey(pem));
}

/** The PASETO signing key of an Ed25519 `KeyObject` (not extractable). */
export async function secretKeyOf(key: KeyObject): Promise<SecretKey> {
  return SecretKeyFromCryptoKey(key.toCryptoKey('Ed25519', false, ['sign']));
}

/**
 * Reads the signing key (PKCS#8 PEM) and its public key (SPKI PEM), checking they are an Ed25519
 * pair. Throws a `TypeError` naming the mistake, never quoting a key.
 *
 * @example
 * const keys = await loadInternalTokenKeyPair(signingKeyPem, publicKeyPem);
 */
export async function loadInternalTokenKeyPair(
  privatePem: string,
  publicPem: string,
): Promise<InternalTokenKeyPair> {
  const privateKey = ed25519SigningKey(privatePem);
  const publicKey = await importInternalTokenKey(publicPem);
  const derived = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const given = createPublicKey(publicPem).export({ type: 'spki', format: 'der' });
  if (!derived.equals(given)) throw new TypeError('the internal token keys are not a pair');
  return {
    publicKeyPem: createPublicKey(publicPem).export({ type: 'spki', format: 'pem' }).toString(),
    publicKey,
    secretKey: await secretKeyOf(privateKey),
  };
}
