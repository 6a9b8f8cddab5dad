import { GROUP_PATTERN, type Group } from '../accounts/index.ts';
import { AdminError, notFound } from './admin-error.ts';
import { audit } from './audit.ts';
import { pageOf, pageRequest, pagingQuery } from './pagination.ts';
import { param, route, type AdminCall, type ParameterDoc, type Route } from './route.ts';
import { loadUser, userIdParameter } from './user-lookup.ts';
import { jsonBody } from './validate-body.ts';

/** The body of `POST /groups` (schema `CreateGroup`). */
interface CreateGroupBody {
  readonly name: string;
  readonly description?: string;
}

/** The path parameter `{name}`. */
const groupName: ParameterDoc = { description: 'The group name.', schema: { type: 'string' } };

/** A group as the admin API shows it. */
interface GroupView {
  readonly name: string;
  readonly description: string | null;
  readonly members: number;
  readonly createdAt: string;
}

function groupView(group: Group): GroupView {
  return { ...group, createdAt: new Date(group.createdAt).toISOString() };
}

/** The existing group named by the path parameter `{name}`, or 404. */
async function loadGroup(call: AdminCall<unknown>): Promise<Group> {
  const name = param(call, 'name');
  const group = GROUP_PATTERN.test(name)
    ? (await call.identity.accounts.listGroups()).find((candidate) => candidate.name === name)
    : undefined;
  if (group === undefined) throw notFound('group');
  return group;
}

/**
 * Groups: list (by name, paginated), create, delete (with its memberships), and add or remove a
 * member. Every change is one `admin.group_changed` event (`group_created`, `group_deleted`,
 * `member_added`, `member_removed`).
 */
export const groupRoutes: readonly Route[] = [
  route({
    method: 'GET',
    path: '/groups',
    operationId: 'listGroups',
    tag: 'groups',
    summary: 'List groups by name',
    query: pagingQuery,
    success: { status: 200, schema: 'GroupList', description: 'A page of groups.' },
    handle: async ({ identity, query }) => {
      const request = pageRequest(query);
      const groups = (await identity.accounts.listGroups()).sort((a, b) => (a.name < b.name ? -1 : 1));
      const page = pageOf(groups, (group) => group.name, request);
      return { status: 200, body: { items: page.items.map(groupView), next: page.next } };
    },
  }),
  route({
    method: 'POST',
    path: '/groups',
    operationId: 'createGroup',
    tag: 'groups',
    summary: 'Create a group',
    success: { status: 201, schema: 'Group', description: 'The group.' },
    refusals: ['409'],
    body: jsonBody<CreateGroupBody>('CreateGroup'),
    handle: async ({ identity, admin, body }) => {
      const group = await identity.accounts.createGroup(body.name, body.description);
      audit(identity.events, admin, 'admin.group_changed', 'group_created');
      return { status: 201, body: groupView(group) };
    },
  }),
  route({
    method: 'DELETE',
    path: '/groups/{name}',
    operationId: 'deleteGroup',
    tag: 'groups',
    summary: 'Delete a group and its memberships',
    parameters: { name: groupName },
    success: { status: 204, description: 'Deleted.' },
    refusals: ['404'],
    handle: async (call) => {
      const group = await loadGroup(call);
      if (!(await call.identity.accounts.deleteGroup(group.name))) throw notFound('group');
      audit(call.identity.events, call.admin, 'admin.group_changed', 'group_deleted');
      return { status: 204 };
    },
  }),
  route({
    method: 'PUT',
    path: '/groups/{name}/members/{userId}',
    operationId: 'addGroupMember',
    tag: 'groups',
    summary: 'Add a user to a group',
    parameters: { name: groupName, userId: userIdParameter },
    success: { status: 204, description: 'The user is a member.' },
    refusals: ['404'],
    handle: async (call) => {
      const group = await loadGroup(call);
      const user = await loadUser(call, 'userId');
      if (!user.groups.includes(group.name)) {
        await call.identity.accounts.addToGroup(user.id, group.name);
        audit(call.identity.events, call.admin, 'admin.group_changed', 'member_added');
      }
      return { status: 204 };
    },
  }),
  route({
    method: 'DELETE',
    path: '/groups/{name}/members/{userId}',
    operationId: 'removeGroupMember',
    tag: 'groups',
    summary: 'Remove a user from a group',
    parameters: { name: groupName, userId: userIdParameter },
    success: { status: 204, description: 'Removed.' },
    refusals: ['404'],
    handle: async (call) => {
      const group = await loadGroup(call);
      const user = await loadUser(call, 'userId');
      if (!(await call.identity.accounts.removeFromGroup(user.id, group.name))) {
        throw new AdminError(404, 'not_found', 'The user is not a member of this group.');
      }
      audit(call.identity.events, call.admin, 'admin.group_changed', 'member_removed');
      return { status: 204 };
    },
  }),
];
