import { endAllSessions } from '../account/sessions.ts';
import type { CreateUserInput } from '../accounts/index.ts';
import { audit } from './audit.ts';
import { withOneTimePassword } from './one-time-password.ts';
import { encodeCursor, pageRequest, pagingQuery } from './pagination.ts';
import { route, type Route } from './route.ts';
import { updateUser } from './user-update.ts';
import {
  assertAnotherAdminRemains,
  isActiveAdmin,
  loadUser,
  userIdParameter,
  userView,
} from './user-lookup.ts';
import { jsonBody } from './validate-body.ts';

/** The body of `POST /users` (schema `CreateUser`). */
interface CreateUserBody {
  readonly username: string;
  readonly password?: string;
  readonly displayName?: string;
  readonly email?: string;
  readonly groups?: readonly string[];
  readonly roles?: readonly string[];
  readonly mustChangePassword?: boolean;
}

const createUserBody = jsonBody<CreateUserBody>('CreateUser');
const emptyBody = jsonBody<Record<string, never>>('Empty', false);
const byId = { id: userIdParameter };

/**
 * Users: list (by username, keyset-paginated), get, create (with a generated one-time password
 * when none is given, returned once), update (see `user-update.ts`), delete (signing the user out
 * everywhere first), and reset the password to a new one-time password (also signing out).
 */
export const userRoutes: readonly Route[] = [
  route({
    method: 'GET',
    path: '/users',
    operationId: 'listUsers',
    tag: 'users',
    summary: 'List users by username',
    query: pagingQuery,
    success: { status: 200, schema: 'UserList', description: 'A page of users.' },
    handle: async ({ identity, query }) => {
      const page = pageRequest(query);
      const found = await identity.accounts.listUsers({ limit: page.limit, after: page.after });
      return {
        status: 200,
        body: {
          items: found.users.map(userView),
          next: found.next === null ? null : encodeCursor(found.next),
        },
      };
    },
  }),
  route({
    method: 'POST',
    path: '/users',
    operationId: 'createUser',
    tag: 'users',
    summary: 'Create a user',
    description: 'Without a password, a one-time password is generated and returned once.',
    body: createUserBody,
    success: { status: 201, schema: 'UserCreated', description: 'The user (and its one-time password).' },
    refusals: ['409'],
    handle: async ({ identity, admin, body }) => {
      const input = (password: string | undefined, mustChange: boolean): CreateUserInput => ({
        username: body.username,
        mustChangePassword: mustChange,
        ...(password === undefined ? {} : { password }),
        ...(body.displayName === undefined ? {} : { displayName: body.displayName }),
        ...(body.email === undefined ? {} : { email: body.email }),
        ...(body.groups === undefined ? {} : { groups: body.groups }),
        ...(body.roles === undefined ? {} : { roles: body.roles }),
      });
      if (body.password !== undefined) {
        const user = await identity.accounts.createUser(
          input(body.password, body.mustChangePassword === true),
        );
        audit(identity.events, admin, 'admin.user_created');
        return { status: 201, body: { user: userView(user) } };
      }
      const { result: user, password } = await withOneTimePassword((generated) =>
        identity.accounts.createUser(input(generated, true)),
      );
      audit(identity.events, admin, 'admin.user_created', 'one_time_password');
      return { status: 201, body: { user: userView(user), oneTimePassword: password } };
    },
  }),
  route({
    method: 'GET',
    path: '/users/{id}',
    operationId: 'getUser',
    tag: 'users',
    summary: 'Get a user',
    parameters: byId,
    success: { status: 200, schema: 'User', description: 'The user.' },
    refusals: ['404'],
    handle: async (call) => ({ status: 200, body: userView(await loadUser(call)) }),
  }),
  route({
    method: 'PATCH',
    path: '/users/{id}',
    operationId: 'updateUser',
    tag: 'users',
    summary: 'Change a user',
    description:
      'Disabling signs the user out everywhere. The last enabled admin cannot be disabled or demoted.',
    parameters: byId,
    body: updateUser.body,
    success: { status: 200, schema: 'User', description: 'The changed user.' },
    refusals: ['404', '409'],
    handle: updateUser.handle,
  }),
  route({
    method: 'DELETE',
    path: '/users/{id}',
    operationId: 'deleteUser',
    tag: 'users',
    summary: 'Delete a user (and sign them out everywhere)',
    parameters: byId,
    success: { status: 204, description: 'Deleted.' },
    refusals: ['404', '409'],
    handle: async (call) => {
      const { identity, admin } = call;
      const user = await loadUser(call);
      if (isActiveAdmin(user)) await assertAnotherAdminRemains(identity, user.id);
      await endAllSessions(identity, user.id);
      await identity.accounts.deleteUser(user.id);
      audit(identity.events, admin, 'admin.user_deleted');
      return { status: 204 };
    },
  }),
  route({
    method: 'POST',
    path: '/users/{id}/password-reset',
    operationId: 'resetPassword',
    tag: 'users',
    summary: 'Replace the password with a one-time password (and sign out everywhere)',
    parameters: byId,
    body: emptyBody,
    success: { status: 200, schema: 'OneTimePassword', description: 'The one-time password, shown once.' },
    refusals: ['404'],
    handle: async (call) => {
      const { identity, admin } = call;
      const user = await loadUser(call);
      const { password } = await withOneTimePassword((generated) =>
        identity.accounts.setPassword(user.id, generated, { mustChange: true }),
      );
      await endAllSessions(identity, user.id);
      audit(identity.events, admin, 'admin.password_reset');
      return { status: 200, body: { oneTimePassword: password } };
    },
  }),
];
