import { bearerOf, fillPath, report, send, skip, type ProbeContext } from '../context.ts';
import { routeName, type SurfaceRoute } from '../surface.ts';
import { served } from '../target.ts';
import { mayCall } from './object-authorization.ts';

/**
 * Cache keys across principals: user B asks first (B's own answer), user A asks, user B asks
 * again at once. If B's second answer is A's and not B's first, a cache served A's answer to B.
 * Run on protected GET routes without parameters and on the objects of A's the run found.
 */
export async function checkCache(ctx: ProbeContext): Promise<void> {
  ctx.progress('cache: one URL, two principals');
  const { userA, userB } = ctx.credentials;
  const targets: { route: SurfaceRoute; path: string }[] = [
    ...ctx.surface.routes
      .filter((r) => r.method === 'GET' && !r.public && r.params.length === 0)
      .map((route) => ({ route, path: fillPath(route) })),
    ...ctx.objectsOfA,
  ];
  for (const { route, path } of targets) {
    if (!mayCall(userA, route) || !mayCall(userB, route)) continue;
    const before = await send(ctx, { method: 'GET', path, bearer: bearerOf(userB) });
    const own = await send(ctx, { method: 'GET', path, bearer: bearerOf(userA) });
    const after = await send(ctx, { method: 'GET', path, bearer: bearerOf(userB) });
    if (!served(own) || own.body === before.body) {
      skip(
        ctx,
        `cache keys on ${routeName(route)}`,
        "users A and B get the same answer: nothing tells A's from B's",
      );
      continue;
    }
    if (after.body === own.body && after.body !== before.body)
      report(ctx, 'probe/cache-cross-principal', after, {
        route,
        message: `user B got user A's answer to GET ${path} right after A asked for it (B's own answer a moment before differed).`,
      });
  }
}
