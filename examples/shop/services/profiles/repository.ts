import type { Migration, Store } from '@rampart/sdk';

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
    ) STRICT`,
  },
];

interface ProfileRow {
  name: string;
  email: string;
  phone: string | null;
  address: string | null;
  updated_at: string;
}

export interface ProfileRepository {
  find(subject: string): Promise<Profile | undefined>;
  /** Creates or replaces the subject's profile; returns it as stored. */
  save(subject: string, input: ProfileInput): Promise<Profile>;
}

export function createProfileRepository(store: Store): ProfileRepository {
  return {
    async find(subject) {
      const row = await store.get<ProfileRow>(
        'SELECT name, email, phone, address, updated_at FROM profiles WHERE subject = ?',
        [subject],
      );
      return row === undefined ? undefined : toProfile(row);
    },
    async save(subject, input) {
      const updatedAt = new Date().toISOString();
      await store.run(
        `INSERT INTO profiles (subject, name, email, phone, address, updated_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (subject) DO UPDATE SET
           name = excluded.name, email = excluded.email, phone = excluded.phone,
           address = excluded.address, updated_at = excluded.updated_at`,
        [subject, input.name, input.email, input.phone ?? null, input.address ?? null, updatedAt],
      );
      return { ...input, updatedAt };
    },
  };
}

function toProfile(row: ProfileRow): Profile {
  return {
    name: row.name,
    email: row.email,
    ...(row.phone === null ? {} : { phone: row.phone }),
    ...(row.address === null ? {} : { address: row.address }),
    updatedAt: row.updated_at,
  };
}
