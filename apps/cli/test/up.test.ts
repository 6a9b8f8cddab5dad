import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chownSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  UpProcess,
  childPids,
  cliMain,
  freePlatformPorts,
  portsYaml,
  getJson,
  isRunning,
  repoRoot,
  shopServices,
  tempConfigDir,
  uidOf,
  writeConfig,
} from '@rampart/testing';

interface TestPorts {
  readonly platform: string;
  readonly services: readonly { port: number; admin: number }[];
}

/** A component gets a minute to become ready: on a loaded CI machine 15 s (the default) is not enough. */
const SLOW_MACHINE = ['--ready-timeout', '60'];

/** The shop's components under `up`: mesh, identity, audit, three services, gateway. */
const COMPONENTS = 7;

/** Free ports for every listener, so tests never collide with each other or with `npm start`. */
async function testPorts(services: number): Promise<TestPorts> {
  const { platform, extra } = await freePlatformPorts(services * 2);
  return {
    platform: portsYaml(platform),
    services: Array.from({ length: services }, (_, i) => ({
      port: extra[2 * i]!,
      admin: extra[1 + 2 * i]!,
    })),
  };
}

/** The shop's services with every route their handlers serve (a handler for an undeclared route refuses to start). */
function shopConfig({ platform, services }: TestPorts, extraSensitive = ''): string {
  const [profiles, orders, payments] = services;
  return `version: 1
name: shop-under-test
${platform}
policies:
  read: { scopes: [profile:read] }
  write: { scopes: [profile:write] }
  read-orders: { scopes: [orders:read] }
  write-orders: { scopes: [orders:write] }
services:
  profiles:
    entry: ${join(shopServices, 'profiles/main.ts')}
    port: ${profiles!.port}
    adminPort: ${profiles!.admin}
    callers: [gateway]
    sensitive: [name, email${extraSensitive}]
    routes:
      - { method: GET, path: /profiles/me, policy: read }
      - { method: PUT, path: /profiles/me, policy: write }
  orders:
    entry: ${join(shopServices, 'orders/main.ts')}
    port: ${orders!.port}
    adminPort: ${orders!.admin}
    callers: [gateway]
    routes:
      - { method: GET, path: /orders, policy: read-orders }
      - { method: POST, path: /orders, policy: write-orders }
      - { method: GET, path: "/orders/{id}", policy: read-orders }
      - { method: POST, path: "/orders/{id}/payment", policy: write-orders }
  payments:
    entry: ${join(shopServices, 'payments/main.ts')}
    port: ${payments!.port}
    adminPort: ${payments!.admin}
    callers: [orders]
`;
}

/** The user name of a uid, from /etc/passwd. */
function userInfoOf(uid: number): string | undefined {
  return readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .map((line) => line.split(':'))
    .find((fields) => Number(fields[2]) === uid)?.[0];
}

async function revisionOf(port: number): Promise<unknown> {
  const { body } = await getJson(`http://127.0.0.1:${port}/readyz`);
  return (body as { revision?: unknown }).revision;
}

describe('rampart up: lifecycle with real child processes', () => {
  const { dir, cleanup } = tempConfigDir();
  let ports: TestPorts;
  let admin: number[] = [];
  let config = '';
  let up: UpProcess;

  before(async () => {
    ports = await testPorts(3);
    admin = ports.services.map((s) => s.admin);
    config = writeConfig(dir, shopConfig(ports));
    up = new UpProcess(config, SLOW_MACHINE);
    await up.waitFor(/shop-under-test is up in/, 120_000);
  });

  after(async () => {
    await up.stop();
    cleanup();
  });

  it('starts every service in dependency order and each answers ready', async () => {
    const ready = [...up.output.matchAll(/● (\w+)\s+ready/g)].map((m) => m[1]);
    assert.equal(ready[0], 'mesh', 'the mesh authority first');
    assert.ok(ready.indexOf('payments') < ready.indexOf('orders'), 'a callee before its callers');
    assert.deepEqual([...ready].sort(), [
      'audit',
      'gateway',
      'identity',
      'mesh',
      'orders',
      'payments',
      'profiles',
    ]);
    for (const port of admin) assert.equal((await getJson(`http://127.0.0.1:${port}/readyz`)).status, 200);
    assert.match(up.output, new RegExp(`profiles\\s+https://127.0.0.1:${ports.services[0]!.port}`));
  });

  it('keeps local state private: directories 0700/0711, secrets and logs 0600', () => {
    const home = join(dir, '.rampart');
    assert.equal(statSync(join(home, 'keys/internal-token.key.pem')).mode & 0o777, 0o600);
    assert.equal(statSync(join(home, 'logs')).mode & 0o777, 0o700);
    assert.equal(statSync(join(home, 'services/profiles')).mode & 0o777, 0o700);
    assert.equal(statSync(join(home, 'logs/profiles.log')).mode & 0o777, 0o600);
    assert.match(readFileSync(join(home, 'logs/profiles.log'), 'utf8'), /"level"/);
  });

  it('runs every component as its own unprivileged system user when started as root', (t) => {
    if (process.getuid?.() !== 0) {
      t.skip('not running as root: components keep the current user');
      return;
    }
    const pids = childPids(up.child.pid!);
    assert.equal(pids.length, COMPONENTS);
    const uids = pids.map(uidOf);
    for (const uid of uids) assert.notEqual(uid, 0, 'a component runs as root');
    assert.equal(new Set(uids).size, COMPONENTS, 'two components share a uid');
    const users = new Set(pids.map((pid) => userInfoOf(uidOf(pid))));
    assert.deepEqual([...users].sort(), [
      'rampart-audit',
      'rampart-gateway',
      'rampart-identity',
      'rampart-mesh',
      'rampart-svc-orders',
      'rampart-svc-payments',
      'rampart-svc-profiles',
    ]);
    assert.match(up.output, /each component runs as its own system user/);
  });

  it('restarts a killed component and says so', async () => {
    const from = up.output.length;
    const before = childPids(up.child.pid!);
    const victim = before[before.length - 1]; // the gateway, which starts last
    process.kill(victim!, 'SIGKILL');
    await up.waitFor(/exited \(SIGKILL\); restarting in/, 10_000, from);
    await up.waitFor(/restarted and ready/, 90_000, from);
    const now = childPids(up.child.pid!);
    assert.equal(now.length, COMPONENTS);
    assert.ok(!now.includes(victim!));
  });

  it('refuses an edit that does not validate and keeps serving the running config', async () => {
    const from = up.output.length;
    writeFileSync(config, shopConfig(ports).replace('policy: read', 'polcy: read'));
    await up.waitFor(/edit to .* refused: the running config \(revision 0\) stays in force/, 10_000, from);
    assert.match(up.output.slice(from), /rampart\.yaml:\d+:\d+.*unknown key `polcy`/);
    for (const port of admin) assert.equal(await revisionOf(port), 0);
  });

  it('applies a valid edit to every component without restarting the platform', async () => {
    const from = up.output.length;
    const pidsBefore = childPids(up.child.pid!).sort();
    writeFileSync(config, shopConfig(ports, ', phone'));
    await up.waitFor(/applied .* as revision 1/, 10_000, from);
    for (const port of admin) {
      for (let i = 0; i < 40 && (await revisionOf(port)) !== 1; i++) await sleep(50);
      assert.equal(await revisionOf(port), 1);
    }
    assert.deepEqual(childPids(up.child.pid!).sort(), pidsBefore, 'no component was restarted');
  });

  it('refuses a second rampart up on the same config', async () => {
    const second = new UpProcess(config, SLOW_MACHINE);
    assert.equal(await second.exited(), 1);
    assert.match(second.output, /already running for this config/);
  });

  it('stops every component on Ctrl-C and leaves no process behind', async () => {
    const pids = childPids(up.child.pid!);
    assert.equal(pids.length, COMPONENTS);
    assert.equal(await up.interrupt(), 0);
    const shutdown = up.output.slice(up.output.indexOf('SIGINT received'));
    assert.doesNotMatch(shutdown, /restarting/, 'a component stopped on purpose must not be restarted');
    assert.match(up.output, /SIGINT received: stopping every component/);
    for (const pid of pids) assert.equal(isRunning(pid), false, `component ${pid} outlived rampart up`);
    assert.equal(existsSync(join(dir, '.rampart/up.pid')), false);
  });
});

describe('rampart up: no orphans even when the supervisor itself is killed', () => {
  it('components exit on their own once the supervisor is gone', async () => {
    const { dir, cleanup } = tempConfigDir();
    try {
      const config = writeConfig(dir, shopConfig(await testPorts(3)));
      const up = new UpProcess(config, SLOW_MACHINE);
      await up.waitFor(/shop-under-test is up in/, 120_000);
      const pids = childPids(up.child.pid!);
      assert.equal(pids.length, COMPONENTS);
      up.child.kill('SIGKILL');
      await up.exited();
      for (let i = 0; i < 100 && pids.some(isRunning); i++) await sleep(50);
      assert.deepEqual(pids.filter(isRunning), [], 'components outlived a killed supervisor');
    } finally {
      cleanup();
    }
  });
});

describe('rampart up: refuses a broken config before anything starts', () => {
  it('exits 1 naming file:line:column, and starts nothing', async () => {
    const { dir, cleanup } = tempConfigDir();
    try {
      const config = writeConfig(dir, shopConfig(await testPorts(3)).replace('    port: ', '    prot: '));
      const up = new UpProcess(config, SLOW_MACHINE);
      assert.equal(await up.exited(), 1);
      assert.match(up.output, /rampart\.yaml:\d+:\d+/);
      assert.match(up.output, /is not valid; nothing was started/);
      assert.equal(existsSync(join(dir, '.rampart')), false);
    } finally {
      cleanup();
    }
  });
});

describe('rampart up: a compromised component is contained by the permission model', () => {
  const { dir, cleanup } = tempConfigDir();
  let up: UpProcess;
  let ports: TestPorts;
  const fixture = join(repoRoot, 'apps/cli/test/fixtures/nosy/main.ts');

  before(async () => {
    ports = await testPorts(2);
    const [nosy, victim] = ports.services;
    const config = writeConfig(
      dir,
      `version: 1
name: isolation
${ports.platform}
services:
  nosy:
    entry: ${fixture}
    port: ${nosy!.port}
    adminPort: ${nosy!.admin}
    callers: [gateway]
  victim:
    entry: ${fixture}
    port: ${victim!.port}
    adminPort: ${victim!.admin}
    callers: [gateway]
`,
    );
    up = new UpProcess(config, SLOW_MACHINE);
    await up.waitFor(/isolation is up in/, 120_000);
  });

  after(async () => {
    await up.stop();
    cleanup();
  });

  it('can use its own state, and nothing else', async () => {
    // The victim wrote its secret during its own start; restart the nosy one so that it looks now.
    const { body } = await getJson(`http://127.0.0.1:${ports.services[1]!.admin}/readyz`);
    assert.equal((body as { results: Record<string, string> }).results['writeOwnState'], 'allowed');
    const { pid: nosyPid } = (await getJson(`http://127.0.0.1:${ports.services[0]!.admin}/readyz`)).body as {
      pid: number;
    };
    const from = up.output.length;
    process.kill(nosyPid, 'SIGKILL');
    await up.waitFor(/nosy\s+restarted and ready/, 15_000, from);

    const { results } = (await getJson(`http://127.0.0.1:${ports.services[0]!.admin}/readyz`)).body as {
      results: Record<string, string>;
      pid: number;
    };
    assert.deepEqual(results, {
      writeOwnState: 'allowed',
      readOwnState: 'allowed',
      readConfig: 'allowed',
      readOtherState: 'ERR_ACCESS_DENIED',
      listOtherState: 'ERR_ACCESS_DENIED',
      readOtherKeyring: 'ERR_ACCESS_DENIED',
      readSigningKey: 'ERR_ACCESS_DENIED',
      readLogs: 'ERR_ACCESS_DENIED',
      readEtcPasswd: 'ERR_ACCESS_DENIED',
      writeOutside: 'ERR_ACCESS_DENIED',
      spawnChild: 'ERR_ACCESS_DENIED',
      supervisorSecretInEnv: 'absent',
      readMeshBundle: 'allowed',
      readMeshCaKey: 'ERR_ACCESS_DENIED',
    });
  });
});

describe('rampart up not started as root: the components share the invoking user, and it says so', () => {
  it('prints what sharing one user means before anything starts', async (t) => {
    if (process.getuid?.() !== 0) {
      t.skip('needs root to run rampart up as another, unprivileged user');
      return;
    }
    const { dir, cleanup } = tempConfigDir();
    const taken = createServer();
    try {
      const ports = await testPorts(3);
      const config = writeConfig(dir, shopConfig(ports));
      chownSync(dir, 65_534, 65_534);
      // A taken port stops the start right after the notice: nothing runs, and the test is quick.
      const gateway = Number(/gateway: (\d+)/.exec(ports.platform)?.[1]);
      await new Promise<void>((resolve) => taken.listen(gateway, '127.0.0.1', resolve));
      const child = spawn(process.execPath, [cliMain, 'up', config], {
        uid: 65_534,
        gid: 65_534,
        env: { PATH: process.env['PATH'] ?? '', NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const [code] = (await once(child, 'exit')) as [number | null];
      assert.equal(code, 1, output);
      assert.match(output, /not running as root: every component runs as you \('nobody'\)/);
      assert.match(output, /could read the mesh CA key, the signing keys, every keyring and store/);
      assert.match(output, new RegExp(`ports\\.gateway: port ${gateway} is in use`));
    } finally {
      taken.close();
      cleanup();
    }
  });
});
