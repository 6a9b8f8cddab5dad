import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createJoinToken, startWorkloadIdentity } from '@rampart/mesh';
import { freePort, tempDir, type TempDir } from '@rampart/testing';
import { CONFIG, MESH_ID, id, signingKeys } from './helpers.ts';
import { componentEnv } from '@rampart/config';

const main = join(import.meta.dirname, '../src/main.ts');

describe('mesh process: environment, IPC and shutdown', () => {
  let home: TempDir;
  let child: ChildProcess;
  let adminUrl: string;
  let url: string;
  const output: string[] = [];
  const replies: Record<string, unknown>[] = [];

  const reply = async (type: string): Promise<Record<string, unknown>> => {
    for (let i = 0; i < 200; i++) {
      const found = replies.find((r) => r['type'] === type);
      if (found !== undefined) return found;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`no ${type} reply`);
  };

  before(async () => {
    home = await tempDir('rampart-mesh-main-');
    ({ child, url, adminUrl } = await spawnMesh(home, output));
    child.on('message', (message) => replies.push(message as Record<string, unknown>));
  });
  after(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await home.cleanup();
  });

  it('registers a join token sent by the supervisor, and a workload joins with it', async () => {
    const { token, sha256 } = createJoinToken();
    child.send({ type: 'mesh.join-token', spiffeId: id('orders'), sha256, expiresAt: Date.now() + 60_000 });
    assert.deepEqual(await reply('mesh.join-token.added'), {
      type: 'mesh.join-token.added',
      spiffeId: id('orders'),
    });
    const identity = await startWorkloadIdentity({
      authorityUrl: url,
      authoritySpiffeId: MESH_ID,
      bundlePem: await readFile(join(home.path, 'bundle.pem'), 'utf8'),
      joinToken: token,
      spiffeId: id('orders'),
    });
    identity.stop();
    assert.ok(!output.join('').includes(token), 'the join token is never logged');
  });

  it('applies configuration revisions and rotates the CA on request', async () => {
    child.send({ type: 'config', revision: 3, config: CONFIG });
    assert.deepEqual(await reply('config.applied'), { type: 'config.applied', revision: 3 });
    assert.deepEqual(await (await fetch(`${adminUrl}/readyz`)).json(), { status: 'ready', revision: 3 });
    child.send({ type: 'mesh.rotate-ca' });
    const rotated = await reply('mesh.ca-rotated');
    assert.match(String(rotated['root']), /^root-/);
    assert.ok(Date.parse(String(rotated['activatesAt'])) > Date.now(), 'the new root signs later');
    const bundle = await readFile(join(home.path, 'bundle.pem'), 'utf8');
    assert.equal(bundle.match(/BEGIN CERTIFICATE/g)?.length, 2);
    child.send({ type: 'mesh.rotate-ca' });
    assert.match(String((await reply('mesh.ca-rotation-failed'))['reason']), /already in progress/);
    child.send({ type: 'mesh.activate-ca' });
    assert.deepEqual(await reply('mesh.ca-activated'), { type: 'mesh.ca-activated', root: rotated['root'] });
  });

  it('writes JSON log lines with no key in them, and exits 0 when the supervisor disconnects', async () => {
    child.disconnect();
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 0);
    const lines = output
      .join('')
      .split('\n')
      .filter((line) => line.startsWith('{'));
    assert.ok(lines.length > 0);
    assert.ok(!lines.join('\n').includes('PRIVATE KEY'));
    const issued = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.ok(issued.some((e) => e['event'] === 'certificate.issued' && e['spiffeId'] === MESH_ID));
  });
});

describe('mesh process: SIGTERM', () => {
  it('closes gracefully and exits 0', async () => {
    const home = await tempDir('rampart-mesh-term-');
    const output: string[] = [];
    try {
      const { child } = await spawnMesh(home, output);
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      assert.equal(code, 0, output.join(''));
    } finally {
      await home.cleanup();
    }
  });
});

async function spawnMesh(
  home: TempDir,
  output: string[],
): Promise<{ child: ChildProcess; url: string; adminUrl: string }> {
  const [port, adminPort] = [await freePort(), await freePort()];
  const url = `https://127.0.0.1:${port}`;
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const keys = await signingKeys();
  await writeFile(join(home.path, 'signing.pem'), keys.privatePem, { mode: 0o600 });
  await writeFile(join(home.path, 'signing.pub'), keys.publicPem);
  const services = Object.entries(CONFIG.services)
    .map(
      ([name, s]) =>
        `  ${name}:\n    entry: ${s.entry}\n    port: ${s.port}\n    callers: [${(s.callers ?? []).join(', ')}]\n`,
    )
    .join('');
  await writeFile(
    join(home.path, 'rampart.yaml'),
    `version: 1\nname: shop\nports:\n  mesh: ${port}\n  meshAdmin: ${adminPort}\nservices:\n${services}`,
  );
  const child = fork(main, [], {
    execPath: process.execPath,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: {
      PATH: process.env['PATH'] ?? '',
      [componentEnv.configFile.name]: join(home.path, 'rampart.yaml'),
      [componentEnv.component.name]: 'mesh',
      [componentEnv.stateDir.name]: home.path,
      [componentEnv.internalTokenSigningKeyFile.name]: join(home.path, 'signing.pem'),
      [componentEnv.internalTokenKeyFile.name]: join(home.path, 'signing.pub'),
    },
  });
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${adminUrl}/readyz`)).status === 200) break;
    } catch {
      // not listening yet
    }
    if (i > 200 || child.exitCode !== null) throw new Error(`mesh did not start:\n${output.join('')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { child, url, adminUrl };
}
