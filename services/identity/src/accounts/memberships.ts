import { isUniqueViolation, type Store } from '@rampart/sdk';
import { AccountError } from './account-error.ts';
import { checkDescription, checkName } from './account-fields.ts';

/** A group, with how many users are in it. */
export interface Group {
  readonly name: string;
  readonly description: string | null;
  readonly members: number;
  /** Epoch milliseconds. */
  readonly createdAt: number;
}

/**
 * Group and role membership: the SQL behind `AccountStore`'s group and role methods. Groups are
 * rows of their own (created and deleted by an administrator); roles are free names granted per
 * user (`admin`), so granting one needs no set-up.
 */
export class Memberships {
  readonly #store: Store;
  readonly #now: () => number;

  constructor(store: Store, now: () => number) {
    this.#store = store;
    this.#now = now;
  }

  async createGroup(name: string, description?: string): Promise<Group> {
    checkName(name, 'group');
    const text = checkDescription(description);
    const createdAt = this.#now();
    try {
      await this.#store.run('INSERT INTO groups (name, description, created_at) VALUES (?, ?, ?)', [
        name,
        text,
        createdAt,
      ]);
    } catch (error) {
      if (isUniqueViolation(error)) throw new AccountError('group_exists', 'A group with that name exists.');
      throw error;
    }
    return { name, description: text, members: 0, createdAt };
  }

  /** Deletes a group and its memberships; false if there was no such group. */
  deleteGroup(name: string): Promise<boolean> {
    return this.#store.transaction(async (tx) => {
      await tx.run('DELETE FROM user_groups WHERE group_name = ?', [name]);
      return (await tx.run('DELETE FROM groups WHERE name = ?', [name])).changes === 1;
    });
  }

  async listGroups(): Promise<Group[]> {
    const rows = await this.#store.all<{
      name: string;
      description: string | null;
      created_at: number;
      members: number;
    }>(
      `SELECT g.name, g.description, g.created_at, COUNT(m.user_id) AS members
         FROM groups g LEFT JOIN user_groups m ON m.group_name = g.name
        GROUP BY g.name, g.description, g.created_at`,
    );
    return rows
      .map((row) => ({
        name: row.name,
        description: row.description,
        members: row.members,
        createdAt: row.created_at,
      }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Adds a user to a group (nothing happens if already a member). */
  addToGroup(userId: string, group: string): Promise<void> {
    return this.#store.transaction(async (tx) => {
      await requireUser(tx, userId);
      if ((await tx.get('SELECT name FROM groups WHERE name = ?', [group])) === undefined)
        throw new AccountError('unknown_group', 'There is no such group.');
      await tx.run(
        'INSERT INTO user_groups (user_id, group_name) VALUES (?, ?) ON CONFLICT (user_id, group_name) DO NOTHING',
        [userId, group],
      );
    });
  }

  /** False if the user was not in the group. */
  async removeFromGroup(userId: string, group: string): Promise<boolean> {
    const result = await this.#store.run('DELETE FROM user_groups WHERE user_id = ? AND group_name = ?', [
      userId,
      group,
    ]);
    return result.changes === 1;
  }

  async groupsOf(userId: string): Promise<string[]> {
    const rows = await this.#store.all<{ group_name: string }>(
      'SELECT group_name FROM user_groups WHERE user_id = ?',
      [userId],
    );
    return rows.map((row) => row.group_name).sort();
  }

  /** Grants a role (nothing happens if already granted). */
  async grantRole(userId: string, role: string): Promise<void> {
    checkName(role, 'role');
    await this.#store.transaction(async (tx) => {
      await requireUser(tx, userId);
      await tx.run(
        'INSERT INTO user_roles (user_id, role) VALUES (?, ?) ON CONFLICT (user_id, role) DO NOTHING',
        [userId, role],
      );
    });
  }

  /** False if the user did not have the role. */
  async revokeRole(userId: string, role: string): Promise<boolean> {
    const result = await this.#store.run('DELETE FROM user_roles WHERE user_id = ? AND role = ?', [
      userId,
      role,
    ]);
    return result.changes === 1;
  }

  async rolesOf(userId: string): Promise<string[]> {
    const rows = await this.#store.all<{ role: string }>('SELECT role FROM user_roles WHERE user_id = ?', [
      userId,
    ]);
    return rows.map((row) => row.role).sort();
  }
}

/** Throws `unknown_user` unless a user with `userId` exists. */
export async function requireUser(store: Store, userId: string): Promise<void> {
  if ((await store.get('SELECT id FROM users WHERE id = ?', [userId])) === undefined)
    throw new AccountError('unknown_user', 'There is no such user.');
}
