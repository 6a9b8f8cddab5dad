import { randomUUID } from 'node:crypto';
import {
  SignJWT,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  type CryptoKey,
  type JWK,
  type JWTPayload,
} from 'jose';
import type { AccessTokenKeys } from '@rampart/tokens';

export const ISSUER = 'https://127.0.0.1:8443/auth';
export const AUDIENCE = 'https://127.0.0.1:8443';
/** A user's subject: identity's account ids are UUIDs. */
export const USER = '0b0e3c5e-7d1a-4f57-9f0e-2f7c1f1b6a11';

export interface TestKey {
  readonly kid: string;
  readonly alg: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

export async function makeKey(alg: string, kid: string): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicJwk };
}

/** A key source over these public keys, as identity's admin API builds one (jose's local JWK set). */
export function keySet(keys: readonly TestKey[]): AccessTokenKeys {
  return createLocalJWKSet({ keys: keys.map((key) => key.publicJwk) });
}

export interface MintOptions {
  /** Merged over the default header; an `undefined` value drops that parameter. */
  readonly header?: Readonly<Record<string, unknown>>;
  readonly claims?: JWTPayload;
  /** Claims to delete from the defaults. */
  readonly omit?: readonly string[];
  /** Seconds since the epoch used as "now" for iat/exp defaults. */
  readonly nowSeconds?: number;
  readonly signOptions?: { crit?: Record<string, boolean> };
}

/** A valid RFC 9068 access token for {@link ISSUER} and {@link AUDIENCE} unless options say otherwise. */
export async function mint(key: TestKey, options: MintOptions = {}): Promise<string> {
  const nowSeconds = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  const payload: JWTPayload = {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: USER,
    client_id: 'shop-web',
    scope: 'orders:read profile',
    groups: ['customers'],
    amr: ['pwd', 'otp'],
    acr: 'urn:rampart:mfa',
    jti: `jti-${randomUUID()}`,
    iat: nowSeconds,
    exp: nowSeconds + 300,
    ...options.claims,
  };
  for (const name of options.omit ?? []) Reflect.deleteProperty(payload, name);
  const header = { alg: key.alg, typ: 'at+jwt', kid: key.kid, ...options.header };
  return new SignJWT(payload).setProtectedHeader(header).sign(key.privateKey, options.signOptions);
}

export function b64url(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}
