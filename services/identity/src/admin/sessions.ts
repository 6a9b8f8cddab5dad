import {
  endAllSessions,
  endSession,
  listAllSessions,
  listSessions,
  type SessionSummary,
} from '../account/sessions.ts';
import { notFound } from './admin-error.ts';
import { audit } from './audit.ts';
import { encodeCursor, pageOf, pageRequest, pagingQuery } from './pagination.ts';
import { param, route, type Route } from './route.ts';
import { loadUser, userIdParameter } from './user-lookup.ts';

/** oidc-provider session uids are nanoids; anything else names no session. */
const SESSION_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** A session as the admin API shows it: its public id (`sid`), never its cookie value. */
function sessionView(session: SessionSummary): Record<string, unknown> {
  return {
    id: session.uid,
    signedInAt: session.loginTs === null ? null : new Date(session.loginTs * 1000).toISOString(),
    expiresAt: session.expiresAt === null ? null : new Date(session.expiresAt).toISOString(),
    amr: session.amr,
    acr: session.acr,
    clients: session.clients,
  };
}

/**
 * Everyone's sign-in sessions (`GET /sessions`, by id, with the user's id and username), and a
 * user's (with the self-service logic of `account/sessions.ts`): list them by id, end one (with the grants and refresh tokens obtained through it), or sign the user out
 * everywhere. Each end is an `admin.sessions_revoked` event (`session_revoked`,
 * `all_sessions_revoked`). JWT access tokens already issued expire on their own (5–15 minutes).
 */
export const sessionRoutes: readonly Route[] = [
  route({
    method: 'GET',
    path: '/sessions',
    operationId: 'listAllSessions',
    tag: 'users',
    summary: 'Every open sign-in session, with its user',
    query: pagingQuery,
    success: { status: 200, schema: 'UserSessionList', description: 'A page of sessions, by id.' },
    handle: async (call) => {
      const request = pageRequest(call.query);
      const page = await listAllSessions(call.identity, request);
      const ids = [...new Set(page.items.map((session) => session.accountId))];
      const users = new Map(
        await Promise.all(ids.map(async (id) => [id, await call.identity.accounts.findById(id)] as const)),
      );
      const items = page.items.flatMap((session) => {
        const user = users.get(session.accountId);
        // A session outliving its (deleted) user names nobody: it is not shown.
        return user === undefined
          ? []
          : [{ ...sessionView(session), userId: user.id, username: user.username }];
      });
      return {
        status: 200,
        body: { items, next: page.nextAfter === null ? null : encodeCursor(page.nextAfter) },
      };
    },
  }),
  route({
    method: 'GET',
    path: '/users/{id}/sessions',
    operationId: 'listSessions',
    tag: 'users',
    summary: "A user's sign-in sessions",
    parameters: { id: userIdParameter },
    query: pagingQuery,
    success: { status: 200, schema: 'SessionList', description: 'A page of sessions.' },
    refusals: ['404'],
    handle: async (call) => {
      const request = pageRequest(call.query);
      const user = await loadUser(call);
      const sessions = (await listSessions(call.identity, user.id)).sort((a, b) => (a.uid < b.uid ? -1 : 1));
      const page = pageOf(sessions, (session) => session.uid, request);
      return { status: 200, body: { items: page.items.map(sessionView), next: page.next } };
    },
  }),
  route({
    method: 'DELETE',
    path: '/users/{id}/sessions',
    operationId: 'revokeAllSessions',
    tag: 'users',
    summary: 'Sign the user out everywhere (sessions, grants, refresh tokens)',
    parameters: { id: userIdParameter },
    success: { status: 200, schema: 'SessionsRevoked', description: 'How many sessions were ended.' },
    refusals: ['404'],
    handle: async (call) => {
      const user = await loadUser(call);
      const { sessions } = await endAllSessions(call.identity, user.id);
      audit(call.identity.events, call.admin, 'admin.sessions_revoked', 'all_sessions_revoked');
      return { status: 200, body: { revoked: sessions } };
    },
  }),
  route({
    method: 'DELETE',
    path: '/users/{id}/sessions/{sessionId}',
    operationId: 'revokeSession',
    tag: 'users',
    summary: 'End one session (and the grants made through it)',
    parameters: {
      id: userIdParameter,
      sessionId: { description: 'The session id (sid).', schema: { type: 'string' } },
    },
    success: { status: 204, description: 'Ended.' },
    refusals: ['404'],
    handle: async (call) => {
      const user = await loadUser(call);
      const sessionId = param(call, 'sessionId');
      const ended = SESSION_ID.test(sessionId) && (await endSession(call.identity, user.id, sessionId));
      if (ended === false) throw notFound('session');
      audit(call.identity.events, call.admin, 'admin.sessions_revoked', 'session_revoked');
      return { status: 204 };
    },
  }),
];
