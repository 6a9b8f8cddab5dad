// The mesh authority given its root CA in files (RAMPART_MESH_CA_CERT/KEY, as `rampart export
// k8s-secrets` makes them for its keys Secret): it serves exactly that root as its bundle, so the
// bundle published beforehand is the one workloads need — no copying out of the running pod.
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { componentEnv } from '@rampart/config';
import { createJoinToken, generateRootCa, startWorkloadIdentity, type RootCaPems } from '@rampart/mesh';
import { freePort, tempDir, type TempDir } from '@rampart/testing';
import { CONFIG, MESH_ID, TD, id, signingKeys } from './helpers.ts';

const main = join(import.meta.dirname, '../src/main.ts');

interface Running {
  readonly child: ChildProcess;
  readonly url: string;
  readonly output: string[];
}

describe('mesh process: a root CA provided in files', () => {
  let home: TempDir;
  let root: RootCaPems;

  before(async () => {
    home = await tempDir('rampart-mesh-provided-');
    root = await generateRootCa(TD);
    await writeFile(join(home.path, 'mesh-ca.pem'), root.certPem, { mode: 0o440 });
    // As a Secret mounts it: 0440, readable by the pod's own group.
    await writeFile(join(home.path, 'mesh-ca.key'), root.keyPem, { mode: 0o440 });
  });
  after(async () => {
    await home.cleanup();
  });

  it('serves the provided root as its bundle, and a workload trusting only that root joins', async () => {
    const mesh = await startMesh(home, 'mesh-ca.pem', 'mesh-ca.key');
    try {
      assert.equal(await readFile(join(home.path, 'bundle.pem'), 'utf8'), root.certPem);
      const { token, sha256 } = createJoinToken();
      mesh.child.send({
        type: 'mesh.join-token',
        spiffeId: id('orders'),
        sha256,
        expiresAt: Date.now() + 60_000,
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      const identity = await startWorkloadIdentity({
        authorityUrl: mesh.url,
        authoritySpiffeId: MESH_ID,
        // What the ConfigMap carries: the generated root, known before the authority started.
        bundlePem: root.certPem,
        joinToken: token,
        spiffeId: id('orders'),
      });
      assert.deepEqual(
        identity.current().caPems.map((pem) => pem.trim()),
        [root.certPem.trim()],
      );
      identity.stop();
      assert.ok(!mesh.output.join('').includes('PRIVATE KEY'), 'the key is never logged');
    } finally {
      await stop(mesh);
    }
  });

  it('keeps the same CA at the next start', async () => {
    const mesh = await startMesh(home, 'mesh-ca.pem', 'mesh-ca.key');
    try {
      assert.equal(await readFile(join(home.path, 'bundle.pem'), 'utf8'), root.certPem);
    } finally {
      await stop(mesh);
    }
  });

  it('refuses another root than the one its CA was made from', async () => {
    const other = await generateRootCa(TD);
    await writeFile(join(home.path, 'other.pem'), other.certPem, { mode: 0o440 });
    await writeFile(join(home.path, 'other.key'), other.keyPem, { mode: 0o400 });
    const output = await failedStart(home, 'other.pem', 'other.key');
    assert.match(output, /does not trust the provided root/);
  });

  it('refuses a key others may read, and a root given without its key', async () => {
    const fresh = await tempDir('rampart-mesh-provided-bad-');
    try {
      await writeFile(join(fresh.path, 'mesh-ca.pem'), root.certPem);
      await writeFile(join(fresh.path, 'mesh-ca.key'), root.keyPem, { mode: 0o644 });
      assert.match(await failedStart(fresh, 'mesh-ca.pem', 'mesh-ca.key'), /may be read by others/);
      assert.match(await failedStart(fresh, 'mesh-ca.pem', undefined), /go together/);
    } finally {
      await fresh.cleanup();
    }
  });
});

async function stop(mesh: Running): Promise<void> {
  mesh.child.kill('SIGTERM');
  if (mesh.child.exitCode === null) await once(mesh.child, 'exit');
}

async function failedStart(home: TempDir, cert: string, key: string | undefined): Promise<string> {
  const { child, output } = await spawn(home, cert, key);
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.notEqual(code, 0);
  return output.join('');
}

async function startMesh(home: TempDir, cert: string, key: string): Promise<Running> {
  const running = await spawn(home, cert, key);
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${running.adminUrl}/readyz`)).status === 200) break;
    } catch {
      // not listening yet
    }
    if (i > 200 || running.child.exitCode !== null) {
      throw new Error(`mesh did not start:\n${running.output.join('')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return running;
}

async function spawn(
  home: TempDir,
  cert: string,
  key: string | undefined,
): Promise<Running & { adminUrl: string }> {
  const [port, adminPort] = [await freePort(), await freePort()];
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
  const output: string[] = [];
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
      [componentEnv.meshCaFile.name]: join(home.path, cert),
      ...(key === undefined ? {} : { [componentEnv.meshCaKeyFile.name]: join(home.path, key) }),
    },
  });
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  return { child, url: `https://127.0.0.1:${port}`, adminUrl: `http://127.0.0.1:${adminPort}`, output };
}
