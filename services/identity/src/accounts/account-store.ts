import { randomBytes, randomUUID } from 'node:crypto';
import { isUniqueViolation, type FieldCipher, type SqlValue, type Store } from '@rampart/sdk';
import { AccountError } from './account-error.ts';
import { checkDisplayName, checkEmail, checkName, checkNames } from './account-fields.ts';
import { Memberships, type Group } from './memberships.ts';
import { checkPasswordPolicy } from './password-policy.ts';
import { argon2Hasher, type PasswordHasher } from './passwords.ts';
import { normalizeUsername, USERNAME_PATTERN } from './username.ts';
import {
  displayNameField,
  emailField,
  loadUsers,
  openField,
  placeholders,
  sealField,
  USER_COLUMNS,
  type User,
  type UserRow,
} from './user-records.ts';

export interface AccountStoreOptions {
  readonly store: Store;
  /** Encrypts e-mail addresses and display names at rest. */
  readonly cipher: FieldCipher;
  /** Epoch milliseconds; default `Date.now`. */
  readonly now?: () => number;
  /** Default {@link argon2Hasher}; a test may wrap it to count verifications. */
  readonly hasher?: PasswordHasher;
}

export interface CreateUserInput {
  readonly username: string;
  /** Absent for an account that will sign in with a passkey only. */
  readonly password?: string;
  /**
   * Instead of `password`: its argon2id hash (a PHC string, `$argon2id$…`) made where the password
   * was generated (the first admin of a Kubernetes bootstrap), so identity never holds the text.
   * The policy was the generator's to meet; a stored hash with weaker parameters is upgraded at the
   * first login.
   */
  readonly passwordHash?: string;
  readonly displayName?: string;
  readonly email?: string;
  /** Existing groups to put the user in. */
  readonly groups?: readonly string[];
  readonly roles?: readonly string[];
  readonly mustChangePassword?: boolean;
}

/** Profile fields to change: a value sets one, `null` clears it, absent leaves it. */
export interface ProfileChange {
  readonly displayName?: string | null;
  readonly email?: string | null;
}

export interface UserPage {
  readonly users: readonly User[];
  /** Pass as `after` for the next page; null on the last page. */
  readonly next: string | null;
}

export type CredentialCheck =
  | { readonly ok: true; readonly user: User }
  | { readonly ok: false; readonly reason: 'unknown_user' | 'bad_password' | 'disabled' };

const MAX_PAGE = 500;
/** An argon2id PHC string: `$argon2id$v=19$m=…,t=…,p=…$<salt>$<hash>`. */
const ARGON2ID_PHC =
  /^\$argon2id\$v=19\$m=\d{1,7},t=\d{1,3},p=\d{1,3}\$[A-Za-z0-9+/]{11,64}\$[A-Za-z0-9+/]{16,128}$/u;

/** Tables holding a user's rows, children first; `deleteUser` empties them in one transaction. */
const USER_TABLES = [
  'user_pseudonyms',
  'webauthn_challenges',
  'passkeys',
  'recovery_codes',
  'totp_factors',
  'user_roles',
  'user_groups',
] as const;

/**
 * Users, groups and roles in the service's `Store`, and the password check a login runs.
 * Usernames are stored normalized (NFKC, lower case) and unique; e-mails and display names are
 * encrypted with the `FieldCipher`; passwords are argon2id hashes, checked against the policy before hashing.
 *
 * `verifyCredentials` costs one argon2 verification whether or not the user exists (an unknown
 * user is checked against a dummy hash made with the same parameters), so its timing does not
 * tell an attacker which usernames exist.
 *
 * @example
 * const accounts = new AccountStore({ store, cipher: new FieldCipher(keyring) });
 * await migrateAccounts(store, cipher);
 * const alice = await accounts.createUser({ username: 'Alice', password: 'correct horse battery' });
 * const login = await accounts.verifyCredentials('alice', 'correct horse battery');
 * if (login.ok) issueSession(login.user.id);
 */
export class AccountStore {
  readonly #store: Store;
  readonly #cipher: FieldCipher;
  readonly #now: () => number;
  readonly #hasher: PasswordHasher;
  readonly #memberships: Memberships;
  /** A hash of a random password, made once at construction, verified for unknown users. */
  readonly #dummyHash: Promise<string>;

  constructor(options: AccountStoreOptions) {
    this.#store = options.store;
    this.#cipher = options.cipher;
    this.#now = options.now ?? Date.now;
    this.#hasher = options.hasher ?? argon2Hasher;
    this.#memberships = new Memberships(this.#store, this.#now);
    this.#dummyHash = this.#hasher.hash(randomBytes(32).toString('base64url'));
    // Awaited by the first unknown-user login; until then a failure must not be "unhandled".
    this.#dummyHash.catch(() => undefined);
  }

  /**
   * Creates a user. Throws {@link AccountError}: `invalid_username` (after normalization it must
   * match `^[a-z0-9][a-z0-9._@-]{0,127}$`), `weak_password` (with the policy's reason),
   * `invalid_email`, `invalid_display_name`, `invalid_group`, `invalid_role`, `unknown_group`,
   * `username_taken`.
   */
  async createUser(input: CreateUserInput): Promise<User> {
    const username = normalizeUsername(input.username);
    if (!USERNAME_PATTERN.test(username))
      throw new AccountError(
        'invalid_username',
        'A username is 1 to 128 lower-case letters, digits, ".", "_", "@" or "-", starting with a letter or digit.',
      );
    const displayName = checkDisplayName(input.displayName);
    const email = checkEmail(input.email);
    const groups = checkNames(input.groups ?? [], 'group').sort();
    const roles = checkNames(input.roles ?? [], 'role').sort();
    if ((await this.#store.get('SELECT id FROM users WHERE username = ?', [username])) !== undefined)
      throw usernameTaken();
    if (input.password !== undefined && input.passwordHash !== undefined)
      throw new TypeError('createUser: give password or passwordHash, not both');
    if (input.passwordHash !== undefined && !ARGON2ID_PHC.test(input.passwordHash))
      throw new AccountError('weak_password', 'The password hash is not an argon2id PHC string.');
    const passwordHash =
      input.passwordHash ??
      (input.password === undefined ? null : await this.#hashChecked(input.password, username, displayName));
    const id = randomUUID();
    const now = this.#now();
    const emailEnc = await sealField(this.#cipher, email, emailField(id));
    const displayNameEnc = await sealField(this.#cipher, displayName, displayNameField(id));
    const mustChange = input.mustChangePassword === true ? 1 : 0;
    try {
      await this.#store.transaction(async (tx) => {
        await tx.run(
          `INSERT INTO users (id, username, display_name_enc, email_enc, password_hash, password_changed_at,
                              must_change_password, disabled, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?)`,
          [
            id,
            username,
            displayNameEnc,
            emailEnc,
            passwordHash,
            passwordHash === null ? null : now,
            mustChange,
            now,
            now,
          ],
        );
        if (groups.length > 0) {
          const found = await tx.all(
            `SELECT name FROM groups WHERE name IN (${placeholders(groups.length)})`,
            groups,
          );
          if (found.length !== groups.length)
            throw new AccountError('unknown_group', 'There is no such group.');
        }
        for (const group of groups)
          await tx.run('INSERT INTO user_groups (user_id, group_name) VALUES (?, ?)', [id, group]);
        for (const role of roles)
          await tx.run('INSERT INTO user_roles (user_id, role) VALUES (?, ?)', [id, role]);
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw usernameTaken();
      throw error;
    }
    return {
      id,
      username,
      displayName,
      email,
      groups,
      roles,
      disabled: false,
      mustChangePassword: mustChange === 1,
      mfa: { totp: false, passkeys: 0 },
      createdAt: now,
    };
  }

  async findById(id: string): Promise<User | undefined> {
    const row = await this.#store.get<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = ?`, [id]);
    return row === undefined ? undefined : (await loadUsers(this.#store, this.#cipher, [row]))[0];
  }

  /** Looks a user up by username, normalized the way `createUser` stored it. */
  async findByUsername(username: string): Promise<User | undefined> {
    const row = await this.#findRow(username);
    return row === undefined ? undefined : (await loadUsers(this.#store, this.#cipher, [row]))[0];
  }

  /**
   * One page of users in username order, `limit` (1–500, default 50) at a time, after the username
   * `after` (keyset pagination: stable while users are added or removed).
   */
  async listUsers(
    options: { readonly limit?: number; readonly after?: string | null } = {},
  ): Promise<UserPage> {
    const limit = options.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE)
      throw new TypeError(`listUsers: limit must be an integer from 1 to ${MAX_PAGE}`);
    const after = options.after ?? null;
    const rows =
      after === null
        ? await this.#store.all<UserRow>(`SELECT ${USER_COLUMNS} FROM users ORDER BY username LIMIT ?`, [
            limit + 1,
          ])
        : await this.#store.all<UserRow>(
            `SELECT ${USER_COLUMNS} FROM users WHERE username > ? ORDER BY username LIMIT ?`,
            [after, limit + 1],
          );
    const page = rows.slice(0, limit);
    const users = await loadUsers(this.#store, this.#cipher, page);
    return { users, next: rows.length > limit ? (page.at(-1)?.username ?? null) : null };
  }

  /**
   * Sets a new password after checking the policy (`weak_password`), and clears
   * `mustChangePassword` unless asked to keep it set (an administrator's reset).
   */
  async setPassword(
    userId: string,
    password: string,
    options: { readonly mustChange?: boolean } = {},
  ): Promise<void> {
    const row = await this.#store.get<{ username: string; display_name_enc: string | null }>(
      'SELECT username, display_name_enc FROM users WHERE id = ?',
      [userId],
    );
    if (row === undefined) throw new AccountError('unknown_user', 'There is no such user.');
    const displayName = await openField(this.#cipher, row.display_name_enc, displayNameField(userId));
    const passwordHash = await this.#hashChecked(password, row.username, displayName);
    const now = this.#now();
    const result = await this.#store.run(
      `UPDATE users SET password_hash = ?, password_changed_at = ?, must_change_password = ?, updated_at = ?
        WHERE id = ?`,
      [passwordHash, now, options.mustChange === true ? 1 : 0, now, userId],
    );
    if (result.changes !== 1) throw new AccountError('unknown_user', 'There is no such user.');
  }

  /**
   * Changes the display name and/or e-mail (each encrypted again under its row); `null` clears a field,
   * an absent one is left alone. `invalid_display_name`, `invalid_email`, `unknown_user`.
   */
  async updateProfile(userId: string, change: ProfileChange): Promise<User> {
    const sets: string[] = [];
    const values: SqlValue[] = [];
    if (change.displayName !== undefined) {
      const displayName = change.displayName === null ? null : checkDisplayName(change.displayName);
      sets.push('display_name_enc = ?');
      values.push(await sealField(this.#cipher, displayName, displayNameField(userId)));
    }
    if (change.email !== undefined) {
      const email = change.email === null ? null : checkEmail(change.email);
      sets.push('email_enc = ?');
      values.push(await sealField(this.#cipher, email, emailField(userId)));
    }
    const result = await this.#store.run(
      `UPDATE users SET ${[...sets, 'updated_at = ?'].join(', ')} WHERE id = ?`,
      [...values, this.#now(), userId],
    );
    const user = result.changes === 1 ? await this.findById(userId) : undefined;
    if (user === undefined) throw new AccountError('unknown_user', 'There is no such user.');
    return user;
  }

  disableUser(userId: string): Promise<void> {
    return this.#setDisabled(userId, 1);
  }

  enableUser(userId: string): Promise<void> {
    return this.#setDisabled(userId, 0);
  }

  /** Deletes a user with its factors, recovery codes, passkeys, challenges and memberships, in one transaction. */
  deleteUser(userId: string): Promise<boolean> {
    return this.#store.transaction(async (tx) => {
      for (const table of USER_TABLES) await tx.run(`DELETE FROM ${table} WHERE user_id = ?`, [userId]);
      return (await tx.run('DELETE FROM users WHERE id = ?', [userId])).changes === 1;
    });
  }

  /**
   * The password check of a login. Exactly one argon2 verification runs on every path: against
   * the user's hash, or — for an unknown user or one without a password — against a dummy hash
   * made with the same parameters. A disabled account is reported only when the password is right,
   * so `disabled` tells nothing to someone who does not know it. On success a hash made with weaker
   * parameters is replaced. Callers should answer `unknown_user` and `bad_password` identically.
   */
  async verifyCredentials(username: string, password: string): Promise<CredentialCheck> {
    const row = await this.#findRow(username);
    const stored = row?.password_hash ?? (await this.#dummyHash);
    const matches = await this.#hasher.verify(stored, password);
    if (row === undefined) return { ok: false, reason: 'unknown_user' };
    if (row.password_hash === null || !matches) return { ok: false, reason: 'bad_password' };
    if (row.disabled === 1) return { ok: false, reason: 'disabled' };
    if (this.#hasher.needsRehash(row.password_hash)) await this.#rehash(row.id, row.password_hash, password);
    const [user] = await loadUsers(this.#store, this.#cipher, [row]);
    if (user === undefined) throw new Error('unreachable: a loaded row yields a user');
    return { ok: true, user };
  }

  createGroup(name: string, description?: string): Promise<Group> {
    return this.#memberships.createGroup(name, description);
  }

  /** Deletes a group and its memberships; false if there was no such group. */
  deleteGroup(name: string): Promise<boolean> {
    return this.#memberships.deleteGroup(name);
  }

  /** Every group with its member count, by name. */
  listGroups(): Promise<Group[]> {
    return this.#memberships.listGroups();
  }

  /** Adds a user to a group (idempotent); `unknown_user`, `unknown_group`. */
  async addToGroup(userId: string, group: string): Promise<void> {
    await this.#memberships.addToGroup(userId, checkName(group, 'group'));
  }

  /** False if the user was not in the group. */
  removeFromGroup(userId: string, group: string): Promise<boolean> {
    return this.#memberships.removeFromGroup(userId, group);
  }

  groupsOf(userId: string): Promise<string[]> {
    return this.#memberships.groupsOf(userId);
  }

  /** Grants a role (idempotent); `invalid_role`, `unknown_user`. */
  grantRole(userId: string, role: string): Promise<void> {
    return this.#memberships.grantRole(userId, role);
  }

  /** False if the user did not have the role. */
  revokeRole(userId: string, role: string): Promise<boolean> {
    return this.#memberships.revokeRole(userId, role);
  }

  rolesOf(userId: string): Promise<string[]> {
    return this.#memberships.rolesOf(userId);
  }

  async #findRow(username: string): Promise<UserRow | undefined> {
    const normalized = normalizeUsername(username);
    if (!USERNAME_PATTERN.test(normalized)) return undefined;
    return this.#store.get<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE username = ?`, [normalized]);
  }

  async #hashChecked(password: string, username: string, displayName: string | null): Promise<string> {
    const policy = checkPasswordPolicy(password, {
      username,
      ...(displayName === null ? {} : { displayName }),
    });
    if (!policy.ok) throw new AccountError('weak_password', policy.message, policy);
    return this.#hasher.hash(password);
  }

  /** Replaces `old` with a fresh hash, unless the password changed meanwhile (compare-and-set). */
  async #rehash(userId: string, old: string, password: string): Promise<void> {
    const fresh = await this.#hasher.hash(password);
    await this.#store.run(
      'UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ? AND password_hash = ?',
      [fresh, this.#now(), userId, old],
    );
  }

  async #setDisabled(userId: string, disabled: 0 | 1): Promise<void> {
    const result = await this.#store.run('UPDATE users SET disabled = ?, updated_at = ? WHERE id = ?', [
      disabled,
      this.#now(),
      userId,
    ]);
    if (result.changes !== 1) throw new AccountError('unknown_user', 'There is no such user.');
  }
}

function usernameTaken(): AccountError {
  return new AccountError('username_taken', 'That username is taken.');
}
