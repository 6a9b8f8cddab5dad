export {
  requestCacheDirective,
  responseCacheKey,
  storableTtlMs,
  varyNames,
  type CachePrincipal,
  type RequestCacheDirective,
} from './cache-policy.ts';
export {
  createResponseCache,
  type CachedAnswer,
  type ResponseCache,
  type ResponseCacheOptions,
  type ResponseCacheStats,
} from './response-cache.ts';
export { registerCacheCounter, type CacheCounter, type CacheResult } from './cache-counter.ts';
export { shareInvalidations, type SharedResponseCache } from './shared-invalidation.ts';
