import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { it } from 'node:test';
import pg from 'pg';
import { componentEnv } from '@rampart/config';
import { componentSpiffeId } from '@rampart/mesh';
import {
  describeIfAvailable,
  requireService,
  callService,
  startShop,
  SHOP_TRUST_DOMAIN,
} from '@rampart/testing';

const base = new URL(process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres');
const available = await requireService('postgres');

async function asAdmin<T>(database: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const url = new URL(base);
  url.pathname = `/${database}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

describeIfAvailable(
  'rampart up on PostgreSQL: each service its own role, schema and password',
  available,
  () => {
    it('provisions at start, keeps data encrypted in the service schema, and isolates the services', async () => {
      const database = `rampart_e2e_${randomBytes(4).toString('hex')}`;
      await asAdmin(base.pathname.slice(1) || 'postgres', (c) => c.query(`CREATE DATABASE ${database}`));
      const serviceUrl = new URL(base);
      serviceUrl.pathname = `/${database}`;
      serviceUrl.username = 'rampart_{service}';
      serviceUrl.password = '';
      const adminUrl = new URL(base);
      adminUrl.pathname = `/${database}`;
      const template = serviceUrl
        .toString()
        .replace('rampart_%7Bservice%7D@', `rampart_{service}:\${env:${componentEnv.sqlPassword.name}}@`);

      const shop = await startShop({
        storage: `storage:\n  sql:\n    kind: postgres\n    url: '${template}'\n    adminUrl: '\${env:RAMPART_E2E_ADMIN_URL}'`,
        env: { RAMPART_E2E_ADMIN_URL: adminUrl.toString() },
      });
      try {
        const gateway = await shop.credentials(componentSpiffeId(SHOP_TRUST_DOMAIN, 'gateway'));
        const token = await shop.token({
          sub: 'user-pg',
          aud: 'profiles',
          scope: 'profile:read profile:write',
        });
        const saved = await callService(
          shop.ports.profiles,
          'profiles',
          '/profiles/me',
          { ca: shop.bundle(), cert: gateway, token },
          { method: 'PUT', body: { name: 'Ada Lovelace', email: 'ada@example.org' } },
        );
        assert.equal(saved.status, 200, JSON.stringify(saved.body));

        await asAdmin(database, async (admin) => {
          const { rows } = await admin.query<{ email: string }>('SELECT email FROM profiles.profiles');
          assert.equal(rows.length, 1);
          assert.match(rows[0]!.email, /^rf1\./, 'stored encrypted');
          const roles = await admin.query<{ rolname: string; rolsuper: boolean; rolcreaterole: boolean }>(
            "SELECT rolname, rolsuper, rolcreaterole FROM pg_roles WHERE rolname IN ('rampart_profiles', 'rampart_orders', 'rampart_payments') ORDER BY rolname",
          );
          assert.deepEqual(
            roles.rows.map((r) => [r.rolname, r.rolsuper, r.rolcreaterole]),
            [
              ['rampart_orders', false, false],
              ['rampart_payments', false, false],
              ['rampart_profiles', false, false],
            ],
          );
        });
        // One service's role cannot read another's schema.
        const asOrders = new URL(adminUrl);
        asOrders.username = 'rampart_orders';
        const orders = new pg.Client({ connectionString: asOrders.toString() });
        await orders.connect();
        try {
          await assert.rejects(orders.query('SELECT email FROM profiles.profiles'), /permission denied/);
          await assert.rejects(orders.query('CREATE TABLE public.planted (x int)'), /permission denied/);
        } finally {
          await orders.end();
        }
      } finally {
        await shop.stop();
        await asAdmin(base.pathname.slice(1) || 'postgres', async (admin) => {
          await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
          // The roles only held privileges in that database: nothing of this run stays behind.
          await admin.query('DROP ROLE IF EXISTS rampart_profiles, rampart_orders, rampart_payments');
        });
      }
    });
  },
);
