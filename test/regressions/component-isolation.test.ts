// A local attacker on the shop's host: another process (or another component) reads what
// `rampart up` gave each component. Issue 10 item 2: the one-time join token sat in every child's
// environment (/proc/<pid>/environ), where a racing process of the same user could redeem it first.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { childPids, requireService } from '@rampart/testing';
import { startShop, type RunningShop } from '../e2e/support/platform.ts';

const postgres = await requireService('postgres');
const databaseUrl = new URL(process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres');

/** Every variable a component may be started with: names of files, URLs and its own name — no secret. */
const PLAIN_VARIABLES = new Set([
  'NODE_ENV',
  'TZ',
  'LANG',
  'RAMPART_CONFIG',
  'RAMPART_COMPONENT',
  'RAMPART_STATE_DIR',
  'RAMPART_KEYRING',
  'RAMPART_INTERNAL_TOKEN_KEY',
  'RAMPART_INTERNAL_TOKEN_SIGNING_KEY',
  'RAMPART_PSEUDONYM_KEY',
  'RAMPART_MESH_URL',
  'RAMPART_MESH_BUNDLE',
  'RAMPART_EDGE_CA',
  'RAMPART_TLS_CERT',
  'RAMPART_TLS_KEY',
  'RAMPART_LAUNCH_SECRETS',
  // Node's own, for the IPC channel the secrets travel on.
  'NODE_CHANNEL_FD',
  'NODE_CHANNEL_SERIALIZATION_MODE',
]);

function environOf(pid: number): Map<string, string> {
  const entries = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
  return new Map(
    entries.map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]),
  );
}

/** A database of its own, dropped afterwards: identity's rows must not outlive this test's keyring. */
async function onServer(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl.toString() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

describe('component isolation: no secret in a component environment or command line', () => {
  let shop: RunningShop | undefined;
  const database = `rampart_isolation_${randomBytes(4).toString('hex')}`;
  const adminUrl = new URL(databaseUrl);
  adminUrl.pathname = `/${database}`;

  before(async () => {
    // On PostgreSQL (when there is one) each service also gets a SQL password, and the config refers
    // to the admin URL (with its password) by ${env:…}: both must stay out of every child's environment.
    if (postgres.skip === false) await onServer(`CREATE DATABASE ${database}`);
    shop = await startShop(
      postgres.skip === false
        ? {
            storage: `storage:\n  sql:\n    kind: postgres\n    url: 'postgres://rampart_{service}:\${env:RAMPART_SQL_PASSWORD}@${databaseUrl.host}/${database}'\n    adminUrl: '\${env:RAMPART_REGRESSION_ADMIN_URL}'`,
            env: { RAMPART_REGRESSION_ADMIN_URL: adminUrl.toString() },
          }
        : {},
    );
  });
  after(async () => {
    await shop?.stop();
    if (postgres.skip === false) await onServer(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  });

  it('reads /proc/<pid>/environ and cmdline of every child and finds only paths, URLs and names', () => {
    const running = shop!;
    const secrets = [
      readFileSync(join(running.home, 'admin-password'), 'utf8').trim(),
      ...readdirSync(join(running.home, 'clients')).map((f) =>
        readFileSync(join(running.home, 'clients', f), 'utf8').trim(),
      ),
      ...(
        JSON.parse(readFileSync(join(running.home, 'demo-users.json'), 'utf8')) as {
          users: { password: string }[];
        }
      ).users.map((user) => user.password),
      ...(postgres.skip === false && adminUrl.password !== '' ? [adminUrl.password] : []),
    ];
    assert.ok(secrets.length >= 4, 'admin password, shop-cli secret, two demo users');
    const pids = childPids(running.up.child.pid!);
    assert.equal(pids.length, 6, 'mesh, identity, three services, gateway');
    for (const pid of pids) {
      const environ = environOf(pid);
      const component = environ.get('RAMPART_COMPONENT');
      const unexpected = [...environ.keys()].filter((name) => !PLAIN_VARIABLES.has(name));
      assert.deepEqual(unexpected, [], `${component}: variables beyond the plain set`);
      for (const [name, value] of environ) {
        assert.ok(
          /^(\/[^\s:@]*|https:\/\/127\.0\.0\.1:\d+|[\w.-]+)$/.test(value),
          `${component}: ${name} is not a path, a local URL or a name`,
        );
      }
      const exposed =
        readFileSync(`/proc/${pid}/environ`, 'utf8') + readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      for (const secret of secrets) assert.ok(!exposed.includes(secret), `${component}: a secret is exposed`);
      if (component !== 'mesh') assert.equal(environ.get('RAMPART_LAUNCH_SECRETS'), 'ipc', component);
    }
  });
});
