import { endAllSessions } from '../account/sessions.ts';
import type { User } from '../accounts/index.ts';
import type { IdentityContext } from '../app.ts';
import { AdminError } from './admin-error.ts';
import { audit } from './audit.ts';
import { ADMIN_ROLE } from './authenticate.ts';
import { changesProfile, checkProfile, type ProfileChange } from './profile.ts';
import type { AdminCall, Reply } from './route.ts';
import { assertAnotherAdminRemains, isActiveAdmin, loadUser, userView } from './user-lookup.ts';
import { jsonBody } from './validate-body.ts';

/** The body of `PATCH /users/{id}` (schema `UpdateUser`): only the fields to change. */
interface UpdateUserBody {
  readonly displayName?: string | null;
  readonly email?: string | null;
  readonly disabled?: boolean;
  /** The complete new set. */
  readonly groups?: readonly string[];
  /** The complete new set. */
  readonly roles?: readonly string[];
}

/**
 * `PATCH /users/{id}`. Everything is checked before anything is written (unknown groups, the
 * profile fields, and that an enabled admin remains), so a refused request changes nothing.
 * Disabling a user also signs them out everywhere. One `admin.user_updated` event per kind of
 * change: `profile_changed`, `groups_changed`, `roles_changed`, `user_disabled`, `user_enabled`.
 */
export const updateUser = {
  body: jsonBody<UpdateUserBody>('UpdateUser'),
  handle: async (call: AdminCall<UpdateUserBody>): Promise<Reply<200>> => {
    const { identity, admin, body } = call;
    const user = await loadUser(call);
    const profile: ProfileChange = {
      ...(body.displayName === undefined ? {} : { displayName: body.displayName }),
      ...(body.email === undefined ? {} : { email: body.email }),
    };
    checkProfile(profile);
    if (body.groups !== undefined) await assertGroupsExist(identity, body.groups);
    const demoted = body.roles !== undefined && !body.roles.includes(ADMIN_ROLE);
    if (isActiveAdmin(user) && (body.disabled === true || demoted)) {
      await assertAnotherAdminRemains(identity, user.id);
    }

    const changes: string[] = [];
    if (changesProfile(profile)) {
      await identity.accounts.updateProfile(user.id, profile);
      changes.push('profile_changed');
    }
    if (body.groups !== undefined && (await replaceGroups(identity, user, body.groups)))
      changes.push('groups_changed');
    if (body.roles !== undefined && (await replaceRoles(identity, user, body.roles)))
      changes.push('roles_changed');
    if (body.disabled !== undefined && body.disabled !== user.disabled) {
      if (body.disabled) {
        await identity.accounts.disableUser(user.id);
        await endAllSessions(identity, user.id);
        changes.push('user_disabled');
      } else {
        await identity.accounts.enableUser(user.id);
        changes.push('user_enabled');
      }
    }
    for (const reason of changes) audit(identity.events, admin, 'admin.user_updated', reason);
    const updated = await identity.accounts.findById(user.id);
    if (updated === undefined) throw new AdminError(404, 'not_found', 'There is no such user.');
    return { status: 200, body: userView(updated) };
  },
};

async function assertGroupsExist(identity: IdentityContext, groups: readonly string[]): Promise<void> {
  const known = new Set((await identity.accounts.listGroups()).map((group) => group.name));
  const index = groups.findIndex((group) => !known.has(group));
  if (index !== -1) throw new AdminError(400, 'unknown_group', `groups[${index}]: there is no such group.`);
}

/** Makes the user's groups exactly `wanted`; true if anything changed. */
async function replaceGroups(
  identity: IdentityContext,
  user: User,
  wanted: readonly string[],
): Promise<boolean> {
  const { added, removed } = difference(user.groups, wanted);
  for (const group of added) await identity.accounts.addToGroup(user.id, group);
  for (const group of removed) await identity.accounts.removeFromGroup(user.id, group);
  return added.length + removed.length > 0;
}

/** Makes the user's roles exactly `wanted`; true if anything changed. */
async function replaceRoles(
  identity: IdentityContext,
  user: User,
  wanted: readonly string[],
): Promise<boolean> {
  const { added, removed } = difference(user.roles, wanted);
  for (const role of added) await identity.accounts.grantRole(user.id, role);
  for (const role of removed) await identity.accounts.revokeRole(user.id, role);
  return added.length + removed.length > 0;
}

function difference(
  current: readonly string[],
  wanted: readonly string[],
): { added: string[]; removed: string[] } {
  const have = new Set(current);
  const want = new Set(wanted);
  return {
    added: [...want].filter((item) => !have.has(item)),
    removed: [...have].filter((item) => !want.has(item)),
  };
}
