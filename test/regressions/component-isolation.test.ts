// A local attacker on the shop's host: another process (or another component) reads what
// `rampart up` gave each component. Issue 10 item 2: every component ran as `nobody`, so any of them
// (or anything else running as nobody) could read the mesh CA key, the internal-token signing key,
// every keyring and every store; and the one-time join token sat in every child's environment
// (/proc/<pid>/environ), where a racing process of the same user could redeem it first.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { componentEnv, componentVariables } from '@rampart/config';
import { childPids, requireService, uidOf, startShop, type RunningShop } from '@rampart/testing';

const postgres = await requireService('postgres');
const databaseUrl = new URL(process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres');

/** Every variable a component may be started with: names of files, URLs and its own name — no secret. */
const PLAIN_VARIABLES = new Set([
  'NODE_ENV',
  'TZ',
  'LANG',
  // The component contract's plain variables; its secret ones travel over IPC.
  ...componentVariables()
    .filter((variable) => variable.channel === 'env')
    .map((variable) => variable.name),
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
            storage: `storage:\n  sql:\n    kind: postgres\n    url: 'postgres://rampart_{service}:\${env:${componentEnv.sqlPassword.name}}@${databaseUrl.host}/${database}'\n    adminUrl: '\${env:RAMPART_REGRESSION_ADMIN_URL}'`,
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
    assert.equal(pids.length, 9, 'mesh, identity, audit, three services, two sidecars, gateway');
    for (const pid of pids) {
      const environ = environOf(pid);
      const component = environ.get(componentEnv.component.name);
      const unexpected = [...environ.keys()].filter((name) => !PLAIN_VARIABLES.has(name));
      assert.deepEqual(unexpected, [], `${component}: variables beyond the plain set`);
      for (const [name, value] of environ) {
        assert.ok(
          // A path, a local URL, a name, or RAMPART_PEER_HOSTS' empty map (every peer on 127.0.0.1).
          /^(\/[^\s:@]*|https:\/\/127\.0\.0\.1:\d+|[\w.-]+|\{\})$/.test(value),
          `${component}: ${name} is not a path, a local URL or a name`,
        );
      }
      const exposed =
        readFileSync(`/proc/${pid}/environ`, 'utf8') + readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      for (const secret of secrets) assert.ok(!exposed.includes(secret), `${component}: a secret is exposed`);
      if (component !== 'mesh') assert.equal(environ.get(componentEnv.launchSecrets.name), 'ipc', component);
    }
  });

  it("gives a sidecar's process its own per-start secrets and nothing of the platform's", () => {
    const running = shop!;
    const processes = childPids(running.up.child.pid!).flatMap((pid) => childPids(pid));
    assert.equal(processes.length, 2, 'reviews (Python) and stock (Java), one each');
    const allowed = new Set([
      'PATH',
      'LANG',
      'LC_ALL',
      'TZ',
      'HOME',
      'PORT',
      'HOST',
      'RAMPART_SERVICE',
      'RAMPART_EGRESS_URL',
      'RAMPART_EGRESS_SECRET',
      'RAMPART_SIDECAR_SECRET',
    ]);
    const secretsSeen = new Set<string>();
    for (const pid of processes) {
      const environ = environOf(pid);
      const service = environ.get('RAMPART_SERVICE');
      assert.deepEqual(
        [...environ.keys()].filter((name) => !allowed.has(name)),
        [],
        `${service}: variables beyond its own`,
      );
      for (const name of ['RAMPART_EGRESS_SECRET', 'RAMPART_SIDECAR_SECRET']) {
        const value = environ.get(name) ?? '';
        assert.match(value, /^[A-Za-z0-9_-]{43}$/, `${service}: ${name} is 256 random bits`);
        assert.ok(!secretsSeen.has(value), `${service}: ${name} is shared with another`);
        secretsSeen.add(value);
      }
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      for (const value of secretsSeen)
        assert.ok(!cmdline.includes(value), `${service}: a secret on the command line`);
    }
  });
});

/** Every file under `dir`, recursively (as root, who runs the test). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return lstatSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** Public material every component (and every local user) may read. */
const PUBLIC = new Set([
  'ca.pem',
  'mesh/bundle.pem',
  'keys/internal-token.pub.pem',
  'keys/gateway-token.pub.pem',
  'keys/audit-signing.pub.pem',
]);

/**
 * Whose a file under `.rampart/` is: a component's name, `supervisor` (the human's credentials,
 * the edge CA, the master pseudonym key, the logs, the copy of the audit checkpoints) or `public`.
 */
function ownerOf(rel: string): string {
  if (PUBLIC.has(rel)) return 'public';
  const [top, second] = rel.split(sep);
  if (rel === 'keys/internal-token.key.pem') return 'mesh';
  if (rel === 'keys/gateway-token.key.pem') return 'gateway';
  if (rel === 'keys/audit-signing.key.pem') return 'audit';
  if (top === 'mesh' || top === 'identity' || top === 'gateway' || top === 'audit') return top;
  if ((top === 'keyring' || top === 'services') && second !== undefined) return second;
  return 'supervisor';
}

/** As `uid`/`gid`, without Node's permission model (what any process of that user can do): which files it can read. */
function readableAs(uid: number, gid: number, files: readonly string[]): Record<string, string> {
  const probe = `const fs = require('node:fs'); const out = {}; for (const f of JSON.parse(process.argv[1])) { try { fs.readFileSync(f); out[f] = 'read'; } catch (e) { out[f] = e.code; } } console.log(JSON.stringify(out));`;
  const result = spawnSync(process.execPath, ['-e', probe, JSON.stringify(files)], {
    uid,
    gid,
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as Record<string, string>;
}

function gidOf(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Gid:'));
  return Number(line?.split(/\s+/)[1]);
}

describe(
  'component isolation: one OS user per component, each reading only its own secrets',
  {
    skip:
      process.getuid?.() !== 0
        ? 'needs root: rampart up gives components their own users only as root'
        : false,
  },
  () => {
    let shop: RunningShop | undefined;

    before(async () => {
      shop = await startShop();
    });
    after(async () => {
      await shop?.stop();
    });

    it("as each component's user, reads every other component's keys, keyrings, stores and secrets — and is refused", () => {
      const running = shop!;
      const files = filesUnder(running.home);
      const owners = new Map(files.map((file) => [file, ownerOf(relative(running.home, file))]));
      // What the attack read: the mesh CA key, both signing keys, keyrings, stores, the human's secrets.
      for (const expected of [
        'mesh',
        'audit',
        'gateway',
        'identity',
        'orders',
        'payments',
        'profiles',
        'reviews',
        'stock',
        'supervisor',
        'public',
      ]) {
        assert.ok([...owners.values()].includes(expected), `no file of ${expected} found under .rampart/`);
      }
      assert.ok(
        files.some((f) => f.includes(`mesh${sep}ca${sep}`)),
        'the mesh CA key is under .rampart/mesh/ca/',
      );
      const pids = childPids(running.up.child.pid!);
      assert.equal(pids.length, 9);
      for (const pid of pids) {
        const component =
          readFileSync(`/proc/${pid}/environ`, 'utf8')
            .split('\0')
            .find((e) => e.startsWith(`${componentEnv.component.name}=`))
            ?.slice(`${componentEnv.component.name}=`.length) ?? '';
        // A file renamed away since the listing (an outbox's ack.json.tmp) is not judged.
        const results = readableAs(uidOf(pid), gidOf(pid), files);
        for (const [file, result] of Object.entries(results)) if (result === 'ENOENT') owners.delete(file);
        const leaked = files.filter(
          (f) => owners.get(f) !== component && owners.get(f) !== 'public' && results[f] === 'read',
        );
        assert.deepEqual(
          leaked.map((f) => relative(running.home, f)),
          [],
          `${component} reads what is not its own`,
        );
        const publicUnreadable = files.filter((f) => owners.get(f) === 'public' && results[f] !== 'read');
        assert.deepEqual(publicUnreadable, [], `${component} cannot read public material`);
        const own = files.filter((f) => owners.get(f) === component);
        assert.ok(
          own.length > 0 && own.every((f) => results[f] === 'read'),
          `${component} cannot read its own files`,
        );
      }
    });
  },
);
