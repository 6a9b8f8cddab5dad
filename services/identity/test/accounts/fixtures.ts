import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { FieldCipher, LocalKeyring, openEmbeddedStore, openPostgresStore, type Store } from '@rampart/sdk';
import { requireService, tempDir } from '@rampart/testing';
import { migrateAccounts } from '../../src/accounts/index.ts';

/** The PostgreSQL the tests use: `DATABASE_URL`, or the local server's `postgres` database. */
export const POSTGRES_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A fresh, migrated store and what it needs, and how to throw it all away. */
export interface AccountsWorld {
  readonly store: Store;
  readonly cipher: FieldCipher;
  dispose(): Promise<void>;
}

/** One store engine the account contract runs on. */
export interface StoreEngine {
  readonly name: string;
  /** `{ skip: reason }` when the engine is unavailable (spread into `describe`'s options). */
  readonly availability: { skip: false } | { skip: string };
  /** A fresh store with the account migrations applied, and a field cipher over a fresh keyring. */
  open(): Promise<AccountsWorld>;
}

export const embeddedEngine: StoreEngine = {
  name: 'embedded (node:sqlite)',
  availability: { skip: false },
  async open() {
    const dir = await tempDir('rampart-accounts-');
    const store = openEmbeddedStore(join(dir.path, 'identity.sqlite'));
    const cipher = new FieldCipher(await LocalKeyring.open(join(dir.path, 'keyring.json')));
    await migrateAccounts(store, cipher);
    return {
      store,
      cipher,
      async dispose() {
        await store.close();
        await dir.cleanup();
      },
    };
  },
};

/** PostgreSQL in a schema of its own per `open()`, dropped by `dispose()`. */
export async function postgresEngine(): Promise<StoreEngine> {
  return {
    name: 'PostgreSQL',
    availability: await requireService('postgres'),
    async open() {
      const schema = `rampart_accounts_${process.pid}_${randomBytes(4).toString('hex')}`;
      const admin = openPostgresStore({ url: POSTGRES_URL, schema: 'public', maxConnections: 1 });
      await admin.run(`CREATE SCHEMA ${schema}`);
      const store = openPostgresStore({ url: POSTGRES_URL, schema, maxConnections: 8 });
      const dir = await tempDir('rampart-accounts-pg-');
      const cipher = new FieldCipher(await LocalKeyring.open(join(dir.path, 'keyring.json')));
      try {
        await migrateAccounts(store, cipher);
      } catch (error) {
        await store.close();
        await admin.run(`DROP SCHEMA ${schema} CASCADE`);
        await admin.close();
        throw error;
      }
      return {
        store,
        cipher,
        async dispose() {
          await store.close();
          await admin.run(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
          await admin.close();
          await dir.cleanup();
        },
      };
    },
  };
}

/** A strong password no list contains. */
export function strongPassword(): string {
  return `tr0ubadour-${randomBytes(6).toString('base64url')}`;
}

/** A clock tests move by hand. */
export class ManualClock {
  #now: number;

  constructor(start: number) {
    this.#now = start;
  }

  readonly now = (): number => this.#now;

  advance(ms: number): void {
    this.#now += ms;
  }

  set(ms: number): void {
    this.#now = ms;
  }
}
