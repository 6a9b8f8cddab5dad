import type { Redis } from 'ioredis';
import { readinessOf, storeCheck, type ReadinessCheck, type Store } from '@rampart/sdk';
import type { SigningKeys } from '../keys/signing-keys.ts';

export interface IdentityReadinessOptions {
  readonly keys: Pick<SigningKeys, 'list'>;
  readonly store: Store;
  /** The brute-force guard's Redis, when configured: logins are refused while it is away. */
  readonly redis?: Pick<Redis, 'status'>;
  readonly stopping: () => boolean;
}

/**
 * Why identity cannot serve sign-ins and tokens now: stopping, its store not answering, no current
 * signing key, or (when configured) the brute-force guard's Redis away — the guard fails closed,
 * so every login would be refused. Empty when ready.
 */
export function identityReadiness(options: IdentityReadinessOptions): () => Promise<readonly string[]> {
  const { redis } = options;
  return readinessOf([
    () => Promise.resolve(options.stopping() ? 'stopping' : null),
    storeCheck(options.store),
    signingKeyCheck(options.keys),
    () => Promise.resolve(redis === undefined || redis.status === 'ready' ? null : 'redis unavailable'),
  ]);
}

/** Ready while the store holds a current signing key (the one tokens are signed with). */
function signingKeyCheck(signingKeys: Pick<SigningKeys, 'list'>): ReadinessCheck {
  return async () => {
    try {
      const keys = await signingKeys.list();
      return keys.some((key) => key.state === 'current') ? null : 'no current signing key';
    } catch {
      return 'signing keys unreadable';
    }
  };
}
