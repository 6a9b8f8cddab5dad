import { bearerOf, fillPath, report, send, skip, type ProbeContext } from '../context.ts';
import { claimForgeries, forgeries } from '../jwt-forge.ts';
import { isUnsafe, type SurfaceRoute } from '../surface.ts';
import { served } from '../target.ts';

/** A route and a concrete path user A is served at: where a forged token must be refused. */
export interface Reference {
  readonly route: SurfaceRoute;
  readonly path: string;
}

/**
 * Missing, malformed and forged tokens. Every protected route is asked without a token (unsafe
 * methods only with --allow-writes); the forgeries go to the reference route, where user A's own
 * token is served, so a 2xx there means the forgery opened it.
 */
export async function checkAuthentication(
  ctx: ProbeContext,
  reference: Reference | undefined,
): Promise<void> {
  ctx.progress('tokens: missing, malformed, forged');
  for (const route of ctx.surface.routes) {
    if (route.public) continue;
    if (isUnsafe(route.method) && !ctx.allowWrites) continue;
    const path = fillPath(route);
    const body = isUnsafe(route.method) ? '{}' : undefined;
    const answer = await send(ctx, { method: route.method, path, ...(body === undefined ? {} : { body }) });
    if (served(answer))
      report(ctx, 'probe/auth-missing-token', answer, {
        route,
        message: `${route.method} ${path} answered ${answer.status} without any Authorization header.`,
      });
  }
  if (reference === undefined) {
    skip(ctx, 'forged tokens', "no route serves user A's token without parameters to test forgeries against");
    return;
  }
  const { route, path } = reference;
  for (const [variant, token] of [
    ['garbage', 'rampart-probe-not-a-token'],
    ['three-dots', 'a.b.c'],
  ] as const) {
    const answer = await send(ctx, {
      method: 'GET',
      path,
      bearer: { token, variable: 'GARBAGE', setup: `GARBAGE='${token}'` },
    });
    if (served(answer))
      report(ctx, 'probe/auth-invalid-token', answer, {
        route,
        variant,
        message: `GET ${path} answered ${answer.status} to the bearer token "${token}".`,
      });
  }
  const forged = await forgeries(ctx.credentials.userA.token, ctx.jwks);
  if (ctx.jwks === undefined)
    skip(ctx, 'HS256 key confusion', "the issuer's JWKS could not be read from the target");
  if (ctx.credentials.signingKey === undefined)
    skip(
      ctx,
      'expired, no-exp, wrong-audience and wrong-issuer tokens',
      'the credentials file has no signingKey (only the issuer can sign them)',
    );
  else forged.push(...(await claimForgeries(ctx.credentials.userA.token, ctx.credentials.signingKey)));
  for (const forgery of forged) {
    const answer = await send(ctx, { method: 'GET', path, bearer: forgery.bearer });
    if (served(answer))
      report(ctx, forgery.ruleId, answer, {
        route,
        variant: forgery.variant,
        message: `GET ${path} answered ${answer.status} to ${forgery.description}.`,
      });
  }
  // The same path with A's real token still works: the refusals above were the forgeries', not a lockout.
  const control = await send(ctx, { method: 'GET', path, bearer: bearerOf(ctx.credentials.userA) });
  if (!served(control))
    skip(
      ctx,
      'forged tokens (control)',
      `user A's own token got ${control.status} after the forgeries: results may be refusals for another reason`,
    );
}
