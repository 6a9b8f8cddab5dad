import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { SecretKey } from 'paseto/v4/public';
import { ed25519SigningKey, secretKeyOf } from './internal-token-keys.ts';
import {
  DEFAULT_TOKEN_LIFETIME_SECONDS,
  INTERNAL_TOKEN_RENEW_MARGIN_SECONDS,
  MAX_TOKEN_LIFETIME_SECONDS,
} from './internal-token-policy.ts';
import { signInternalToken } from './sign-internal-token.ts';

/** Who a forwarded request acts for, and the one service it goes to. */
export interface InternalPrincipal {
  readonly subject: string;
  /** The service name: the token's `aud`, accepted by that service alone. */
  readonly audience: string;
  readonly scopes: readonly string[];
  readonly groups: readonly string[];
  readonly amr: readonly string[];
}

export interface InternalTokenMinterOptions {
  /** The Ed25519 signing key, PKCS#8 PEM. Kept inside the minter; never logged. */
  readonly signingKeyPem: string;
  /** Token lifetime; default 60, between 11 and 300 (`MAX_TOKEN_LIFETIME_SECONDS`). */
  readonly lifetimeSeconds?: number;
  /** Cached tokens kept at most (least recently used evicted first); default 10 000. */
  readonly maxEntries?: number;
  /** Clock, for tests. */
  readonly now?: () => Date;
}

export interface InternalTokenMinter {
  /** A PASETO v4.public token for `principal`, signed once and reused until shortly before `exp`. */
  mint(principal: InternalPrincipal): Promise<string>;
  /** Tokens currently cached (for metrics and tests). */
  readonly size: number;
}

/**
 * Creates the gateway's signer of internal tokens: `iss` = `rampart`, `aud` = the service, `sub`,
 * `scope` (space-separated), `groups`, `amr`, `iat` and `exp` — what `verifyInternalToken` (and so
 * `createInternalTokenVerifier` in `@rampart/sdk`) accepts. No `jti`: a token is short-lived and good for one audience only, and
 * leaving it out lets one signature serve every request of a principal to a service. Throws a
 * `TypeError` when the key is not an Ed25519 private key or an option is out of range.
 *
 * @example
 * const minter = createInternalTokenMinter({ signingKeyPem: readFileSync(keyFile, 'utf8') });
 * const token = await minter.mint({ subject: 'alice', audience: 'orders', scopes, groups, amr });
 */
export function createInternalTokenMinter(options: InternalTokenMinterOptions): InternalTokenMinter {
  const lifetimeSeconds = options.lifetimeSeconds ?? DEFAULT_TOKEN_LIFETIME_SECONDS;
  const maxEntries = options.maxEntries ?? 10_000;
  const now = options.now ?? (() => new Date());
  if (
    !Number.isInteger(lifetimeSeconds) ||
    lifetimeSeconds <= INTERNAL_TOKEN_RENEW_MARGIN_SECONDS ||
    lifetimeSeconds > MAX_TOKEN_LIFETIME_SECONDS
  ) {
    throw new TypeError(
      `lifetimeSeconds must be an integer between ${INTERNAL_TOKEN_RENEW_MARGIN_SECONDS + 1} and ${MAX_TOKEN_LIFETIME_SECONDS}`,
    );
  }
  if (!Number.isInteger(maxEntries) || maxEntries < 1) {
    throw new TypeError('maxEntries must be a positive integer');
  }
  const keyObject = ed25519SigningKey(options.signingKeyPem);
  let secretKey: Promise<SecretKey> | undefined;
  /** Signed tokens by principal, each until it is due for renewal (its `ttl`). */
  const cache = new LRUCache<string, Promise<string>>({
    max: maxEntries,
    // Staleness is read from this clock at every lookup (no 1 ms memo of the time).
    perf: { now: () => now().getTime() },
    ttlResolution: 0,
  });

  async function sign(principal: InternalPrincipal, issuedAtMs: number): Promise<string> {
    secretKey ??= secretKeyOf(keyObject);
    return signInternalToken(await secretKey, {
      sub: principal.subject,
      aud: principal.audience,
      ...(principal.scopes.length === 0 ? {} : { scope: principal.scopes.join(' ') }),
      groups: principal.groups,
      amr: principal.amr,
      issuedAt: new Date(issuedAtMs),
      expiresAt: new Date(issuedAtMs + lifetimeSeconds * 1000),
    });
  }

  return {
    get size() {
      return cache.size;
    },
    mint(principal) {
      checkPrincipal(principal);
      const key = cacheKey(principal);
      const cached = cache.get(key);
      if (cached !== undefined) return cached;
      const nowMs = now().getTime();
      const issuedAtMs = Math.floor(nowMs / 1000) * 1000;
      const token = sign(principal, issuedAtMs);
      // Reused until renewAtMs (excluded). lru-cache calls an entry stale once its age exceeds
      // `ttl`, so the ttl stops one (whole) millisecond short; it is never 0 (which would mean
      // "forever"): at worst a token is reused a millisecond past renewAtMs, still a renewal margin
      // before its `exp`.
      const renewAtMs = issuedAtMs + (lifetimeSeconds - INTERNAL_TOKEN_RENEW_MARGIN_SECONDS) * 1000;
      cache.set(key, token, { ttl: Math.max(1, renewAtMs - nowMs - 1), start: nowMs });
      // A failed signature is not cached: the next request tries again.
      token.catch(() => {
        if (cache.peek(key, { allowStale: true }) === token) cache.delete(key);
      });
      return token;
    },
  };
}

/** Values services would reject or misread: a caller bug, not a client's. */
function checkPrincipal(principal: InternalPrincipal): void {
  if (principal.subject.length === 0 || principal.subject.length > 255) {
    throw new TypeError('subject must be 1 to 255 characters');
  }
  if (principal.audience.length === 0) throw new TypeError('audience must be a service name');
  if (principal.scopes.some((scope) => scope.length === 0 || /\s/u.test(scope))) {
    throw new TypeError('a scope must be non-empty and without whitespace (scope is space-separated)');
  }
}

/**
 * SHA-256 of the canonical JSON of the principal's fields in a fixed order: JSON quoting means no
 * choice of subject can make two different principals share a key.
 */
function cacheKey(principal: InternalPrincipal): string {
  const canonical = JSON.stringify([
    principal.subject,
    principal.audience,
    principal.scopes,
    principal.groups,
    principal.amr,
  ]);
  return createHash('sha256').update(canonical).digest('base64url');
}
