import { KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PublicProtocol } from 'paseto';
import { GenerateKeyPairFactory, PublicKeyToCryptoKey } from 'paseto/v4/public';
import {
  importInternalTokenSigningKey,
  signInternalToken,
  type InternalActor,
  type SecretKey,
} from '@rampart/tokens';

const v4 = new PublicProtocol(GenerateKeyPairFactory);

export interface TokenKeys {
  /** The Ed25519 public key as PEM (SPKI), as `rampart up` writes `.rampart/keys/internal-token.pub`. */
  readonly publicKeyPem: string;
  /** The PASETO v4.public signing key (what the gateway holds). */
  readonly privateKey: SecretKey;
  /** Writes the public key to `<dir>/internal-token.pub` (0644) and returns that path. */
  publicKeyFile(dir: string): string;
}

/**
 * A fresh Ed25519 key pair for internal tokens.
 *
 * @example
 * const keys = await createTokenKeys();
 * const keyFile = keys.publicKeyFile(dir);
 */
export async function createTokenKeys(): Promise<TokenKeys> {
  const { publicKey, secretKey } = await v4.GenerateKeyPair();
  const publicKeyPem = KeyObject.from(PublicKeyToCryptoKey(publicKey))
    .export({ type: 'spki', format: 'pem' })
    .toString();
  return {
    publicKeyPem,
    privateKey: secretKey,
    publicKeyFile(dir) {
      const file = join(dir, 'internal-token.pub');
      writeFileSync(file, publicKeyPem, { mode: 0o644 });
      return file;
    },
  };
}

/** Claims of an internal token; `iss` defaults to `rampart`. */
export interface InternalTokenClaims {
  readonly sub: string;
  readonly aud: string;
  readonly iss?: string;
  readonly scope?: string;
  readonly groups?: readonly string[];
  readonly amr?: readonly string[];
  readonly act?: InternalActor;
}

export interface MintOptions {
  /** Lifetime in seconds; default 60. */
  readonly expiresIn?: number;
  /** Issue time (and start of the lifetime); default now. Use a past date for expired tokens. */
  readonly now?: Date;
}

/**
 * Signs a PASETO v4.public internal token with `signInternalToken` of `@rampart/tokens`, as the
 * gateway and the mesh do.
 *
 * @example
 * const token = await mintInternalToken(keys.privateKey, { sub: 'alice', aud: 'orders', scope: 'orders:read' });
 */
export async function mintInternalToken(
  privateKey: SecretKey,
  claims: InternalTokenClaims,
  options: MintOptions = {},
): Promise<string> {
  const issuedAt = options.now ?? new Date();
  return signInternalToken(privateKey, {
    ...claims,
    issuedAt,
    expiresAt: new Date(issuedAt.getTime() + (options.expiresIn ?? 60) * 1000),
  });
}

/**
 * The signing key `rampart up` keeps in `.rampart/keys/internal-token.key.pem`, for end-to-end
 * tests that stand in for the gateway.
 *
 * @example
 * const key = await signingKeyFromPem(readFileSync(join(home, 'keys/internal-token.key.pem'), 'utf8'));
 */
export async function signingKeyFromPem(pem: string): Promise<SecretKey> {
  return importInternalTokenSigningKey(pem);
}
