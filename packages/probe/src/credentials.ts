import { readFileSync } from 'node:fs';
import type { JWK } from 'jose';

/** A credential the probe uses, and the shell variable reproductions name it by. */
export interface Credential {
  readonly token: string;
  /** `TOKEN_A`, `TOKEN_B`, `TOKEN_CLIENT`: what `curl` reproductions write instead of the token. */
  readonly variable: string;
  /** The token's claims when it is a JWT (read, not verified: the target verifies). */
  readonly claims: Readonly<Record<string, unknown>> | undefined;
}

/** What `--credentials` holds. The probe never signs anyone in itself. */
export interface Credentials {
  readonly userA: Credential;
  readonly userB: Credential;
  readonly client?: Credential;
  /**
   * The issuer's private signing key (a JWK with `kid`), for test environments only: with it the
   * probe re-signs user A's token with one claim broken (no `exp`, expired, another audience or
   * issuer, fewer scopes), which no outsider could; without it those checks are skipped.
   */
  readonly signingKey?: JWK;
}

/** The file is missing, not JSON, or lacks a user's token: the probe cannot run (exit 2). */
export class CredentialsError extends Error {
  override readonly name = 'CredentialsError';
}

/**
 * Reads `--credentials`: `{ "userA": "<token>", "userB": "<token>", "client"?: "<token>",
 * "signingKey"?: <private JWK> }`. A token may be written `${env:NAME}` to take it from the
 * environment (CI secrets). Tokens are never echoed in errors.
 *
 * @example
 * const creds = readCredentials('creds.json'); // { userA: { token, variable: 'TOKEN_A', claims }, … }
 */
export function readCredentials(file: string, env: NodeJS.ProcessEnv = process.env): Credentials {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new CredentialsError(
      `cannot read credentials ${file}: ${error instanceof SyntaxError ? 'not JSON' : (error as Error).message}`,
    );
  }
  if (typeof raw !== 'object' || raw === null) throw new CredentialsError(`${file}: expected a JSON object`);
  const data = raw as Record<string, unknown>;
  const known = new Set(['userA', 'userB', 'client', 'signingKey']);
  const unknown = Object.keys(data).filter((k) => !known.has(k));
  if (unknown.length > 0)
    throw new CredentialsError(
      `${file}: unknown key ${unknown.join(', ')} (expected userA, userB, client, signingKey)`,
    );
  const credential = (key: string, variable: string): Credential | undefined => {
    const value = data[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value.length === 0)
      throw new CredentialsError(`${file}: ${key} must be a token (a string) or \${env:NAME}`);
    const token = fromEnv(value, key, file, env);
    return { token, variable, claims: jwtClaims(token) };
  };
  const userA = credential('userA', 'TOKEN_A');
  const userB = credential('userB', 'TOKEN_B');
  if (userA === undefined || userB === undefined)
    throw new CredentialsError(`${file}: userA and userB (two different users' access tokens) are required`);
  if (userA.token === userB.token) throw new CredentialsError(`${file}: userA and userB are the same token`);
  const client = credential('client', 'TOKEN_CLIENT');
  const signingKey = data['signingKey'];
  if (
    signingKey !== undefined &&
    (typeof signingKey !== 'object' || signingKey === null || !('d' in signingKey))
  )
    throw new CredentialsError(`${file}: signingKey must be a private JWK (with "d")`);
  return {
    userA,
    userB,
    ...(client === undefined ? {} : { client }),
    ...(signingKey === undefined ? {} : { signingKey: signingKey as JWK }),
  };
}

function fromEnv(value: string, key: string, file: string, env: NodeJS.ProcessEnv): string {
  const ref = /^\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(value);
  if (ref === null) return value;
  const name = ref[1] ?? '';
  const found = env[name];
  if (found === undefined || found === '')
    throw new CredentialsError(`${file}: ${key} names \${env:${name}}, which is not set`);
  return found;
}

/** The payload of a compact JWS, or undefined when `token` is not one. */
export function jwtClaims(token: string): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString('utf8'));
    return typeof claims === 'object' && claims !== null ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The scopes a token's claims grant (`scope`, space-separated, or `scp` as a list). */
export function grantedScopes(claims: Readonly<Record<string, unknown>> | undefined): string[] {
  const scope = claims?.['scope'];
  if (typeof scope === 'string') return scope.split(' ').filter((s) => s.length > 0);
  const scp = claims?.['scp'];
  return Array.isArray(scp) ? scp.filter((s): s is string => typeof s === 'string') : [];
}
