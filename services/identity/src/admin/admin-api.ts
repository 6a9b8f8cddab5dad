import type { IncomingMessage, ServerResponse } from 'node:http';
import { AccountError } from '../accounts/index.ts';
import type { IdentityContext } from '../app.ts';
import { sendJson, type PathHandler } from '../http/router.ts';
import { AdminError, fromAccountError, invalidRequest } from './admin-error.ts';
import { auditDenied } from './audit.ts';
import { AdminTokenVerifier } from './authenticate.ts';
import { clientRoutes } from './clients.ts';
import { deviceRoutes } from './devices.ts';
import { groupRoutes } from './groups.ts';
import { keyRoutes } from './keys.ts';
import { adminOpenApi, OPENAPI_PATH } from './openapi.ts';
import { hasBody, readJsonBody } from './read-json-body.ts';
import { matchRoute, type Reply, type Route } from './route.ts';
import { sessionRoutes } from './sessions.ts';
import { userRoutes } from './users.ts';

/** Where the admin API lives below the issuer's mount path. */
export const ADMIN_PREFIX = '/admin';

/**
 * The operation table: every operation that needs an admin token, each declared once (method,
 * path template, operationId, parameters, body schema, responses, handler) in its resource module.
 * The dispatcher below routes by it and `openapi.ts` generates the document from it.
 */
export const adminRoutes: readonly Route[] = [
  ...userRoutes,
  ...deviceRoutes,
  ...sessionRoutes,
  ...groupRoutes,
  ...clientRoutes,
  ...keyRoutes,
];

/**
 * The admin API (`<issuer>/admin/…`), JSON over HTTPS. A request's journey, in order:
 * 1. route: unknown path → 404, known path with another method → 405 (with `Allow`);
 * 2. authenticate and authorize the bearer token (see `authenticate.ts`); refusals are 401/403
 *    and an `admin.denied` event — nothing else has been read or done;
 * 3. refuse query parameters the route does not take (400);
 * 4. read the body: JSON only (415), at most 64 KiB (413), no prototype keys, then validate it
 *    against the route's schema (400 naming the field);
 * 5. run the operation, which emits its `admin.*` event.
 * Errors are `{ "error", "error_description" }`; unexpected ones are logged and answered with a
 * bare 500 `server_error`, never a stack. `GET /admin/openapi.json` is public: it describes the
 * API, it holds no data.
 *
 * @example
 * buildIdentity({ ..., handlers: [adminApi] });
 */
export function adminApi(identity: IdentityContext): PathHandler {
  const verifier = new AdminTokenVerifier(identity);
  const openApiText = JSON.stringify(adminOpenApi(identity.settings, adminRoutes));

  return async (req, res, path) => {
    if (path !== ADMIN_PREFIX && !path.startsWith(`${ADMIN_PREFIX}/`)) return false;
    const below = path.slice(ADMIN_PREFIX.length);
    try {
      if (below === OPENAPI_PATH) {
        if (req.method !== 'GET') {
          throw new AdminError(405, 'method_not_allowed', 'This path does not support that method.', {
            allow: ['GET'],
          });
        }
        res.writeHead(200, {
          'content-type': 'application/json; charset=utf-8',
          'cache-control': 'no-cache',
        });
        res.end(openApiText);
        return true;
      }
      const match = matchRoute(adminRoutes, req.method ?? '', below);
      if (match.kind === 'not_found') {
        throw new AdminError(404, 'not_found', 'There is no such operation in the admin API.');
      }
      if (match.kind === 'method_not_allowed') {
        throw new AdminError(405, 'method_not_allowed', 'This path does not support that method.', {
          allow: match.allow,
        });
      }
      const admin = await verifier.authenticate(req.rawHeaders);
      const query = checkQuery(req.url ?? '', Object.keys(match.route.query));
      const body = await readJsonBody(req);
      send(res, await match.route.run({ identity, admin, params: match.params, query, body }));
    } catch (error) {
      sendError(identity, req, res, error);
    }
    return true;
  };
}

/** The query, refused (400) if it has a parameter the route does not take, or one twice. */
function checkQuery(url: string, allowed: readonly string[]): URLSearchParams {
  const queryAt = url.indexOf('?');
  const query = new URLSearchParams(queryAt === -1 ? '' : url.slice(queryAt + 1));
  const seen = new Set<string>();
  for (const name of query.keys()) {
    if (!allowed.includes(name)) {
      throw invalidRequest(
        allowed.length === 0
          ? 'query: this operation takes no parameters.'
          : `query: unknown parameter (allowed: ${allowed.join(', ')}).`,
      );
    }
    if (seen.has(name)) throw invalidRequest(`${name}: given more than once.`);
    seen.add(name);
  }
  return query;
}

function send(res: ServerResponse, reply: Reply): void {
  if (reply.body === undefined) {
    res.writeHead(reply.status, { 'cache-control': 'no-store' });
    res.end();
    return;
  }
  sendJson(res, reply.status, reply.body);
}

function sendError(
  identity: IdentityContext,
  req: IncomingMessage,
  res: ServerResponse,
  error: unknown,
): void {
  let refusal: AdminError;
  if (error instanceof AdminError) refusal = error;
  else if (error instanceof AccountError) refusal = fromAccountError(error.code, error.message);
  else {
    identity.log.error({ err: error }, 'admin api: request failed');
    refusal = new AdminError(500, 'server_error', 'The request could not be completed.');
  }
  auditDenied(identity.events, refusal);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (refusal.wwwAuthenticate !== undefined) res.setHeader('www-authenticate', refusal.wwwAuthenticate);
  if (refusal.allow !== undefined) res.setHeader('allow', refusal.allow.join(', '));
  // A body we did not read stays unread: close the connection rather than drain it.
  if (hasBody(req.headers) && !req.readableEnded) res.setHeader('connection', 'close');
  sendJson(res, refusal.status, { error: refusal.code, error_description: refusal.description });
}
