import type { FieldCipher, Migration, Store } from '@rampart/sdk';
import { USER_PSEUDONYMS_MIGRATION } from './subject-pseudonyms.ts';
import { displayNameField } from './user-records.ts';

/**
 * The account tables, in the SQL subset both store engines accept (`packages/sdk/docs/storage.md`):
 * `TEXT` ids the service generates, `BIGINT` epoch milliseconds, `INTEGER` 0/1 booleans, `BYTEA`
 * bytes. Secrets and PII are never stored in clear: `users.email_enc`, `users.display_name_enc` and
 * `totp_factors.secret_enc` are `FieldCipher` values bound to their table, column and row; passwords
 * are argon2id PHC strings; recovery codes are SHA-256 digests. Every row that belongs to a user
 * goes with it (`ON DELETE CASCADE`; the store also deletes them explicitly in one transaction).
 *
 * Apply them with {@link migrateAccounts}, which also seals what older versions stored in clear.
 */
export const accountMigrations: readonly Migration[] = [
  {
    id: 'accounts-0001-users',
    sql: `CREATE TABLE users (
            id TEXT PRIMARY KEY,
            username TEXT NOT NULL UNIQUE,
            display_name TEXT,
            email_enc TEXT,
            password_hash TEXT,
            password_changed_at BIGINT,
            must_change_password INTEGER NOT NULL DEFAULT 0,
            disabled INTEGER NOT NULL DEFAULT 0,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL
          )`,
  },
  {
    id: 'accounts-0002-groups-and-roles',
    sql: `CREATE TABLE groups (
            name TEXT PRIMARY KEY,
            description TEXT,
            created_at BIGINT NOT NULL
          );
          CREATE TABLE user_groups (
            user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            group_name TEXT NOT NULL REFERENCES groups (name) ON DELETE CASCADE,
            PRIMARY KEY (user_id, group_name)
          );
          CREATE INDEX user_groups_group ON user_groups (group_name);
          CREATE TABLE user_roles (
            user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            role TEXT NOT NULL,
            PRIMARY KEY (user_id, role)
          )`,
  },
  {
    id: 'accounts-0003-totp',
    sql: `CREATE TABLE totp_factors (
            user_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
            secret_enc TEXT NOT NULL,
            confirmed INTEGER NOT NULL DEFAULT 0,
            last_step BIGINT NOT NULL DEFAULT 0,
            created_at BIGINT NOT NULL,
            confirmed_at BIGINT
          );
          CREATE TABLE recovery_codes (
            user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            code_hash BYTEA NOT NULL,
            used_at BIGINT,
            created_at BIGINT NOT NULL,
            PRIMARY KEY (user_id, code_hash)
          )`,
  },
  {
    id: 'accounts-0004-passkeys',
    sql: `CREATE TABLE passkeys (
            credential_id TEXT PRIMARY KEY,
            user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            public_key BYTEA NOT NULL,
            counter BIGINT NOT NULL DEFAULT 0,
            transports TEXT NOT NULL DEFAULT '[]',
            name TEXT NOT NULL,
            backed_up INTEGER NOT NULL DEFAULT 0,
            created_at BIGINT NOT NULL,
            last_used_at BIGINT
          );
          CREATE INDEX passkeys_user ON passkeys (user_id);
          CREATE TABLE webauthn_challenges (
            id TEXT PRIMARY KEY,
            user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
            challenge TEXT NOT NULL,
            purpose TEXT NOT NULL CHECK (purpose IN ('register', 'authenticate')),
            expires_at BIGINT NOT NULL
          );
          CREATE INDEX webauthn_challenges_expiry ON webauthn_challenges (expires_at)`,
  },
  {
    // Display names are personal data: sealed like e-mails from now on (see migrateAccounts).
    id: 'accounts-0005-sealed-display-names',
    sql: 'ALTER TABLE users ADD COLUMN display_name_enc TEXT',
  },
];

/** Drops the clear `display_name` column once {@link migrateAccounts} has sealed its values. */
const DROP_CLEAR_DISPLAY_NAMES: Migration = {
  id: 'accounts-0006-drop-clear-display-names',
  sql: 'ALTER TABLE users DROP COLUMN display_name',
};

/**
 * Brings the account tables up to date: the SQL migrations, then the one step SQL cannot do —
 * sealing the display names older versions stored in clear — then dropping their clear column, and
 * the pseudonym index (`user_pseudonyms`, filled by `SubjectPseudonyms`).
 * (On the embedded store, `secure_delete` overwrites the old values and the journal is truncated
 * after migrating.)
 *
 * @example
 * await migrateAccounts(store, cipher);
 */
export async function migrateAccounts(store: Store, cipher: FieldCipher): Promise<void> {
  await store.migrate(accountMigrations);
  const dropped = (): Promise<unknown> =>
    store.get('SELECT id FROM _migrations WHERE id = ?', [DROP_CLEAR_DISPLAY_NAMES.id]);
  if ((await dropped()) === undefined) {
    try {
      await sealClearDisplayNames(store, cipher);
    } catch (error) {
      // Another replica starting at the same moment sealed them and dropped the column between
      // our check and our reads (it seals every row it saw before it drops): nothing is left to do.
      if ((await dropped()) === undefined) throw error;
    }
  }
  await store.migrate([...accountMigrations, DROP_CLEAR_DISPLAY_NAMES, USER_PSEUDONYMS_MIGRATION]);
}

async function sealClearDisplayNames(store: Store, cipher: FieldCipher): Promise<void> {
  const clear = await store.all<{ id: string; display_name: string }>(
    'SELECT id, display_name FROM users WHERE display_name IS NOT NULL',
  );
  for (const row of clear) {
    await store.run('UPDATE users SET display_name_enc = ?, display_name = NULL WHERE id = ?', [
      await cipher.encrypt(row.display_name, displayNameField(row.id)),
      row.id,
    ]);
  }
}
