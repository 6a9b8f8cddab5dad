import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { describeIfAvailable, requireService } from '@rampart/testing';
import { FieldCipher, LocalKeyring, openPostgresStore, type Store } from '@rampart/sdk';
import { migrateAccounts } from '../../src/accounts/index.ts';
import { sharedSecrets } from '../../src/keys/shared-secrets.ts';
import { SIGNING_ALGS, SigningKeys } from '../../src/keys/signing-keys.ts';
import { PayloadSealing } from '../../src/oidc/payload-sealing.ts';
import { identityMigrations } from '../../src/store/migrations.ts';
import { createPostgresSchema } from '../support/harness.ts';

const POSTGRES_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** What an identity process does with its store before it serves (app.ts, `buildIdentity`). */
async function startOn(store: Store, cipher: FieldCipher): Promise<{ keys: string; cookies: string[] }> {
  await store.migrate(identityMigrations);
  await migrateAccounts(store, cipher);
  const keys = new SigningKeys({ store, cipher, retiredRetentionMs: 60_000 });
  await keys.ensure();
  const cookies = await sharedSecrets(store, cipher, 'cookie-keys', 2);
  await PayloadSealing.open(store, cipher);
  return { keys: await keys.version(), cookies };
}

/**
 * `identity.replicas` under `rampart up` (or a Deployment's pods) may start at the same moment on
 * an empty schema: the migrations run once (an advisory lock), one current and one next signing
 * key per algorithm are created (a unique index; the loser's insert is dropped) and every replica
 * ends up with the same keys and shared secrets.
 */
describeIfAvailable(
  'identity replicas starting at once on one empty PostgreSQL schema',
  await requireService('postgres'),
  () => {
    let dir: string;
    let cipher: FieldCipher;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'rampart-replica-start-'));
      cipher = new FieldCipher(await LocalKeyring.open(join(dir, 'keyring.json')));
    });
    after(() => {
      rmSync(dir, { recursive: true, force: true });
    });

    for (const replicas of [2, 4]) {
      it(`${replicas} replicas: migrations once, one key per algorithm and state, the same secrets everywhere`, async () => {
        const schema = await createPostgresSchema();
        await schema.store.close();
        const stores = Array.from({ length: replicas }, () =>
          openPostgresStore({ url: POSTGRES_URL, schema: schema.schema, maxConnections: 4 }),
        );
        try {
          const started = await Promise.all(stores.map((store) => startOn(store, cipher)));
          const [first] = started;
          assert.ok(first);
          for (const other of started) {
            assert.equal(other.keys, first.keys, 'every replica publishes the same key set');
            assert.deepEqual(other.cookies, first.cookies, 'every replica signs cookies with the same keys');
          }
          const rows = await stores[0]!.all<{ alg: string; state: string; n: number | string }>(
            'SELECT alg, state, COUNT(*) AS n FROM signing_keys GROUP BY alg, state ORDER BY alg, state',
          );
          assert.deepEqual(
            rows.map((row) => `${row.alg} ${row.state} ${Number(row.n)}`),
            [...SIGNING_ALGS].sort().flatMap((alg) => [`${alg} current 1`, `${alg} next 1`]),
          );
          const applied = await stores[0]!.all<{ id: string; n: number | string }>(
            'SELECT id, COUNT(*) AS n FROM _migrations GROUP BY id HAVING COUNT(*) > 1',
          );
          assert.deepEqual(applied, [], 'no migration recorded twice');
        } finally {
          await Promise.all(stores.map((store) => store.close()));
          await schema.drop();
        }
      });
    }
  },
);
