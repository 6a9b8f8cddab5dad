import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import {
  describeIfAvailable,
  requireService,
  PG_ADMIN_URL,
  asPgAdmin,
  createTempSchema,
} from '@rampart/testing';
import { RampartError } from '@rampart/errors';
import { openPostgresStore, StoreQueryError, type Store } from '../../src/store/index.ts';
import { contractMigrations, runStoreContract } from './contract.ts';

const availability = await requireService('postgres');

let contractSchema: { schema: string; drop(): Promise<void> } | undefined;
runStoreContract({
  name: 'PostgreSQL',
  availability,
  async open() {
    contractSchema = await createTempSchema();
    return openPostgresStore({ url: PG_ADMIN_URL, schema: contractSchema.schema, maxConnections: 4 });
  },
  openReplica() {
    if (contractSchema === undefined) throw new Error('open() first');
    return Promise.resolve(
      openPostgresStore({ url: PG_ADMIN_URL, schema: contractSchema.schema, maxConnections: 4 }),
    );
  },
  async cleanup() {
    await contractSchema?.drop();
  },
});

describeIfAvailable('openPostgresStore: what only PostgreSQL does', availability, () => {
  let temp: { schema: string; drop(): Promise<void> };
  let store: Store;
  before(async () => {
    temp = await createTempSchema();
    store = openPostgresStore({ url: PG_ADMIN_URL, schema: temp.schema, statementTimeoutMs: 300 });
    await store.migrate(contractMigrations);
  });
  after(async () => {
    await store.close();
    await temp.drop();
  });

  it('pins every connection to the schema: unqualified names resolve there', async () => {
    const rows = await Promise.all(
      Array.from({ length: 12 }, () => store.get<{ s: string }>('SELECT current_schema() AS s')),
    );
    for (const row of rows) assert.equal(row?.s, temp.schema);
    const table = await asPgAdmin((c) =>
      c.query('SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = $2', [temp.schema, 'notes']),
    );
    assert.equal(table.rowCount, 1);
  });

  it('records migrations in <schema>._migrations', async () => {
    // rampart-ignore code/sql-injection the schema name is the test's own generated one
    const rows = await asPgAdmin((c) => c.query(`SELECT id FROM "${temp.schema}"._migrations ORDER BY id`));
    assert.deepEqual(
      rows.rows.map((r: { id: string }) => r.id),
      contractMigrations.map((m) => m.id),
    );
  });

  it('applies each migration once when two processes migrate at the same moment', async () => {
    const fresh = await createTempSchema();
    const stores = [0, 1, 2].map(() => openPostgresStore({ url: PG_ADMIN_URL, schema: fresh.schema }));
    try {
      const counter = {
        id: '0005-counter',
        sql: 'CREATE TABLE runs (n INTEGER); INSERT INTO runs (n) VALUES (1)',
      };
      await Promise.all(stores.map((s) => s.migrate([...contractMigrations, counter])));
      const runs = await stores[0]!.get<{ c: number }>('SELECT COUNT(*) AS c FROM runs');
      assert.equal(runs?.c, 1);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
      await fresh.drop();
    }
  });

  it('enforces the statement timeout', async () => {
    const error: unknown = await store.get('SELECT pg_sleep(2)').catch((caught: unknown) => caught);
    assert.ok(error instanceof StoreQueryError);
    assert.equal(error.sqlState, '57014');
    assert.equal(error.code, 'SDK_STORE_QUERY_FAILED');
  });

  it('returns BIGINT beyond 2^53 as a bigint, exactly', async () => {
    const row = await store.get<{ n: bigint }>('SELECT ?::bigint AS n', [9007199254740993n]);
    assert.equal(row?.n, 9007199254740993n);
  });

  it('keeps values out of errors: data exceptions lose their message, details are dropped', async () => {
    const email = 'jane.doe@example.com';
    const error: unknown = await store
      .run('INSERT INTO samples (id, n) VALUES (?, ?)', ['bad', email])
      .catch((caught: unknown) => caught);
    assert.ok(error instanceof StoreQueryError);
    assert.equal(error.sqlState, '22P02');
    assert.doesNotMatch(`${error.message} ${JSON.stringify(error)} ${String(error.detail)}`, /jane\.doe/);
  });

  it('refuses URL parameters that would override what the store pins', () => {
    assert.throws(
      () => openPostgresStore({ url: `${PG_ADMIN_URL}?options=-c%20search_path%3Dpublic`, schema: 'x' }),
      /options/,
    );
    assert.throws(() => openPostgresStore({ url: 'mysql://h/db', schema: 'x' }), TypeError);
    assert.throws(
      () => openPostgresStore({ url: 'postgres://u:hunter2@[bad', schema: 'x' }),
      (error: Error) => {
        assert.doesNotMatch(error.message, /hunter2/);
        return error instanceof TypeError;
      },
    );
    assert.throws(() => openPostgresStore({ url: PG_ADMIN_URL, schema: 'Public; DROP' }), TypeError);
  });

  it('fails migrate with SDK_STORE_UNAVAILABLE when the schema does not exist', async () => {
    const missing = openPostgresStore({ url: PG_ADMIN_URL, schema: 'rampart_no_such_schema' });
    try {
      await assert.rejects(missing.migrate(contractMigrations), (error: unknown) => {
        return error instanceof RampartError && error.code === 'SDK_STORE_UNAVAILABLE';
      });
    } finally {
      await missing.close();
    }
  });

  it('fails closed with SDK_STORE_UNAVAILABLE when PostgreSQL cannot be reached', async () => {
    const nowhere = openPostgresStore({
      url: 'postgres://u@127.0.0.1:1/db',
      schema: 'x',
      connectionTimeoutMs: 500,
    });
    try {
      await assert.rejects(nowhere.get('SELECT 1'), (error: unknown) => {
        return error instanceof RampartError && error.code === 'SDK_STORE_UNAVAILABLE';
      });
    } finally {
      await nowhere.close();
    }
  });

  it('refuses statements after close', async () => {
    const other = openPostgresStore({ url: PG_ADMIN_URL, schema: temp.schema });
    await other.close();
    await other.close();
    await assert.rejects(other.get('SELECT 1'), /closed/);
  });
});
