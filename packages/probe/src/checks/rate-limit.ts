import { setTimeout as sleep } from 'node:timers/promises';
import type { RateLimitConfig } from '@rampart/config';
import { parseDuration } from '@rampart/config';
import { bearerOf, fillPath, report, send, skip, type ProbeContext } from '../context.ts';
import { routeName, type SurfaceRoute } from '../surface.ts';
import { header, served, type Exchange } from '../target.ts';
import { mayCall } from './object-authorization.ts';

/** At most this many requests to show one limit (2 × (limit + 1), and 20 more for the XFF check). */
export const MAX_REQUESTS_PER_LIMIT = 250;
/** A penalty box is checked only when its window is this short (the probe waits one window). */
const MAX_PENALTY_WAIT_MS = 15_000;

/** The tightest of a route's limits as one client sees it: all keys (ip, user, route) are one client's. */
function tightest(limits: readonly RateLimitConfig[]): RateLimitConfig | undefined {
  return [...limits].sort((a, b) => a.points + (a.burst ?? 0) - (b.points + (b.burst ?? 0)))[0];
}

/**
 * Rate limits actually enforced: for one GET route per distinct limit, up to 2 × (limit + 1)
 * requests within one window must meet a 429 with Retry-After (it stops at the first 429). Then, for a limit counted by IP alone, the same again
 * with a different X-Forwarded-For each time must stay 429; and where `blockFor` is longer than a
 * short window, one request after the window must still be 429 (the penalty box).
 */
export async function checkRateLimits(ctx: ProbeContext): Promise<void> {
  ctx.progress('rate limits: limit + 1 within the window');
  const seen = new Set<string>();
  for (const route of ctx.surface.routes) {
    if (route.method !== 'GET' || route.conditional) continue;
    const limit = tightest(route.limits);
    if (limit === undefined) continue;
    const key = JSON.stringify([limit, route.public]);
    if (seen.has(key)) continue;
    if (!route.public && !mayCall(ctx.credentials.userA, route)) continue;
    const windowMs = parseDuration(limit.window);
    // 2 × (limit + 1) within one window: a fixed window may cut the run in two, but then one of the
    // two parts holds limit + 1 — so a target enforcing the limit must answer 429 whatever its windows.
    const count = 2 * (limit.points + (limit.burst ?? 0) + 1);
    if (count > MAX_REQUESTS_PER_LIMIT) {
      skip(
        ctx,
        `rate limit of ${routeName(route)}`,
        `${count} requests needed, more than ${MAX_REQUESTS_PER_LIMIT}`,
      );
      continue;
    }
    if ((count * 1000) / ctx.target.options.rate > windowMs * 0.9) {
      skip(
        ctx,
        `rate limit of ${routeName(route)}`,
        `${count} requests in ${limit.window} need a higher --rate`,
      );
      continue;
    }
    seen.add(key);
    await exceed(ctx, route, limit, count, windowMs);
  }
  if (seen.size === 0) skip(ctx, 'rate limits', 'no GET route with a testable limit');
}

async function exceed(
  ctx: ProbeContext,
  route: SurfaceRoute,
  limit: RateLimitConfig,
  count: number,
  windowMs: number,
): Promise<void> {
  const path = fillPath(route);
  const bearer = route.public ? undefined : bearerOf(ctx.credentials.userA);
  const started = Date.now();
  let last: Exchange | undefined;
  let limited: Exchange | undefined;
  for (let i = 0; i < count && limited === undefined; i++) {
    last = await send(ctx, { method: 'GET', path, ...(bearer === undefined ? {} : { bearer }) });
    if (last.status === 429) limited = last;
  }
  if (last === undefined) return;
  const within = Date.now() - started < windowMs;
  if (limited === undefined) {
    if (within)
      report(ctx, 'probe/rate-limit-not-enforced', last, {
        route,
        message: `${count} requests to GET ${path} within ${limit.window} got no 429; rampart.yaml allows ${limit.points}${limit.burst === undefined ? '' : ` (+${limit.burst} burst)`} per ${limit.window}.`,
      });
    else
      skip(
        ctx,
        `rate limit of ${routeName(route)}`,
        `the ${count} requests took longer than ${limit.window}`,
      );
    return;
  }
  if (header(limited.headers, 'retry-after') === undefined)
    report(ctx, 'probe/rate-limit-no-retry-after', limited, {
      route,
      message: `The 429 for GET ${path} has no Retry-After.`,
    });
  const by = limit.by ?? ['ip', 'user'];
  const proxies = ctx.surface.trustedProxies;
  if (by.length === 1 && by[0] === 'ip' && proxies.length === 0) {
    let spoofed: Exchange | undefined;
    for (let i = 1; i <= Math.min(limit.points + 1, 20) && spoofed === undefined; i++) {
      const answer = await send(ctx, {
        method: 'GET',
        path,
        ...(bearer === undefined ? {} : { bearer }),
        headers: { 'x-forwarded-for': `203.0.113.${i}`, 'x-real-ip': `203.0.113.${i}` },
      });
      if (served(answer)) spoofed = answer;
    }
    if (spoofed !== undefined)
      report(ctx, 'probe/header-forwarded-for-bypass', spoofed, {
        route,
        message: `After its per-IP limit answered 429, GET ${path} was served again with a made-up X-Forwarded-For.`,
      });
  }
  if (
    limit.blockFor !== undefined &&
    parseDuration(limit.blockFor) > windowMs &&
    windowMs <= MAX_PENALTY_WAIT_MS
  ) {
    await sleep(windowMs + 1000);
    const after = await send(ctx, { method: 'GET', path, ...(bearer === undefined ? {} : { bearer }) });
    if (after.status !== 429)
      report(ctx, 'probe/rate-limit-penalty-not-held', after, {
        route,
        message: `One window (${limit.window}) after exceeding the limit, GET ${path} answered ${after.status}; blockFor is ${limit.blockFor}.`,
      });
  } else if (limit.blockFor !== undefined)
    skip(ctx, `penalty box of ${routeName(route)}`, `its window ${limit.window} is too long to wait for`);
}
