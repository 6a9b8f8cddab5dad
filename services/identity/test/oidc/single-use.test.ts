import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, it } from 'node:test';
import { errors } from 'oidc-provider';
import { describeIfAvailable } from '@rampart/testing';
import { storeAdapter } from '../../src/oidc/adapter.ts';
import { PayloadSealing } from '../../src/oidc/payload-sealing.ts';
import { identityMigrations } from '../../src/store/migrations.ts';
import {
  embeddedEngine,
  postgresEngine,
  type AccountsWorld,
  type StoreEngine,
} from '../accounts/fixtures.ts';

/*
 * Single use is the adapter's promise, whatever the engine: of N concurrent consumptions of one
 * refresh token or authorization code, exactly one succeeds and every other is a replay
 * (invalid_grant, the family revoked). Proven on the embedded engine as on PostgreSQL — a
 * read-then-write consume would lose this race on either, since every store call is awaited.
 */
const CONCURRENT = 12;

for (const engine of [embeddedEngine, await postgresEngine()] satisfies StoreEngine[]) {
  describeIfAvailable(`single-use codes and refresh tokens (${engine.name})`, engine.availability, () => {
    let world: AccountsWorld | undefined;
    const reuses: string[] = [];
    const revoked: string[] = [];
    const adapterFor = (model: string) => {
      assert.ok(world !== undefined);
      const Adapter = storeAdapter({
        store: world.store,
        // Consumption runs on the keyed hash of the id, as in production.
        sealing: new PayloadSealing(world.cipher, randomBytes(32)),
        refreshReuseGraceSeconds: 0,
        onReuse: (reuse) => reuses.push(reuse.model),
        onGrantRevoked: (grantId) => {
          revoked.push(grantId);
          return Promise.resolve();
        },
      });
      return new Adapter(model);
    };

    before(async () => {
      world = await engine.open();
      await world.store.migrate(identityMigrations);
    });
    after(async () => {
      await world?.dispose();
    });

    for (const model of ['RefreshToken', 'AuthorizationCode']) {
      it(`${model}: exactly one of ${CONCURRENT} concurrent consumptions wins; the rest are replays`, async () => {
        const adapter = adapterFor(model);
        const id = randomUUID();
        const grantId = randomUUID();
        await adapter.upsert(id, { grantId, accountId: 'account-1', kind: model }, 60);
        reuses.length = 0;
        revoked.length = 0;

        const results = await Promise.allSettled(
          Array.from({ length: CONCURRENT }, () => adapter.consume(id)),
        );

        assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1, 'one winner');
        for (const lost of results.filter((r) => r.status === 'rejected')) {
          assert.ok(lost.reason instanceof errors.InvalidGrant, 'every loser is invalid_grant');
        }
        assert.ok(reuses.length >= 1 && reuses.every((m) => m === model), 'the replay is reported');
        assert.ok(revoked.includes(grantId), 'the family is revoked');
        assert.equal(await adapter.find(id), undefined, 'nothing of the family is left to use');
      });
    }
  });
}
