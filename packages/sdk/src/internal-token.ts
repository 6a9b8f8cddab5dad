import { LRUCache } from 'lru-cache';
import { principalKindOf } from '@rampart/config';
import { RampartError } from '@rampart/errors';
import { verifyInternalToken, type PublicKey, type VerifiedInternalToken } from '@rampart/tokens';
import { freezePrincipal, type Principal } from './principal.ts';

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
 * Creates the verifier of internal tokens (`verifyInternalToken` of `@rampart/tokens`: PASETO
 * v4.public, `iss` = `rampart`, `aud` = this service exactly, `sub` and `exp` required, lifetime at
 * most 5 minutes, 30 s clock skew), with a cache of verified tokens until their `exp`.
 *
 * @example
 * const verifier = createInternalTokenVerifier({ publicKeys: () => [publicKey], audience: 'orders' });
 * const principal = await verifier.verify(bearerToken);
 */
export function createInternalTokenVerifier(options: InternalTokenVerifierOptions): InternalTokenVerifier {
  const now = options.now ?? (() => new Date());
  const cacheSize = options.cacheSize ?? 10_000;
  if (!Number.isInteger(cacheSize) || cacheSize < 0) {
    throw new TypeError('cacheSize must be a non-negative integer (0 disables the cache)');
  }
  // Verified tokens (least recently used evicted first), each until its `exp`.
  const cache =
    cacheSize === 0
      ? undefined
      : new LRUCache<string, Principal>({
          max: cacheSize,
          // Staleness is read from this clock at every lookup (no 1 ms memo of the time).
          perf: { now: () => now().getTime() },
          ttlResolution: 0,
        });

  return {
    async verify(token: string): Promise<Principal> {
      const cached = cache?.get(token);
      if (cached !== undefined) return cached;
      const at = now();

      const verified = await verifyInternalToken(token, {
        publicKeys: options.publicKeys(),
        audience: options.audience,
        now: at,
      });
      if (!verified.ok) throw invalid(verified.detail, verified.cause);
      const principal = principalOf(verified.token);
      // lru-cache calls an entry stale once its age exceeds `ttl`; a token is expired at `exp`
      // itself, so the ttl stops one (whole) millisecond short, and nothing under 1 ms is kept (a
      // ttl of 0 would mean "forever").
      const ttl = verified.token.expiresAtMs - at.getTime() - 1;
      if (ttl >= 1) cache?.set(token, principal, { ttl, start: at.getTime() });
      return principal;
    },
  };
}

function principalOf(token: VerifiedInternalToken): Principal {
  const kind = principalKindOf(token.sub);
  if (kind === undefined) throw invalid('sub is a malformed client subject');
  return freezePrincipal({
    subject: token.sub,
    kind,
    scopes: token.scope === undefined ? [] : token.scope.split(' ').filter((s) => s.length > 0),
    groups: token.groups ?? [],
    amr: token.amr ?? [],
    actor: token.act?.sub,
  });
}

function invalid(detail: string, cause?: unknown): RampartError {
  return new RampartError('SDK_TOKEN_INVALID', { detail, cause });
}
