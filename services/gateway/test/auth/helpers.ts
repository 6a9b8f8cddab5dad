import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK, type JWTPayload } from 'jose';

export const ISSUER = 'https://127.0.0.1:8443/auth';
export const AUDIENCE = 'https://127.0.0.1:8443';

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

/** A JWKS endpoint on 127.0.0.1 whose document, content type and availability the test controls. */
export interface JwksServer {
  readonly url: string;
  hits: number;
  body: string;
  contentType: string;
  status: number;
  /** When set, requests are held and never answered. */
  hang: boolean;
  publish(keys: readonly unknown[]): void;
  close(): Promise<void>;
}

export async function startJwksServer(keys: readonly JWK[]): Promise<JwksServer> {
  const state: JwksServer = {
    url: '',
    hits: 0,
    body: '',
    contentType: 'application/json',
    status: 200,
    hang: false,
    publish(next) {
      state.body = JSON.stringify({ keys: next });
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
  const server = createServer((_request, response) => {
    state.hits += 1;
    if (state.hang) return;
    response.writeHead(state.status, { 'content-type': state.contentType });
    response.end(state.body);
  });
  state.publish(keys);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, { url: `http://127.0.0.1:${port}/jwks` });
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

/** A valid RFC 9068 access token unless options say otherwise. */
export async function mint(key: TestKey, options: MintOptions = {}): Promise<string> {
  const nowSeconds = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  const payload: JWTPayload = {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: 'alice',
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
