export {
  createRateLimiter,
  MAX_BLOCK_SECONDS,
  type RateLimiter,
  type RateLimiterOptions,
  type RateLimitBackend,
  type RateLimitDecision,
} from './create-rate-limiter.ts';
export { checkTrustedProxies, clientIp, normalizeIp } from './client-ip.ts';
export {
  rateLimitKeys,
  ipv6Prefix64,
  DEFAULT_KEY_KINDS,
  type RateLimitRequest,
  type RateLimitKeyKind,
} from './rate-limit-keys.ts';
