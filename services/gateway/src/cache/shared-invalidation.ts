import { BroadcastChannel } from 'node:worker_threads';
import type { ResponseCache } from './response-cache.ts';

/** A response cache whose invalidations also reach the other worker threads of this gateway. */
export interface SharedResponseCache extends ResponseCache {
  /** Stops listening to the other workers. */
  close(): void;
}

/**
 * Each worker thread keeps its own response cache; a write through one worker must not leave the
 * others serving the old answer. Every `invalidatePath` is also broadcast to the gateway's other
 * threads (a `BroadcastChannel` reaches every other thread of this process), which drop the same
 * path. `clear` is not broadcast: each worker clears on the same configuration change itself.
 *
 * @example
 * const cache = shareInvalidations(createResponseCache());
 */
export function shareInvalidations(
  cache: ResponseCache,
  channelName = 'rampart.gateway.cache',
): SharedResponseCache {
  const channel = new BroadcastChannel(channelName);
  channel.onmessage = (message: unknown) => {
    const data = (message as { data?: unknown }).data;
    if (typeof data === 'string') cache.invalidatePath(data);
  };
  channel.unref();
  return {
    get: (key, requestHeaders) => cache.get(key, requestHeaders),
    set: (key, path, answer, ttlMs, requestHeaders) => {
      cache.set(key, path, answer, ttlMs, requestHeaders);
    },
    invalidatePath(path) {
      cache.invalidatePath(path);
      channel.postMessage(path);
    },
    clear: () => {
      cache.clear();
    },
    stats: () => cache.stats(),
    close: () => {
      channel.close();
    },
  };
}
