import type { FieldCipher, Migration, Store } from '@rampart/sdk';

/** What a user keeps in their profile. Every field is declared `sensitive` in rampart.yaml. */
export interface ProfileInput {
  readonly name: string;
  readonly email: string;
  readonly phone?: string;
  readonly address?: string;
}

export interface Profile extends ProfileInput {
  readonly updatedAt: string;
}

/**
 * Every personal field is stored encrypted (AES-256-GCM, bound to table, column and row): the
 * database file, a backup or a copied row reveals nothing. Portable SQL: embedded or PostgreSQL.
 */
export const migrations: readonly Migration[] = [
  {
    id: '0001-create-profiles',
    sql: `CREATE TABLE profiles (
      subject TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      email TEXT NOT NULL,
      phone TEXT,
      address TEXT,
      updated_at TEXT NOT NULL
    )`,
  },
];

const TABLE = 'profiles';
const FIELDS = ['name', 'email', 'phone', 'address'] as const;
type Field = (typeof FIELDS)[number];

type ProfileRow = Record<Field, string | null> & { updated_at: string };

export interface ProfileRepository {
  find(subject: string): Promise<Profile | undefined>;
  /** Creates or replaces the subject's profile; returns it as stored. */
  save(subject: string, input: ProfileInput): Promise<Profile>;
}

export function createProfileRepository(store: Store, fields: FieldCipher): ProfileRepository {
  const seal = (subject: string, column: Field, value: string | undefined): Promise<string | null> =>
    value === undefined
      ? Promise.resolve(null)
      : fields.encrypt(value, { table: TABLE, column, row: subject });

  async function write(subject: string, input: ProfileInput, updatedAt: string): Promise<void> {
    const [name, email, phone, address] = await Promise.all(
      FIELDS.map((column) => seal(subject, column, input[column])),
    );
    await store.run(
      `INSERT INTO profiles (subject, name, email, phone, address, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (subject) DO UPDATE SET
         name = excluded.name, email = excluded.email, phone = excluded.phone,
         address = excluded.address, updated_at = excluded.updated_at`,
      [subject, name ?? null, email ?? null, phone ?? null, address ?? null, updatedAt],
    );
  }

  return {
    async find(subject) {
      const row = await store.get<ProfileRow>(
        'SELECT name, email, phone, address, updated_at FROM profiles WHERE subject = ?',
        [subject],
      );
      if (row === undefined) return undefined;
      const open = async (column: Field): Promise<string | undefined> => {
        const value = row[column];
        return value === null ? undefined : fields.decrypt(value, { table: TABLE, column, row: subject });
      };
      const [name, email, phone, address] = await Promise.all(FIELDS.map(open));
      const profile: Profile = {
        name: name ?? '',
        email: email ?? '',
        ...(phone === undefined ? {} : { phone }),
        ...(address === undefined ? {} : { address }),
        updatedAt: row.updated_at,
      };
      // Lazy rotation: a row sealed under a retired key is re-encrypted under the active one on read.
      if (FIELDS.some((column) => row[column] !== null && fields.needsReencryption(row[column] ?? ''))) {
        await write(subject, profile, row.updated_at);
      }
      return profile;
    },
    async save(subject, input) {
      const updatedAt = new Date().toISOString();
      await write(subject, input, updatedAt);
      return { ...input, updatedAt };
    },
  };
}
