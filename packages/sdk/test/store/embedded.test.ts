import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tempDir, type TempDir } from '@rampart/testing';
import { openEmbeddedStore, openStore, type Store } from '../../src/store/index.ts';
import { contractMigrations, runStoreContract } from './contract.ts';

let contractDir: TempDir | undefined;
runStoreContract({
  name: 'embedded (node:sqlite)',
  availability: { skip: false },
  async open() {
    contractDir = await tempDir('rampart-store-contract-');
    return openEmbeddedStore(join(contractDir.path, 'service.sqlite'));
  },
  openReplica() {
    if (contractDir === undefined) throw new Error('open() first');
    return Promise.resolve(openEmbeddedStore(join(contractDir.path, 'service.sqlite')));
  },
  async cleanup() {
    await contractDir?.cleanup();
  },
});

describe('openEmbeddedStore: what only the embedded engine does', () => {
  let dir: TempDir;
  let store: Store;
  let file: string;
  before(async () => {
    dir = await tempDir('rampart-store-');
    file = join(dir.path, 'service.sqlite');
    store = openEmbeddedStore(file);
    await store.migrate(contractMigrations);
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

  it('keeps openStore as the embedded store for existing callers', () => {
    assert.equal(openStore, openEmbeddedStore);
  });

  it('leaves no deleted value in the database file or the journal (secure_delete, truncated WAL)', async () => {
    const marker = 'DELETED-VALUE-7f3a9c';
    const bytes = (path: string): string => (existsSync(path) ? readFileSync(path).toString('latin1') : '');
    await store.migrate([
      { id: 'embedded-secrets', sql: 'CREATE TABLE secrets (id INTEGER PRIMARY KEY, v TEXT)' },
    ]);
    for (let i = 0; i < 50; i++) await store.run('INSERT INTO secrets (v) VALUES (?)', [`${marker}-${i}`]);
    await store.run('DELETE FROM secrets');
    assert.ok(bytes(`${file}-wal`).includes(marker), 'the journal holds the rows until it is truncated');
    // Migrating (as at every start) truncates the journal; closing does it again.
    await store.migrate([]);
    assert.ok(!bytes(`${file}-wal`).includes(marker), 'not in the journal');
    assert.ok(!bytes(file).includes(marker), 'not in the database file');
    const pragma = await store.get<{ secure_delete: number }>('PRAGMA secure_delete');
    assert.equal(pragma?.secure_delete, 1);
  });
});
