import type { User } from '../accounts/index.ts';
import type { IdentityContext } from '../app.ts';
import { AdminError, notFound } from './admin-error.ts';
import { ADMIN_ROLE } from './authenticate.ts';
import { param, type AdminCall, type ParameterDoc } from './route.ts';

/** User ids are UUIDs; anything else names no user (404, without a query). */
const USER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A path parameter naming a user (`{id}`, or `{userId}` below another resource). */
export const userIdParameter: ParameterDoc = {
  description: 'The user id.',
  schema: { type: 'string', format: 'uuid' },
};

/** A user as the admin API shows it: the account, with its creation time in ISO 8601. */
export type UserView = Omit<User, 'createdAt'> & { readonly createdAt: string };

/** The admin API's view of a user. */
export function userView(user: User): UserView {
  return {
    id: user.id,
    username: user.username,
    displayName: user.displayName,
    email: user.email,
    groups: user.groups,
    roles: user.roles,
    disabled: user.disabled,
    mustChangePassword: user.mustChangePassword,
    mfa: user.mfa,
    createdAt: new Date(user.createdAt).toISOString(),
  };
}

/** The user named by the path parameter `name` (default `id`), or 404. */
export async function loadUser(call: AdminCall<unknown>, name = 'id'): Promise<User> {
  const id = param(call, name);
  const user = USER_ID.test(id) ? await call.identity.accounts.findById(id) : undefined;
  if (user === undefined) throw notFound('user');
  return user;
}

/** True when the user is an enabled admin: one whose loss could leave nobody to administer. */
export function isActiveAdmin(user: User): boolean {
  return !user.disabled && user.roles.includes(ADMIN_ROLE);
}

/**
 * Refuses (409 `last_admin`) a change that would leave no enabled user with the `admin` role:
 * deleting, disabling or demoting the last one would lock everyone out of the admin API.
 */
export async function assertAnotherAdminRemains(identity: IdentityContext, userId: string): Promise<void> {
  const row = await identity.store.get<{ n: number | string }>(
    `SELECT COUNT(*) AS n FROM user_roles r JOIN users u ON u.id = r.user_id
      WHERE r.role = ? AND u.disabled = 0 AND u.id <> ?`,
    [ADMIN_ROLE, userId],
  );
  if (Number(row?.n ?? 0) === 0) {
    throw new AdminError(409, 'last_admin', 'This is the last enabled admin: make another admin first.');
  }
}
