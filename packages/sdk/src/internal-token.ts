import { createPublicKey } from 'node:crypto';
import { principalKindOf } from '@rampart/config';
import { PasetoError, PublicProtocol, type Claims, type JsonValue } from 'paseto';
import { PublicKeyFromCryptoKey, VerifyFactory, type PublicKey } from 'paseto/v4/public';
import { RampartError } from '@rampart/errors';
import { freezePrincipal, type Principal } from './principal.ts';
import { TokenCache } from './token-cache.ts';

/** Internal tokens are always issued by Rampart itself (the gateway). */
export const INTERNAL_TOKEN_ISSUER = 'rampart';
/** Longest lifetime an internal token may have. */
export const MAX_TOKEN_LIFETIME_SECONDS = 300;
/** Clock skew tolerated on `exp`, `nbf` and `iat`. */
export const CLOCK_SKEW_SECONDS = 30;
/** Tokens longer than this are rejected before any parsing. */
export const MAX_TOKEN_LENGTH = 4096;

const TOKEN_PREFIX = 'v4.public.';
const v4 = new PublicProtocol(VerifyFactory);

export interface InternalTokenVerifierOptions {
  /**
   * The Ed25519 public keys that verify internal tokens, read at each verification: one normally,
   * two while the signing key rotates. They come with the mesh trust bundle.
   */
  readonly publicKeys: () => readonly PublicKey[];
  /** This service's name: the exact `aud` a token must carry. */
  readonly audience: string;
  /** Verified tokens kept (until their `exp`); 0 disables the cache. Default 10 000 — one per principal calling at once, as the gateway keeps. */
  readonly cacheSize?: number;
  /** Clock, for tests. */
  readonly now?: () => Date;
}

export interface InternalTokenVerifier {
  /** Resolves to the frozen principal, or rejects with a `RampartError` `SDK_TOKEN_INVALID`. */
  verify(token: string): Promise<Principal>;
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
 * Creates the verifier of internal tokens: PASETO v4.public, `iss` = `rampart`, `aud` = this
 * service exactly, `sub` and `exp` required, lifetime at most 5 minutes, 30 s clock skew.
 *
 * @example
 * const verifier = createInternalTokenVerifier({ publicKey, audience: 'orders' });
 * const principal = await verifier.verify(bearerToken);
 */
export function createInternalTokenVerifier(options: InternalTokenVerifierOptions): InternalTokenVerifier {
  const now = options.now ?? (() => new Date());
  const cache = new TokenCache(options.cacheSize ?? 10_000);

  return {
    async verify(token: string): Promise<Principal> {
      const at = now();
      const cached = cache.get(token, at.getTime());
      if (cached !== undefined) return cached;

      if (token.length > MAX_TOKEN_LENGTH) throw invalid(`token longer than ${MAX_TOKEN_LENGTH} characters`);
      if (!token.startsWith(TOKEN_PREFIX)) throw invalid('not a v4.public token');

      const claims = await verifyWithAny(options.publicKeys(), token, options.audience, at);

      const expiresAtMs = checkLifetime(claims, at.getTime());
      const principal = principalFromClaims(claims);
      cache.set(token, principal, expiresAtMs);
      return principal;
    },
  };
}

/** Tries each trusted key; only a signature mismatch moves on to the next one. */
async function verifyWithAny(
  keys: readonly PublicKey[],
  token: string,
  audience: string,
  at: Date,
): Promise<Claims> {
  let last: unknown = new Error('no internal token key is trusted');
  for (const key of keys) {
    try {
      const { claims } = await v4.Verify(key, token, {
        audience,
        issuer: INTERNAL_TOKEN_ISSUER,
        clockTolerance: CLOCK_SKEW_SECONDS,
        requiredClaims: ['sub', 'exp', 'aud', 'iss'],
        now: at,
      });
      return claims;
    } catch (error) {
      if (!(error instanceof PasetoError)) throw error;
      last = error;
      if (error.message !== SIGNATURE_MISMATCH) break;
    }
  }
  throw last instanceof PasetoError
    ? invalid(`${last.code}: ${last.message}`, last)
    : invalid('no trusted key');
}

/** What paseto says when a token was signed by another key (the only error worth another key). */
const SIGNATURE_MISMATCH = 'Token signature verification failed';

function checkLifetime(claims: Claims, nowMs: number): number {
  const expiresAtMs = Date.parse(claims.exp ?? '');
  if (Number.isNaN(expiresAtMs)) throw invalid('exp is not a date');
  const maxMs = (MAX_TOKEN_LIFETIME_SECONDS + CLOCK_SKEW_SECONDS) * 1000;
  if (expiresAtMs - nowMs > maxMs) throw invalid(`exp is more than ${MAX_TOKEN_LIFETIME_SECONDS}s away`);
  if (claims.iat !== undefined) {
    const issuedAtMs = Date.parse(claims.iat);
    if (Number.isNaN(issuedAtMs)) throw invalid('iat is not a date');
    if (expiresAtMs - issuedAtMs > MAX_TOKEN_LIFETIME_SECONDS * 1000) {
      throw invalid(`lifetime longer than ${MAX_TOKEN_LIFETIME_SECONDS}s`);
    }
  }
  return expiresAtMs;
}

function principalFromClaims(claims: Claims): Principal {
  const subject = claims.sub;
  if (subject === undefined || subject.length === 0 || subject.length > 255)
    throw invalid('sub is empty or too long');
  const kind = principalKindOf(subject);
  if (kind === undefined) throw invalid('sub is a malformed client subject');
  const scope = claims.scope;
  if (scope !== undefined && typeof scope !== 'string') throw invalid('scope is not a string');
  return freezePrincipal({
    subject,
    kind,
    scopes: scope === undefined ? [] : scope.split(' ').filter((s) => s.length > 0),
    groups: stringList(claims.groups, 'groups'),
    amr: stringList(claims.amr, 'amr'),
    actor: actorOf(claims.act),
  });
}

function stringList(value: JsonValue | undefined, name: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((item): item is string => typeof item === 'string')) {
    throw invalid(`${name} is not a list of strings`);
  }
  return [...value];
}

function actorOf(value: JsonValue | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalid('act is not an object');
  const sub: JsonValue | undefined = (value as { readonly [key: string]: JsonValue })['sub'];
  if (typeof sub !== 'string' || sub.length === 0) throw invalid('act.sub is not a string');
  return sub;
}

function invalid(detail: string, cause?: unknown): RampartError {
  return new RampartError('SDK_TOKEN_INVALID', { detail, cause });
}
