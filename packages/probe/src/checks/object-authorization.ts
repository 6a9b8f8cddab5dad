import { bearerOf, fillPath, report, send, skip, type ProbeContext } from '../context.ts';
import { grantedScopes, type Credential } from '../credentials.ts';
import { validSample } from '../schema-sample.ts';
import { isUnsafe, routeName, type SurfaceRoute } from '../surface.ts';
import { header, served, type Exchange } from '../target.ts';

/** True when the token's scopes (if readable) cover the route's: a refusal then means something. */
export function mayCall(credential: Credential, route: SurfaceRoute): boolean {
  if (credential.claims === undefined) return true;
  const granted = new Set(grantedScopes(credential.claims));
  return route.scopes.every((s) => granted.has(s));
}

/** Values under `id` (or `key`) anywhere in a JSON answer, at most `limit`. */
export function idsIn(body: string, key: string, limit = 3): string[] {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return [];
  }
  const found: string[] = [];
  const walk = (node: unknown, depth: number): void => {
    if (found.length >= limit || depth > 4 || node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (const item of node) walk(item, depth + 1);
      return;
    }
    const record = node as Record<string, unknown>;
    for (const name of [key, 'id']) {
      const id = record[name];
      if ((typeof id === 'string' && id.length > 0 && id.length < 200) || typeof id === 'number') {
        if (!found.includes(String(id))) found.push(String(id));
        break;
      }
    }
    for (const child of Object.values(record)) walk(child, depth + 1);
  };
  walk(value, 0);
  return found;
}

/** `/orders/{id}` → `/orders`: the collection an item route belongs to. */
function collectionPath(path: string): string | undefined {
  const match = /^(.*)\/\{[a-zA-Z][a-zA-Z0-9]*\}$/.exec(path);
  return match?.[1] === undefined || match[1] === '' ? undefined : match[1];
}

/** An id of user A's for `route` (a GET `…/{param}`): created with --allow-writes, else read from A's list. */
async function objectOfA(ctx: ProbeContext, route: SurfaceRoute, param: string): Promise<string | undefined> {
  const collection = collectionPath(route.path);
  if (collection === undefined) return undefined;
  const userA = bearerOf(ctx.credentials.userA);
  const create = ctx.surface.routes.find((r) => r.method === 'POST' && r.path === collection);
  if (ctx.allowWrites && create !== undefined) {
    const sample = create.body === undefined ? {} : validSample(create.body);
    if (sample !== undefined) {
      const made = await send(ctx, {
        method: 'POST',
        path: collection,
        bearer: userA,
        body: JSON.stringify(sample),
      });
      const location = header(made.headers, 'location');
      const id = served(made) ? (idsIn(made.body, param, 1)[0] ?? location?.split('/').pop()) : undefined;
      if (id !== undefined) {
        ctx.created.push({ route, path: fillPath(route, { [param]: id }) });
        return id;
      }
    }
  }
  const list = ctx.surface.routes.find((r) => r.method === 'GET' && r.path === collection);
  if (list === undefined) return undefined;
  const listed = await send(ctx, { method: 'GET', path: collection, bearer: userA });
  return served(listed) ? idsIn(listed.body, param, 1)[0] : undefined;
}

/**
 * Broken object-level authorization with two users: user B asks for, and with --allow-writes
 * changes, an object of user A's by its id. A refusal (403/404) is right; a 2xx is the finding.
 */
export async function checkObjectAuthorization(ctx: ProbeContext): Promise<void> {
  ctx.progress('object-level authorization: user B on user A’s objects');
  const { userA, userB } = ctx.credentials;
  const items = ctx.surface.routes.filter((r) => r.method === 'GET' && !r.public && r.params.length === 1);
  if (items.length === 0) skip(ctx, 'object-level authorization', 'no GET route with one {id} parameter');
  for (const route of items) {
    const param = route.params[0] ?? 'id';
    if (!mayCall(userA, route) || !mayCall(userB, route)) {
      skip(
        ctx,
        `object-level authorization on ${routeName(route)}`,
        "a user's token lacks the route's scopes",
      );
      continue;
    }
    const id = await objectOfA(ctx, route, param);
    if (id === undefined) {
      skip(
        ctx,
        `object-level authorization on ${routeName(route)}`,
        ctx.allowWrites
          ? 'user A has no object the probe could create or list'
          : 'user A lists no object (run with --allow-writes to create one)',
      );
      continue;
    }
    const privacy = await privateToA(ctx, route, param, id);
    if (privacy !== undefined) {
      skip(ctx, `object-level authorization on ${routeName(route)}`, privacy);
      continue;
    }
    const path = fillPath(route, { [param]: id });
    const own = await send(ctx, { method: 'GET', path, bearer: bearerOf(userA) });
    if (!served(own)) {
      skip(ctx, `object-level authorization on ${routeName(route)}`, `user A's own read got ${own.status}`);
      continue;
    }
    ctx.objectsOfA.push({ route, path });
    const other = await send(ctx, { method: 'GET', path, bearer: bearerOf(userB) });
    if (served(other) && (other.body === own.body || other.body.includes(id)))
      report(ctx, 'probe/authz-bola', other, {
        route,
        variant: 'read',
        message: `user B read user A's object ${path} (${other.status}, the same answer user A gets).`,
      });
    if (ctx.allowWrites) await changeAsB(ctx, route, param, id);
  }
}

/**
 * Why the object is not known to be A's alone (undefined when it is): only an object that A's list
 * of the collection shows and B's does not is private — a product's reviews, readable by all, are not.
 */
async function privateToA(
  ctx: ProbeContext,
  route: SurfaceRoute,
  param: string,
  id: string,
): Promise<string | undefined> {
  const collection = collectionPath(route.path);
  const list = ctx.surface.routes.find((r) => r.method === 'GET' && r.path === collection);
  if (collection === undefined || list === undefined)
    return `no GET ${collection ?? 'collection'} route to tell whether ${id} is user A's alone`;
  const lists = async (credential: Credential): Promise<boolean> => {
    const answer = await send(ctx, { method: 'GET', path: collection, bearer: bearerOf(credential) });
    return served(answer) && idsIn(answer.body, param, 1000).includes(id);
  };
  if (!(await lists(ctx.credentials.userA))) return `user A's list does not show ${id}`;
  if (await lists(ctx.credentials.userB)) return `user B's list shows ${id} too: a shared object`;
  return undefined;
}

/** With --allow-writes: B's unsafe requests on routes below A's object (`POST /orders/{id}/payment`). */
async function changeAsB(ctx: ProbeContext, item: SurfaceRoute, param: string, id: string): Promise<void> {
  const { userB } = ctx.credentials;
  const writes = ctx.surface.routes.filter(
    (r) =>
      isUnsafe(r.method) && r.method !== 'DELETE' && r.params.length === 1 && r.path.startsWith(item.path),
  );
  for (const route of writes) {
    if (!mayCall(userB, route)) continue;
    const sample = route.body === undefined ? {} : validSample(route.body);
    if (sample === undefined) continue;
    const path = fillPath(route, { [param]: id });
    const answer: Exchange = await send(ctx, {
      method: route.method,
      path,
      bearer: bearerOf(userB),
      body: JSON.stringify(sample),
    });
    if (served(answer))
      report(ctx, 'probe/authz-bola', answer, {
        route,
        variant: `write-${route.method}`,
        message: `user B's ${route.method} ${path} on user A's object was served (${answer.status}).`,
      });
  }
}
