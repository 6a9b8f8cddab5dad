import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FieldCipher, LocalKeyring, openEmbeddedStore } from '@rampart/sdk';
import { tempDir } from '@rampart/testing';
import { AccountStore, accountMigrations, migrateAccounts } from '../../src/accounts/index.ts';

describe('display names are sealed at rest, also those stored in clear by older versions', () => {
  it('seals an existing clear display name, drops the clear column and leaves no trace in the files', async () => {
    const dir = await tempDir('rampart-display-names-');
    const file = join(dir.path, 'identity.sqlite');
    const store = openEmbeddedStore(file);
    try {
      const cipher = new FieldCipher(await LocalKeyring.open(join(dir.path, 'keyring.json')));
      // The schema as version 0004 left it, with a display name in clear.
      await store.migrate(accountMigrations.filter((migration) => migration.id < 'accounts-0005'));
      const legacyName = 'Theodora Blackwood-Nakamura';
      await store.run(
        `INSERT INTO users (id, username, display_name, created_at, updated_at)
         VALUES ('6f1c2b7e-1b7a-4f0e-9d2a-3c4b5d6e7f80', 'theodora', ?, 1, 1)`,
        [legacyName],
      );

      await migrateAccounts(store, cipher);
      await migrateAccounts(store, cipher); // a second start changes nothing

      const accounts = new AccountStore({ store, cipher });
      assert.equal((await accounts.findByUsername('theodora'))?.displayName, legacyName);
      const created = await accounts.createUser({ username: 'una', displayName: 'Una Fairweather-Okafor' });
      assert.equal((await accounts.findById(created.id))?.displayName, 'Una Fairweather-Okafor');
      const updated = await accounts.updateProfile(created.id, { displayName: 'Una F.-Okafor' });
      assert.equal(updated.displayName, 'Una F.-Okafor');

      const columns = await store.all<{ name: string }>("SELECT name FROM pragma_table_info('users')");
      assert.ok(!columns.some((column) => column.name === 'display_name'), 'the clear column is gone');
      const rows = JSON.stringify(await store.all('SELECT * FROM users'));
      for (const name of [legacyName, 'Una Fairweather-Okafor', 'Una F.-Okafor']) {
        assert.ok(!rows.includes(name), `${name} is not stored in clear`);
      }
      await store.close();
      for (const path of [file, `${file}-wal`]) {
        const bytes = existsSync(path) ? readFileSync(path).toString('latin1') : '';
        for (const name of [legacyName, 'Una Fairweather-Okafor', 'Una F.-Okafor']) {
          assert.ok(!bytes.includes(name), `${name} is not left in ${path}`);
        }
      }
    } finally {
      await store.close();
      await dir.cleanup();
    }
  });
});
