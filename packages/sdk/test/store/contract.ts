import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { describeIfAvailable } from '@rampart/testing';
import { isUniqueViolation, type Migration, type SqlValue, type Store } from '../../src/store/index.ts';

/** The migrations every engine runs: the portable subset, plus one PostgreSQL variant. */
export const contractMigrations: readonly Migration[] = [
  { id: '0001-notes', sql: 'CREATE TABLE notes (id TEXT PRIMARY KEY, body TEXT NOT NULL)' },
  { id: '0002-notes-owner', sql: "ALTER TABLE notes ADD COLUMN owner TEXT NOT NULL DEFAULT ''" },
  {
    id: '0003-samples',
    sql: `CREATE TABLE IF NOT EXISTS samples (
            id TEXT PRIMARY KEY, n BIGINT, small INTEGER, x DOUBLE PRECISION, data BYTEA, note TEXT
          );
          CREATE INDEX IF NOT EXISTS samples_note ON samples (note)`,
  },
  {
    id: '0004-tickets',
    sql: 'CREATE TABLE tickets (n INTEGER PRIMARY KEY AUTOINCREMENT, label TEXT NOT NULL)',
    postgres: 'CREATE TABLE tickets (n BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, label TEXT NOT NULL)',
  },
  {
    id: '0005-jobs',
    sql: 'CREATE TABLE jobs (id TEXT PRIMARY KEY, status TEXT NOT NULL, owner TEXT NOT NULL, worker TEXT)',
  },
];

export interface ContractEngine {
  /** Shown in the test names. */
  readonly name: string;
  /** `{ skip: reason }` when the engine is unavailable. */
  readonly availability: { skip: false } | { skip: string };
  /** Opens a fresh, empty store. */
  open(): Promise<Store>;
  /** Opens a second store on the database `open` created, as another replica would. */
  openReplica(): Promise<Store>;
  /** Removes what `open` created; the store is already closed. */
  cleanup(): Promise<void>;
}

const insertNote = (store: Store, body: string, owner: string): Promise<unknown> =>
  store.run('INSERT INTO notes (id, body, owner) VALUES (?, ?, ?)', [randomUUID(), body, owner]);

/**
 * The behaviour every Store must have, run once per engine: the embedded one and PostgreSQL.
 *
 * @example
 * runStoreContract({ name: 'embedded', availability: { skip: false }, open, cleanup });
 */
export function runStoreContract(engine: ContractEngine): void {
  describeIfAvailable(`Store contract: ${engine.name}`, engine.availability, () => {
    let store: Store;
    before(async () => {
      store = await engine.open();
      await store.migrate(contractMigrations);
    });
    after(async () => {
      await store.close();
      await engine.cleanup();
    });

    it('migrations are idempotent and recorded in _migrations', async () => {
      await store.migrate(contractMigrations);
      await Promise.all([store.migrate(contractMigrations), store.migrate(contractMigrations)]);
      const applied = await store.all<{ id: string }>('SELECT id FROM _migrations ORDER BY id');
      assert.deepEqual(
        applied.map((row) => row.id),
        contractMigrations.map((m) => m.id),
      );
    });

    it('rejects duplicate or empty migration ids as a programmer error', async () => {
      await assert.rejects(store.migrate([contractMigrations[0]!, contractMigrations[0]!]), TypeError);
      await assert.rejects(store.migrate([{ id: '', sql: 'SELECT 1' }]), TypeError);
    });

    it('rolls back a failing migration and does not record it', async () => {
      const broken: Migration = {
        id: '0099-broken',
        sql: 'CREATE TABLE half_done (id TEXT); CREATE TABLE broken (',
      };
      await assert.rejects(store.migrate([...contractMigrations, broken]));
      const recorded = await store.get('SELECT id FROM _migrations WHERE id = ?', ['0099-broken']);
      assert.equal(recorded, undefined);
      await assert.rejects(store.all('SELECT id FROM half_done'));
    });

    it('uses the PostgreSQL variant of a migration where one is given', async () => {
      const first = await store.get<{ n: number }>('INSERT INTO tickets (label) VALUES (?) RETURNING n', [
        'a',
      ]);
      const second = await store.get<{ n: number }>('INSERT INTO tickets (label) VALUES (?) RETURNING n', [
        'b',
      ]);
      assert.equal(typeof first?.n, 'number');
      assert.equal(second?.n, first!.n + 1);
    });

    it('binds parameters: an injection attempt is stored as a literal string', async () => {
      const hostile = "x'); DROP TABLE notes; --";
      await insertNote(store, hostile, 'mallory');
      const row = await store.get<{ body: string }>('SELECT body FROM notes WHERE owner = ?', ['mallory']);
      assert.equal(row?.body, hostile);
      assert.equal((await store.all('SELECT id FROM notes WHERE owner = ?', ['mallory'])).length, 1);
    });

    it('treats ? inside literals, quoted identifiers and comments as text', async () => {
      const row = await store.get<{ q: string; v: string; 'a?b': string }>(
        `SELECT '?' AS q, -- is this a ? no
                ? AS v, /* nor ? this */ 'it''s ?' AS "a?b"`,
        ['bound'],
      );
      assert.deepEqual({ ...row }, { q: '?', v: 'bound', 'a?b': "it's ?" });
    });

    it('refuses a parameter count that differs from the placeholders', async () => {
      await assert.rejects(store.get('SELECT ? AS a, ? AS b', ['only one']), TypeError);
      await assert.rejects(store.get('SELECT ? AS a', ['one', 'two']), TypeError);
      await assert.rejects(store.get('SELECT $1 AS a', ['x']), TypeError);
    });

    it('round-trips every SqlValue type the same way', async () => {
      const values: SqlValue[] = ['s-1', 2 ** 40, -7, 1.25, new Uint8Array([0, 1, 255]), 'ünïcødé ✓'];
      await store.run('INSERT INTO samples (id, n, small, x, data, note) VALUES (?, ?, ?, ?, ?, ?)', values);
      await store.run('INSERT INTO samples (id, n, small, x, data, note) VALUES (?, ?, ?, ?, ?, ?)', [
        's-2',
        5n,
        null,
        null,
        null,
        null,
      ]);
      const row = await store.get<{ n: number; small: number; x: number; data: Uint8Array; note: string }>(
        'SELECT n, small, x, data, note FROM samples WHERE id = ?',
        ['s-1'],
      );
      assert.equal(row?.n, 2 ** 40);
      assert.equal(row.small, -7);
      assert.equal(row.x, 1.25);
      assert.ok(row.data instanceof Uint8Array);
      assert.deepEqual([...row.data], [0, 1, 255]);
      assert.equal(row.note, 'ünïcødé ✓');
      const other = await store.get<{ n: number; x: null }>('SELECT n, x FROM samples WHERE id = ?', ['s-2']);
      assert.equal(other?.n, 5);
      assert.equal(other.x, null);
      const count = await store.get<{ c: number }>('SELECT COUNT(*) AS c FROM samples');
      assert.equal(count?.c, 2);
    });

    it('reports changed rows, and undefined for no row', async () => {
      await insertNote(store, 'one', 'counted');
      await insertNote(store, 'two', 'counted');
      const result = await store.run('UPDATE notes SET body = ? WHERE owner = ?', ['changed', 'counted']);
      assert.equal(result.changes, 2);
      assert.equal(await store.get('SELECT id FROM notes WHERE owner = ?', ['nobody']), undefined);
      assert.deepEqual(await store.all('SELECT id FROM notes WHERE owner = ?', ['nobody']), []);
    });

    it('recognises a unique violation without putting the value in the error', async () => {
      const id = 'jane.doe@example.com';
      await store.run('INSERT INTO notes (id, body) VALUES (?, ?)', [id, 'first']);
      const error: unknown = await store
        .run('INSERT INTO notes (id, body) VALUES (?, ?)', [id, 'again'])
        .then(
          () => undefined,
          (caught: unknown) => caught,
        );
      assert.ok(isUniqueViolation(error), 'a duplicate key is a unique violation');
      assert.ok(!isUniqueViolation(new Error('other')));
      assert.doesNotMatch(JSON.stringify(error) + String(error), /jane\.doe/);
    });

    it('commits a transaction that resolves and rolls back one that throws', async () => {
      await store.transaction(async (tx) => {
        await insertNote(tx, 'kept', 'tx');
      });
      await assert.rejects(
        store.transaction(async (tx) => {
          await insertNote(tx, 'dropped', 'tx');
          throw new Error('abort');
        }),
        /abort/,
      );
      const rows = await store.all<{ body: string }>('SELECT body FROM notes WHERE owner = ?', ['tx']);
      assert.deepEqual(
        rows.map((r) => r.body),
        ['kept'],
      );
    });

    it('returns the value of a committed transaction', async () => {
      const value = await store.transaction(async (tx) => {
        await insertNote(tx, 'value', 'tx-value');
        return 42;
      });
      assert.equal(value, 42);
    });

    it('statements from outside do not join a running transaction', async () => {
      let release = (): void => undefined;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const tx = store.transaction(async (t) => {
        await insertNote(t, 'in-tx', 'iso');
        await gate;
        throw new Error('rollback');
      });
      const outside = insertNote(store, 'outside', 'iso');
      release();
      await assert.rejects(tx, /rollback/);
      await outside;
      const rows = await store.all<{ body: string }>('SELECT body FROM notes WHERE owner = ?', ['iso']);
      assert.deepEqual(
        rows.map((r) => r.body),
        ['outside'],
      );
    });

    describe('transition: one conditional UPDATE that reports whether it won', () => {
      const newJob = async (status = 'pending'): Promise<string> => {
        const id = randomUUID();
        await store.run('INSERT INTO jobs (id, status, owner) VALUES (?, ?, ?)', [id, status, 'alice']);
        return id;
      };
      const jobOf = (id: string) =>
        store.get<{ status: string; worker: string | null }>('SELECT status, worker FROM jobs WHERE id = ?', [
          id,
        ]);

      it('of 20 concurrent callers on two replicas, exactly one wins', async () => {
        const replica = await engine.openReplica();
        try {
          const id = await newJob();
          const outcomes = await Promise.all(
            Array.from({ length: 20 }, (_, n) =>
              (n % 2 === 0 ? store : replica).transition('jobs', id, {
                from: 'pending',
                to: 'running',
                set: { worker: `w${n}` },
              }),
            ),
          );
          assert.equal(outcomes.filter(Boolean).length, 1);
          const winner = outcomes.indexOf(true);
          assert.deepEqual({ ...(await jobOf(id)) }, { status: 'running', worker: `w${winner}` });
        } finally {
          await replica.close();
        }
      });

      it('changes nothing when the row is in another state, missing, or fails a condition', async () => {
        const id = await newJob('done');
        assert.equal(await store.transition('jobs', id, { from: 'pending', to: 'running' }), false);
        assert.equal(await store.transition('jobs', randomUUID(), { from: 'pending', to: 'running' }), false);
        const other = await newJob();
        assert.equal(
          await store.transition('jobs', other, { from: 'pending', to: 'running', where: { owner: 'bob' } }),
          false,
        );
        assert.equal((await jobOf(id))?.status, 'done');
        assert.equal((await jobOf(other))?.status, 'pending');
        assert.equal(
          await store.transition('jobs', other, {
            from: 'pending',
            to: 'running',
            where: { owner: 'alice' },
          }),
          true,
        );
      });

      it('accepts several source states and another state column, and works inside a transaction', async () => {
        const id = await newJob('failed');
        const moved = await store.transaction((tx) =>
          tx.transition('jobs', id, { from: ['pending', 'failed'], to: 'pending' }),
        );
        assert.equal(moved, true);
        assert.equal((await jobOf(id))?.status, 'pending');
        assert.equal(
          await store.transition('jobs', id, { column: 'worker', from: null, to: 'w1' }),
          false,
          'NULL equals nothing: a NULL state is never a source state',
        );
        await store.run('UPDATE jobs SET worker = ? WHERE id = ?', ['w0', id]);
        assert.equal(await store.transition('jobs', id, { column: 'worker', from: 'w0', to: 'w1' }), true);
        assert.equal((await jobOf(id))?.worker, 'w1');
      });

      it('refuses unsafe names and contradictory arguments as programmer errors', async () => {
        const id = await newJob();
        const bad = [
          () => store.transition('jobs; DROP TABLE jobs', id, { from: 'pending', to: 'x' }),
          () => store.transition('jobs', id, { from: 'pending', to: 'x', set: { 'worker = 1 --': 'y' } }),
          () => store.transition('jobs', id, { from: [], to: 'x' }),
          () => store.transition('jobs', id, { from: 'pending', to: 'x', set: { status: 'y' } }),
          () => store.transition('jobs', id, { from: 'pending', to: 'x', where: { status: 'y' } }),
        ];
        for (const call of bad) await assert.rejects(call, TypeError);
        assert.equal((await jobOf(id))?.status, 'pending');
      });
    });

    it('refuses nested transactions, and migrate or close inside one', async () => {
      await assert.rejects(
        store.transaction((tx) => tx.transaction(() => Promise.resolve(1))),
        TypeError,
      );
      await assert.rejects(
        store.transaction((tx) => tx.migrate([])),
        TypeError,
      );
      await assert.rejects(
        store.transaction((tx) => tx.close()),
        TypeError,
      );
    });
  });
}
