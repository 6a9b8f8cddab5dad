import type { FieldCipher, FieldContext, SqlValue, Store } from '@rampart/sdk';

/** An account as the rest of identity sees it: never its password hash or secrets. */
export interface User {
  readonly id: string;
  /** Normalized: NFKC, lower case. */
  readonly username: string;
  /** Decrypted from `users.display_name_enc`. */
  readonly displayName: string | null;
  /** Decrypted from `users.email_enc`. */
  readonly email: string | null;
  readonly groups: readonly string[];
  readonly roles: readonly string[];
  readonly disabled: boolean;
  /** Set by an administrator (or a reset): the next login must choose a new password. */
  readonly mustChangePassword: boolean;
  /** Which second factors are ready to use: a confirmed TOTP, and how many passkeys. */
  readonly mfa: { readonly totp: boolean; readonly passkeys: number };
  /** Epoch milliseconds. */
  readonly createdAt: number;
}

/** A `users` row, as the store returns it. */
export interface UserRow {
  readonly id: string;
  readonly username: string;
  readonly display_name_enc: string | null;
  readonly email_enc: string | null;
  readonly password_hash: string | null;
  readonly must_change_password: number;
  readonly disabled: number;
  readonly created_at: number;
}

/** The columns of {@link UserRow}, for `SELECT ${USER_COLUMNS} FROM users`. */
export const USER_COLUMNS =
  'id, username, display_name_enc, email_enc, password_hash, must_change_password, disabled, created_at';

/** Where a user's encrypted e-mail lives: the associated data that binds it to its row. */
export function emailField(userId: string): FieldContext {
  return { table: 'users', column: 'email_enc', row: userId };
}

/** Where a user's encrypted display name lives (personal data, sealed like the e-mail). */
export function displayNameField(userId: string): FieldContext {
  return { table: 'users', column: 'display_name_enc', row: userId };
}

/** A sealed field's plaintext, or null for a null column. */
export async function openField(
  cipher: FieldCipher,
  sealed: string | null,
  where: FieldContext,
): Promise<string | null> {
  return sealed === null ? null : cipher.decrypt(sealed, where);
}

/** The column value sealing `plaintext` (null stays null). */
export async function sealField(
  cipher: FieldCipher,
  plaintext: string | null,
  where: FieldContext,
): Promise<string | null> {
  return plaintext === null ? null : cipher.encrypt(plaintext, where);
}

/** `?, ?, ?` for `count` parameters (a count, never a value, goes into the SQL text). */
export function placeholders(count: number): string {
  return Array.from({ length: count }, () => '?').join(', ');
}

/**
 * Turns `users` rows into {@link User}s with four batched queries (groups, roles, TOTP, passkeys),
 * whatever the number of rows, and decrypts each display name and e-mail. Keeps the order of `rows`.
 */
export async function loadUsers(
  store: Store,
  cipher: FieldCipher,
  rows: readonly UserRow[],
): Promise<User[]> {
  if (rows.length === 0) return [];
  const ids: SqlValue[] = rows.map((row) => row.id);
  const among = `user_id IN (${placeholders(ids.length)})`;
  const [groups, roles, totp, passkeys] = await Promise.all([
    store.all<{ user_id: string; group_name: string }>(
      `SELECT user_id, group_name FROM user_groups WHERE ${among}`,
      ids,
    ),
    store.all<{ user_id: string; role: string }>(`SELECT user_id, role FROM user_roles WHERE ${among}`, ids),
    store.all<{ user_id: string }>(`SELECT user_id FROM totp_factors WHERE confirmed = 1 AND ${among}`, ids),
    store.all<{ user_id: string; n: number }>(
      `SELECT user_id, COUNT(*) AS n FROM passkeys WHERE ${among} GROUP BY user_id`,
      ids,
    ),
  ]);
  // Sorted here, not by ORDER BY: PostgreSQL collations order punctuation unlike SQLite.
  const groupsOf = collect(groups, (row) => row.group_name);
  const rolesOf = collect(roles, (row) => row.role);
  const withTotp = new Set(totp.map((row) => row.user_id));
  const passkeyCount = new Map(passkeys.map((row) => [row.user_id, row.n]));
  return Promise.all(
    rows.map(async (row) => ({
      id: row.id,
      username: row.username,
      displayName: await openField(cipher, row.display_name_enc, displayNameField(row.id)),
      email: await openField(cipher, row.email_enc, emailField(row.id)),
      groups: groupsOf.get(row.id) ?? [],
      roles: rolesOf.get(row.id) ?? [],
      disabled: row.disabled === 1,
      mustChangePassword: row.must_change_password === 1,
      mfa: { totp: withTotp.has(row.id), passkeys: passkeyCount.get(row.id) ?? 0 },
      createdAt: row.created_at,
    })),
  );
}

function collect<T extends { user_id: string }>(
  rows: readonly T[],
  value: (row: T) => string,
): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const row of rows) {
    const list = map.get(row.user_id);
    if (list === undefined) map.set(row.user_id, [value(row)]);
    else list.push(value(row));
  }
  for (const list of map.values()) list.sort();
  return map;
}
