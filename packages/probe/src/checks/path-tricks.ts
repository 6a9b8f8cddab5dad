import { fillPath, report, send, type ProbeContext } from '../context.ts';
import { served } from '../target.ts';

/** Rewrites of a path that a careless router reads as the same route and a careless check does not. */
export function pathVariants(path: string, publicPrefix: string | undefined): [string, string][] {
  const [, first = '', rest = ''] = /^\/([^/]*)(.*)$/.exec(path) ?? [];
  const variants: [string, string][] = [
    ['double-slash', `/${path}`],
    ['trailing-slash', `${path}/`],
    ['trailing-dot', `${path}.`],
    ['semicolon-param', `${path};rampart=probe`],
    ['upper-case', path.toUpperCase()],
    ['dot-segment', `/.${path}`],
    ['dot-dot-segment', `/rampart-probe/..${path}`],
    ['encoded-dot-dot', `/rampart-probe/%2e%2e${path}`],
    ['encoded-dot', `/%2e${path}`],
    ['encoded-slash', `/rampart-probe%2f..${path}`],
    ['trailing-encoded-slash', `${path}%2f`],
    ['encoded-letter', `/%${first.charCodeAt(0).toString(16)}${first.slice(1)}${rest}`],
    ['encoded-space', `${path}%20`],
    ['backslash', `/rampart-probe%5c..${path}`],
  ];
  if (publicPrefix !== undefined)
    variants.push(
      ['public-dot-dot', `${publicPrefix}/..${path}`],
      ['public-encoded-dot-dot', `${publicPrefix}/%2e%2e${path}`],
      ['public-encoded-slash', `${publicPrefix}%2f..${path}`],
    );
  return variants;
}

/**
 * Path normalization and encoding tricks against every protected GET route, without a token:
 * whatever the target makes of `..`, `%2e%2e`, `%2f`, `//`, `;`, case or a trailing dot or slash,
 * it must never serve a protected route's content to nobody.
 */
export async function checkPathTricks(ctx: ProbeContext): Promise<void> {
  ctx.progress('paths: normalization and encoding tricks');
  const publicRoute = ctx.surface.routes.find((r) => r.public && r.method === 'GET' && r.params.length === 0);
  for (const route of ctx.surface.routes) {
    if (route.public || route.method !== 'GET') continue;
    for (const [variant, path] of pathVariants(fillPath(route), publicRoute?.path)) {
      const answer = await send(ctx, { method: 'GET', path });
      if (served(answer))
        report(ctx, 'probe/path-normalization-bypass', answer, {
          route,
          variant,
          message: `GET ${path} (${variant}) answered ${answer.status} without a token; ${route.path} needs one.`,
        });
    }
  }
}
