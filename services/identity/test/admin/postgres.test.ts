import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { randomBytes } from 'node:crypto';
import * as oidc from 'openid-client';
import { openPostgresStore, type Store } from '@rampart/sdk';
import { describeIfAvailable, requireService } from '@rampart/testing';
import { POSTGRES_URL } from '../accounts/fixtures.ts';
import { startAdminHarness, PASSWORD, type AdminHarness } from './admin-support.ts';

/**
 * The admin API's own SQL on PostgreSQL: the client registry (two tables in one transaction,
 * `ON CONFLICT`, the `LIKE` sweep of a deleted client's grants), the last-admin count, and signing
 * out everywhere. The rest of the API goes through the AccountStore, whose contract runs on both.
 */
describeIfAvailable('admin API on PostgreSQL', await requireService('postgres'), () => {
  let a: AdminHarness;
  // A schema of our own, created and dropped here (the harness's postgres mode expects it to exist).
  const schema = `rampart_admin_${process.pid}_${randomBytes(4).toString('hex')}`;
  let owner: Store;
  let store: Store;

  before(async () => {
    owner = openPostgresStore({ url: POSTGRES_URL, schema: 'public', maxConnections: 1 });
    await owner.run(`CREATE SCHEMA ${schema}`);
    store = openPostgresStore({ url: POSTGRES_URL, schema, maxConnections: 8 });
    a = await startAdminHarness({ store });
  });
  after(async () => {
    await a.close();
    await store.close();
    await owner.run(`DROP SCHEMA ${schema} CASCADE`);
    await owner.close();
  });

  it('creates, uses, rotates and deletes a client', async () => {
    const created = await a.call('POST', '/clients', {
      body: {
        clientId: 'pg-job',
        type: 'confidential',
        grants: ['client_credentials'],
        scopes: ['orders:read'],
      },
    });
    assert.equal(created.status, 201, created.text);
    const relyingParty = (secret: string): oidc.Configuration => {
      const config = new oidc.Configuration(
        { issuer: a.h.issuer, token_endpoint: `${a.h.issuer}/token` },
        'pg-job',
        undefined,
        oidc.ClientSecretBasic(secret),
      );
      config[oidc.customFetch] = a.h.fetch as unknown as oidc.CustomFetch;
      return config;
    };
    await oidc.clientCredentialsGrant(relyingParty(created.json['clientSecret'] as string), {
      scope: 'orders:read',
    });
    const rotated = await a.call('POST', '/clients/pg-job/secret');
    const fresh = relyingParty(rotated.json['clientSecret'] as string);
    await oidc.clientCredentialsGrant(fresh, { scope: 'orders:read' });
    await a.h.store.run(
      "INSERT INTO oidc_payloads (model, id, payload, client_id) VALUES ('Grant', 'pg-grant', ?, 'pg-job')",
      [JSON.stringify({ clientId: 'pg-job' })],
    );
    assert.equal((await a.call('DELETE', '/clients/pg-job')).status, 204);
    await assert.rejects(oidc.clientCredentialsGrant(fresh, { scope: 'orders:read' }));
    const left = await a.h.store.get<{ n: number | string }>(
      "SELECT COUNT(*) AS n FROM oidc_payloads WHERE id IN ('pg-grant', 'pg-job')",
    );
    assert.equal(Number(left?.n), 0);
    const again = await a.call('POST', '/clients', {
      body: {
        clientId: 'pg-job',
        type: 'public',
        grants: ['authorization_code'],
        redirectUris: ['https://pg.example/cb'],
        scopes: ['openid'],
      },
    });
    assert.equal(again.status, 201, 'an id can be used again once deleted');
  });

  it('keeps the last enabled admin, and signs a user out everywhere', async () => {
    assert.equal(
      (await a.call('PATCH', `/users/${a.admin.id}`, { body: { disabled: true } })).json['error'],
      'last_admin',
    );
    const user = await a.h.identity.accounts.createUser({ username: 'pg-user', password: PASSWORD });
    await a.h.store.run(
      "INSERT INTO oidc_payloads (model, id, payload, account_id) VALUES ('Grant', 'pg-user-grant', '{}', ?)",
      [user.id],
    );
    await a.h.store.run(
      "INSERT INTO oidc_payloads (model, id, payload, grant_id) VALUES ('RefreshToken', 'pg-user-rt', '{}', 'pg-user-grant')",
    );
    assert.equal((await a.call('DELETE', `/users/${user.id}/sessions`)).status, 200);
    const left = await a.h.store.get<{ n: number | string }>(
      "SELECT COUNT(*) AS n FROM oidc_payloads WHERE id IN ('pg-user-grant', 'pg-user-rt')",
    );
    assert.equal(Number(left?.n), 0);
  });
});
