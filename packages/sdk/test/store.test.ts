import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tempDir, type TempDir } from '@rampart/testing';
import { openStore, type Migration, type Store } from '@rampart/sdk';

const migrations: Migration[] = [
  { id: '0001-notes', sql: 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)' },
  { id: '0002-notes-owner', sql: "ALTER TABLE notes ADD COLUMN owner TEXT NOT NULL DEFAULT ''" },
];

describe('openStore (embedded, node:sqlite)', () => {
  let dir: TempDir;
  let store: Store;
  let file: string;
  before(async () => {
    dir = await tempDir('rampart-store-');
    file = join(dir.path, 'service.sqlite');
    store = openStore(file);
    await store.migrate(migrations);
  });
  after(async () => {
    await store.close();
    await dir.cleanup();
  });

  it('creates the file with mode 0600 and uses WAL', async () => {
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const mode = await store.get<{ journal_mode: string }>('PRAGMA journal_mode');
    assert.equal(mode?.journal_mode, 'wal');
  });

  it('migrations are idempotent and recorded', async () => {
    await store.migrate(migrations);
    await store.migrate(migrations);
    const applied = await store.all<{ id: string }>('SELECT id FROM _migrations ORDER BY id');
    assert.deepEqual(
      applied.map((row) => row.id),
      ['0001-notes', '0002-notes-owner'],
    );
  });

  it('rejects duplicate migration ids as a programmer error', async () => {
    await assert.rejects(store.migrate([migrations[0]!, migrations[0]!]), TypeError);
  });

  it('binds parameters: an injection attempt is stored as a literal string', async () => {
    const hostile = "x'); DROP TABLE notes; --";
    await store.run('INSERT INTO notes (body, owner) VALUES (?, ?)', [hostile, 'mallory']);
    const row = await store.get<{ body: string }>('SELECT body FROM notes WHERE owner = ?', ['mallory']);
    assert.equal(row?.body, hostile);
    assert.equal((await store.all('SELECT id FROM notes')).length, 1);
  });

  it('commits a transaction that resolves and rolls back one that throws', async () => {
    await store.transaction(async (tx) => {
      await tx.run('INSERT INTO notes (body, owner) VALUES (?, ?)', ['kept', 'tx']);
    });
    await assert.rejects(
      store.transaction(async (tx) => {
        await tx.run('INSERT INTO notes (body, owner) VALUES (?, ?)', ['dropped', 'tx']);
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

  it('statements from outside wait for a running transaction instead of joining it', async () => {
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tx = store.transaction(async (t) => {
      await t.run('INSERT INTO notes (body, owner) VALUES (?, ?)', ['in-tx', 'iso']);
      await gate;
      throw new Error('rollback');
    });
    const outside = store.run('INSERT INTO notes (body, owner) VALUES (?, ?)', ['outside', 'iso']);
    release();
    await assert.rejects(tx, /rollback/);
    await outside;
    const rows = await store.all<{ body: string }>('SELECT body FROM notes WHERE owner = ?', ['iso']);
    assert.deepEqual(
      rows.map((r) => r.body),
      ['outside'],
    );
  });

  it('refuses nested transactions', async () => {
    await assert.rejects(
      store.transaction((tx) => tx.transaction(() => Promise.resolve(1))),
      TypeError,
    );
  });
});
