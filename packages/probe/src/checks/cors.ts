import { bearerOf, report, send, type ProbeContext } from '../context.ts';
import { header, type Exchange } from '../target.ts';
import type { Reference } from './authentication.ts';

const FOREIGN = 'https://rampart-probe.invalid';

/**
 * CORS on the reference route with user A's token: a foreign origin (simple request and
 * preflight) must not be echoed back, `null` must not be allowed, and `*` never with credentials.
 */
export async function checkCors(ctx: ProbeContext, reference: Reference | undefined): Promise<void> {
  if (reference === undefined) return;
  ctx.progress('CORS: foreign, null and wildcard origins');
  const allowed = ctx.surface.cors?.origins ?? [];
  const userA = bearerOf(ctx.credentials.userA);
  const answers: Exchange[] = [
    await send(ctx, { method: 'GET', path: reference.path, bearer: userA, headers: { origin: FOREIGN } }),
    await send(ctx, {
      method: 'OPTIONS',
      path: reference.path,
      headers: {
        origin: FOREIGN,
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization',
      },
    }),
    await send(ctx, { method: 'GET', path: reference.path, bearer: userA, headers: { origin: 'null' } }),
  ];
  for (const answer of answers) {
    const origin = answer.request.headers?.['origin'] ?? '';
    const allowOrigin = header(answer.headers, 'access-control-allow-origin');
    const credentials = header(answer.headers, 'access-control-allow-credentials') === 'true';
    const variant = `${answer.request.method}-${origin === 'null' ? 'null' : 'foreign'}`;
    if (allowOrigin === 'null' && origin === 'null')
      report(ctx, 'probe/cors-null-origin', answer, {
        route: reference.route,
        variant,
        message: `Origin null was allowed (Access-Control-Allow-Origin: null${credentials ? ', with credentials' : ''}).`,
      });
    else if (allowOrigin === origin && origin !== '' && !allowed.includes(origin))
      report(ctx, 'probe/cors-origin-reflected', answer, {
        route: reference.route,
        variant,
        message: `${origin}, which gateway.cors does not list, was echoed in Access-Control-Allow-Origin${credentials ? ' with Access-Control-Allow-Credentials: true' : ''}.`,
      });
    if (allowOrigin === '*' && credentials)
      report(ctx, 'probe/cors-wildcard-credentials', answer, {
        route: reference.route,
        variant,
        message: 'Access-Control-Allow-Origin: * was sent with Access-Control-Allow-Credentials: true.',
      });
  }
}
