import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { it } from 'node:test';
import pg from 'pg';
import { componentEnv } from '@rampart/config';
import { componentSpiffeId } from '@rampart/mesh';
import {
  describeIfAvailable,
  requireService,
  callService,
  cliMain,
  startShop,
  SHOP_TRUST_DOMAIN,
} from '@rampart/testing';

const base = new URL(process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres');
const available = await requireService('postgres');
/** The roles `rampart up` provisions for the shop: its services, identity and the audit service. */
const ROLES = ['rampart_profiles', 'rampart_orders', 'rampart_payments', 'rampart_identity', 'rampart_audit'];

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
        // The audit trail is on PostgreSQL too, in its own schema (`audit`) under its own role: a refused call
        // lands there, and `rampart audit verify` checks it with the operator's credentials.
        const refused = await callService(
          shop.ports.profiles,
          'profiles',
          '/profiles/me',
          { ca: shop.bundle(), cert: gateway, token: 'not-a-token' },
          { method: 'GET' },
        );
        assert.equal(refused.status, 401);
        await asAdmin(database, async (admin) => {
          const deadline = Date.now() + 15_000;
          for (;;) {
            const { rows } = await admin.query<{ n: string }>(
              "SELECT count(*) AS n FROM audit.audit_entries WHERE event LIKE '%request.denied%'",
            );
            if (Number(rows[0]!.n) > 0) break;
            assert.ok(Date.now() < deadline, 'the denial reached the audit trail on PostgreSQL');
            await sleep(200);
          }
          const owner = await admin.query<{ nspowner: string }>(
            "SELECT pg_get_userbyid(nspowner) AS nspowner FROM pg_namespace WHERE nspname = 'audit'",
          );
          assert.equal(owner.rows[0]?.nspowner, 'rampart_audit');
        });
        const verify = spawnSync(
          process.execPath,
          [cliMain, 'audit', 'verify', join(shop.dir, 'rampart.yaml')],
          {
            encoding: 'utf8',
            env: { ...process.env, RAMPART_E2E_ADMIN_URL: adminUrl.toString(), NO_COLOR: '1' },
          },
        );
        assert.equal(verify.status, 0, verify.stderr + verify.stdout);
        assert.match(verify.stderr, /verifying PostgreSQL schema audit on 127\.0\.0\.1:\d+\//);
        assert.match(verify.stdout, /audit trail verified: [1-9]\d* events/);
        // The audit role cannot read a service's data, nor a service the audit trail.
        for (const [role, table] of [
          ['rampart_audit', 'profiles.profiles'],
          ['rampart_profiles', 'audit.audit_entries'],
        ] as const) {
          const as = new URL(adminUrl);
          as.username = role;
          const client = new pg.Client({ connectionString: as.toString() });
          await client.connect();
          try {
            await assert.rejects(client.query(`SELECT * FROM ${table}`), /permission denied/);
          } finally {
            await client.end();
          }
        }
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
          // The roles only held privileges in that database: nothing of this run stays behind —
          // unless another run on this cluster (the component-isolation regression) holds the same
          // cluster-wide role right now; that run drops it when it ends.
          for (const role of ROLES) {
            await admin.query(`DROP ROLE IF EXISTS ${role}`).catch((error: unknown) => {
              if ((error as { code?: string }).code !== '2BP01') throw error;
            });
          }
        });
      }
    });
  },
);
