import { bearerOf, fillPath, report, send, skip, type ProbeContext } from '../context.ts';
import { grantedScopes } from '../credentials.ts';
import { tokenWithScope } from '../jwt-forge.ts';
import { isUnsafe, routeName } from '../surface.ts';
import type { Bearer } from '../target.ts';
import { served } from '../target.ts';

/**
 * Scope enforcement: each protected route with scopes, called with a token that lacks one of them
 * (a credential of the file that lacks it, or — with the issuer key — user A's token re-signed
 * without them). A 2xx is the finding.
 */
export async function checkScopes(ctx: ProbeContext): Promise<void> {
  ctx.progress('scopes: tokens without the route’s scope');
  const { userA, userB, client, signingKey } = ctx.credentials;
  const holders = [userA, userB, ...(client === undefined ? [] : [client])];
  for (const route of ctx.surface.routes) {
    if (route.public || route.scopes.length === 0 || (isUnsafe(route.method) && !ctx.allowWrites)) continue;
    let bearer: Bearer | undefined;
    const lacking = holders.find(
      (h) => h.claims !== undefined && route.scopes.some((s) => !grantedScopes(h.claims).includes(s)),
    );
    if (lacking !== undefined) bearer = bearerOf(lacking);
    else if (signingKey !== undefined) {
      const kept = grantedScopes(userA.claims).filter((s) => !route.scopes.includes(s));
      bearer = await tokenWithScope(userA.token, signingKey, kept.length > 0 ? kept.join(' ') : 'openid');
    }
    if (bearer === undefined) {
      skip(
        ctx,
        `scope enforcement on ${routeName(route)}`,
        'no credential lacks its scopes (add a signingKey or a client token)',
      );
      continue;
    }
    const path = fillPath(route);
    const answer = await send(ctx, {
      method: route.method,
      path,
      bearer,
      ...(isUnsafe(route.method) ? { body: '{}' } : {}),
    });
    if (served(answer))
      report(ctx, 'probe/authz-missing-scope', answer, {
        route,
        message: `${route.method} ${path} needs ${route.scopes.join(' ')} but answered ${answer.status} to a token without ${route.scopes.length === 1 ? 'it' : 'them'}.`,
      });
  }
}

const WRITE_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE'];

/**
 * Method enforcement: at each declared path, TRACE and (when only writes are declared) GET; with
 * --allow-writes also each write method the path does not declare. User A's token is sent, so only
 * the method can be the reason for a refusal.
 */
export async function checkMethods(ctx: ProbeContext): Promise<void> {
  ctx.progress('methods: what no route declares');
  const byPath = new Map<string, Set<string>>();
  for (const route of ctx.surface.routes) {
    const methods = byPath.get(route.path) ?? new Set<string>();
    methods.add(route.method);
    if (route.method === 'GET') methods.add('HEAD');
    byPath.set(route.path, methods);
  }
  for (const [template, declared] of byPath) {
    const route = ctx.surface.routes.find((r) => r.path === template);
    if (route === undefined) continue;
    const tried = ['TRACE', ...(declared.has('GET') ? [] : ['GET'])];
    if (ctx.allowWrites) tried.push(...WRITE_METHODS.filter((m) => !declared.has(m)));
    const path = fillPath(route);
    for (const method of tried) {
      const answer = await send(ctx, {
        method,
        path,
        bearer: bearerOf(ctx.credentials.userA),
        ...(isUnsafe(method) && method !== 'DELETE' ? { body: '{}' } : {}),
      });
      if (served(answer))
        report(ctx, 'probe/authz-undeclared-method', answer, {
          route: { method, path: template },
          variant: method,
          message: `${method} ${path} answered ${answer.status}; rampart.yaml declares only ${[...declared].join(', ')} there.`,
        });
    }
  }
}
