import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { openEmbeddedStore, openPostgresStore, type Store } from '@rampart/sdk';
import { describeIfAvailable, requireService, tempDir, type Availability } from '@rampart/testing';
import { openLedger, type Ledger, type LedgerOptions } from '../../src/ledger/index.ts';

/** The superuser URL the tests use: `DATABASE_URL`, or the local default (as the SDK's tests). */
const ADMIN_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A fresh, empty database on one engine, with a private directory beside it (for the export file). */
export interface TestDatabase {
  readonly store: Store;
  readonly dir: string;
  /** Another connection to the same database, as a second replica would open it. */
  openReplica(): Store;
  /** Closes every store opened here and removes the database. */
  drop(): Promise<void>;
}

export interface Engine {
  readonly name: string;
  readonly availability: Availability;
  /**
   * Whether two stores in one process can write the same database at once. Not the embedded engine:
   * node:sqlite is synchronous, so a second connection's busy wait blocks the thread the first one
   * needs to commit (the embedded store is one process's; replicas share PostgreSQL).
   */
  readonly concurrentReplicas: boolean;
  create(): Promise<TestDatabase>;
}

const postgresAvailability = await requireService('postgres');

export const engines: readonly Engine[] = [
  {
    name: 'embedded',
    availability: { skip: false },
    concurrentReplicas: false,
    async create() {
      const dir = await tempDir('rampart-audit-');
      const file = join(dir.path, 'audit.sqlite');
      const stores = [openEmbeddedStore(file)];
      return {
        store: stores[0]!,
        dir: dir.path,
        openReplica() {
          const replica = openEmbeddedStore(file);
          stores.push(replica);
          return replica;
        },
        async drop() {
          await Promise.all(stores.map((store) => store.close()));
          await dir.cleanup();
        },
      };
    },
  },
  {
    name: 'PostgreSQL',
    availability: postgresAvailability,
    concurrentReplicas: true,
    async create() {
      const dir = await tempDir('rampart-audit-');
      const schema = `audit_t_${process.pid}_${randomBytes(4).toString('hex')}`;
      const admin = openPostgresStore({ url: ADMIN_URL, schema: 'public', maxConnections: 1 });
      await admin.run(`CREATE SCHEMA "${schema}"`);
      const open = (): Store => openPostgresStore({ url: ADMIN_URL, schema, maxConnections: 4 });
      const stores = [open()];
      return {
        store: stores[0]!,
        dir: dir.path,
        openReplica() {
          const replica = open();
          stores.push(replica);
          return replica;
        },
        async drop() {
          await Promise.all(stores.map((store) => store.close()));
          await admin.run(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
          await admin.close();
          await dir.cleanup();
        },
      };
    },
  },
];

/** `describe` once per engine (a skipped test in place of the PostgreSQL suite when it is absent). */
export function forEachEngine(name: string, suite: (engine: Engine) => void): void {
  for (const engine of engines) {
    describeIfAvailable(`${name} (${engine.name})`, engine.availability, () => {
      suite(engine);
    });
  }
}

export interface KeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

export const keys: KeyPair = generateKeyPairSync('ed25519');

/** A ledger on `db` with the test key, exporting to `<dir>/checkpoints.jsonl`; errors fail the test. */
export function ledgerOn(db: TestDatabase, options: Partial<LedgerOptions> = {}): Promise<Ledger> {
  return openLedger({
    store: db.store,
    signingKey: keys.privateKey,
    exportFile: exportFileOf(db),
    checkpointEvery: { events: 10, seconds: 3600 },
    onError: (error) => {
      throw error;
    },
    ...options,
  });
}

export const exportFileOf = (db: TestDatabase): string => join(db.dir, 'checkpoints.jsonl');

/** A small audit event like the ones components send. */
export function sampleEvent(n: number): {
  type: string;
  outcome: string;
  n: number;
  detail: { route: string };
} {
  return {
    type: n % 3 === 0 ? 'login.failed' : 'token.issued',
    outcome: 'success',
    n,
    detail: { route: '/orders/{id}' },
  };
}

/** Appends `count` events with ids `e1`… one after another, and returns the ledger. */
export async function fill(ledger: Ledger, count: number, from = 1): Promise<Ledger> {
  for (let n = from; n < from + count; n++) await ledger.append(`e${n}`, sampleEvent(n));
  return ledger;
}
