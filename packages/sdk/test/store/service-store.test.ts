import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RampartConfig } from '@rampart/config';
import { RampartError } from '@rampart/errors';
import { tempDir, type TempDir } from '@rampart/testing';
import { EMBEDDED_STORE_FILE, openServiceStore, type Store } from '../../src/store/index.ts';

function configWith(storage: RampartConfig['storage']): RampartConfig {
  return {
    version: 1,
    name: 'shop',
    ...(storage === undefined ? {} : { storage }),
    services: {
      profiles: { entry: 'profiles.ts', port: 7001 },
      payments: { entry: 'payments.ts', port: 7002 },
    },
  } as unknown as RampartConfig;
}

describe('openServiceStore: embedded (the default)', () => {
  let root: TempDir;
  const stores: Store[] = [];
  before(async () => {
    root = await tempDir('rampart-service-store-');
  });
  after(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await root.cleanup();
  });

  it('gives each service its own file in its own state directory', async () => {
    const config = configWith({ sql: { kind: 'embedded' } });
    const open = async (serviceName: string): Promise<Store> => {
      const stateDir = join(root.path, serviceName);
      const { mkdir } = await import('node:fs/promises');
      await mkdir(stateDir, { mode: 0o700 });
      const store = await openServiceStore({ config, serviceName, stateDir, configDir: root.path });
      stores.push(store);
      return store;
    };
    const profiles = await open('profiles');
    const payments = await open('payments');
    for (const name of ['profiles', 'payments']) {
      const file = join(root.path, name, EMBEDDED_STORE_FILE);
      assert.ok(existsSync(file));
      assert.equal(statSync(file).mode & 0o777, 0o600);
    }
    await profiles.migrate([{ id: '0001', sql: 'CREATE TABLE profiles (id TEXT PRIMARY KEY)' }]);
    await payments.migrate([{ id: '0001', sql: 'CREATE TABLE cards (id TEXT PRIMARY KEY)' }]);
    await assert.rejects(payments.all('SELECT id FROM profiles'), /no such table/);
    await assert.rejects(profiles.all('SELECT id FROM cards'), /no such table/);
  });

  it('uses the embedded store when storage is not configured', async () => {
    const stateDir = join(root.path, 'default');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(stateDir);
    const store = await openServiceStore({
      config: configWith(undefined),
      serviceName: 'profiles',
      stateDir,
      configDir: root.path,
    });
    stores.push(store);
    assert.ok(existsSync(join(stateDir, EMBEDDED_STORE_FILE)));
  });

  it('refuses a service that is not declared', async () => {
    await assert.rejects(
      openServiceStore({
        config: configWith(undefined),
        serviceName: 'nope',
        stateDir: root.path,
        configDir: root.path,
      }),
      TypeError,
    );
  });
});

describe('openServiceStore: PostgreSQL', () => {
  const base = { serviceName: 'payments', stateDir: '/nonexistent', configDir: '/nonexistent' };

  it('substitutes {service}, resolves references, and opens lazily as the service role', async () => {
    process.env['RAMPART_TEST_SQL_PASSWORD'] = 'not-used-until-a-query';
    const store = await openServiceStore({
      ...base,
      config: configWith({
        sql: {
          kind: 'postgres',
          url: 'postgres://rampart_{service}:${env:RAMPART_TEST_SQL_PASSWORD}@127.0.0.1:1/shop',
        },
      }),
    });
    await store.close();
  });

  it('refuses credentials that are not the service role (SDK_STORE_ROLE_MISMATCH)', async () => {
    process.env['RAMPART_TEST_SQL_PASSWORD'] = 'hunter2-hunter2';
    const error: unknown = await openServiceStore({
      ...base,
      config: configWith({
        sql: { kind: 'postgres', url: 'postgres://postgres:${env:RAMPART_TEST_SQL_PASSWORD}@db/shop' },
      }),
    }).catch((caught: unknown) => caught);
    assert.ok(error instanceof RampartError);
    assert.equal(error.code, 'SDK_STORE_ROLE_MISMATCH');
    assert.doesNotMatch(error.message, /hunter2/);
  });

  it('reports an unresolvable reference as CFG_SECRET_UNRESOLVED', async () => {
    delete process.env['RAMPART_TEST_SQL_MISSING'];
    await assert.rejects(
      openServiceStore({
        ...base,
        config: configWith({
          sql: {
            kind: 'postgres',
            url: 'postgres://rampart_{service}:${env:RAMPART_TEST_SQL_MISSING}@db/shop',
          },
        }),
      }),
      (error: unknown) => error instanceof RampartError && error.code === 'CFG_SECRET_UNRESOLVED',
    );
  });
});
