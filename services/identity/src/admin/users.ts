import { endAllSessions } from '../account/sessions.ts';
import type { CreateUserInput } from '../accounts/index.ts';
import { audit } from './audit.ts';
import { withOneTimePassword } from './one-time-password.ts';
import { encodeCursor, pageRequest } from './pagination.ts';
import { route, type Route } from './route.ts';
import { updateUser } from './user-update.ts';
import { assertAnotherAdminRemains, isActiveAdmin, loadUser, userView } from './user-lookup.ts';
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

/**
 * Users: list (by username, keyset-paginated), get, create (with a generated one-time password
 * when none is given, returned once), update (see `user-update.ts`), delete (signing the user out
 * everywhere first), and reset the password to a new one-time password (also signing out).
 */
export const userRoutes: readonly Route[] = [
  route({
    method: 'GET',
    path: '/users',
    query: ['limit', 'after'],
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
    body: createUserBody,
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
    handle: async (call) => ({ status: 200, body: userView(await loadUser(call)) }),
  }),
  route({
    method: 'PATCH',
    path: '/users/{id}',
    body: updateUser.body,
    handle: updateUser.handle,
  }),
  route({
    method: 'DELETE',
    path: '/users/{id}',
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
    body: emptyBody,
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
