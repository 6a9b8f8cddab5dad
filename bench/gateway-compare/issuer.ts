// The issuer of access tokens for bench/gateway-compare.ts: one ES256 key, its JWKS served over
// plain HTTP by this process (the gateway reads it with identity.dangerouslyAllowHttpIssuer), its
// public key as a PEM file for HAProxy, and at+jwt tokens as identity issues them (RFC 9068).
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { freePorts } from '@rampart/testing';

/** The scope the full-pipeline route asks for. */
export const SCOPE = 'items:read';
const KID = 'bench-1';

export interface TokenOptions {
  /** Seconds from now; negative for an expired token. Default one hour. */
  readonly expiresIn?: number;
  readonly audience?: string;
}

export interface Issuer {
  /** `http://127.0.0.1:<port>`: the `iss` of every token and `identity.issuer` of the config. */
  readonly url: string;
  /** SPKI PEM of the signing key, written for HAProxy's `jwt_verify`. */
  readonly publicKeyFile: string;
  /** One access token for `subject`, addressed to `audience` unless told otherwise. */
  token(subject: string, audience: string, options?: TokenOptions): Promise<string>;
  /** Many tokens, signed concurrently (jose over WebCrypto runs on libuv's thread pool). */
  tokens(
    subjects: readonly string[],
    audience: string,
    onProgress?: (done: number) => void,
  ): Promise<string[]>;
  close(): Promise<void>;
}

export async function startIssuer(dir: string): Promise<Issuer> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  // A CryptoKey signs about twice as fast through jose as a KeyObject converted at every call.
  const signingKey = privateKey.toCryptoKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid: KID, alg: 'ES256', use: 'sig' };
  const publicKeyFile = join(dir, 'issuer.pub.pem');
  writeFileSync(publicKeyFile, publicKey.export({ type: 'spki', format: 'pem' }));

  const [port] = await freePorts(1);
  const server = createServer((req, res) => {
    res.writeHead(req.url === '/jwks' ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${port ?? 0}`;

  const token = (subject: string, audience: string, options: TokenOptions = {}): Promise<string> => {
    const now = Math.floor(Date.now() / 1000);
    const expiresIn = options.expiresIn ?? 3600;
    return new SignJWT({ client_id: 'bench-client', scope: SCOPE })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: KID })
      .setIssuer(url)
      .setAudience(options.audience ?? audience)
      .setSubject(subject)
      .setIssuedAt(expiresIn > 0 ? now : now + expiresIn - 60)
      .setJti(randomUUID())
      .setExpirationTime(now + expiresIn)
      .sign(signingKey);
  };

  return {
    url,
    publicKeyFile,
    token,
    async tokens(subjects, audience, onProgress) {
      const out: string[] = [];
      const BATCH = 512;
      for (let i = 0; i < subjects.length; i += BATCH) {
        const batch = subjects.slice(i, i + BATCH).map((subject) => token(subject, audience));
        out.push(...(await Promise.all(batch)));
        onProgress?.(out.length);
      }
      return out;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
  };
}
