import type { RampartConfig, RateLimitConfig, RouteConfig } from '../schema.ts';

/**
 * The limits of a route without a `rateLimit` of its own, unless `gateway.defaultRateLimit` says
 * otherwise: 100 requests per 10 s per token subject and 500 per 10 s per client IP, each counted
 * per route. A person clicking through an app stays far below either; one client scripting a
 * route (500 `GET /orders/{id}` in 3 s) is stopped after the first hundred, and an office behind
 * one NAT address shares five times that.
 */
export const DEFAULT_ROUTE_RATE_LIMIT = Object.freeze({
  principal: Object.freeze({ points: 100, window: '10s' }),
  ip: Object.freeze({ points: 500, window: '10s' }),
});

const NONE: readonly RateLimitConfig[] = Object.freeze([]);

/**
 * The limits a request to `route` is counted against, each with its `by`: the route's own
 * `rateLimit`; none when it says `off`; otherwise `gateway.defaultRateLimit` (or the defaults
 * above), per principal (`by: [user]`: the token subject, a user or `client:<id>`) and per IP
 * (`by: [ip]`), minus those switched `off`. The gateway counts exactly these, and `rampart check`
 * reports routes left without any.
 *
 * @example
 * routeRateLimits(config, { method: 'GET', path: '/orders/{id}', policy: 'read-orders' });
 * // [{ points: 100, window: '10s', by: ['user'] }, { points: 500, window: '10s', by: ['ip'] }]
 */
export function routeRateLimits(config: RampartConfig, route: RouteConfig): readonly RateLimitConfig[] {
  const own = route.rateLimit;
  if (own === 'off') return NONE;
  if (own !== undefined) return Object.freeze([own]);
  const defaults = config.gateway?.defaultRateLimit;
  if (defaults === 'off') return NONE;
  const principal = defaults?.principal ?? DEFAULT_ROUTE_RATE_LIMIT.principal;
  const ip = defaults?.ip ?? DEFAULT_ROUTE_RATE_LIMIT.ip;
  const limits: RateLimitConfig[] = [];
  if (principal !== 'off') limits.push(Object.freeze({ ...principal, by: ['user' as const] }));
  if (ip !== 'off') limits.push(Object.freeze({ ...ip, by: ['ip' as const] }));
  return Object.freeze(limits);
}
