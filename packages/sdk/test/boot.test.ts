import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { componentEnv, loadConfig, writeComponentEnv, type RampartConfig } from '@rampart/config';
import { createServiceFixture, freePort, tempDir, type TempDir } from '@rampart/testing';
import { TEST_CONFIG } from './service-harness.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const fixture = fileURLToPath(new URL('fixtures/boot-component.ts', import.meta.url));
const runServiceFixture = fileURLToPath(new URL('fixtures/run-service.ts', import.meta.url));
const widgets = TEST_CONFIG.services['widgets'];
assert.ok(widgets);
const shop = join(root, 'examples/shop/rampart.yaml');

function start(
  dir: string,
  configFile: string,
  adminPort: number,
  extra: Record<string, string> = {},
): { child: ChildProcess; output: () => string } {
  let text = '';
  const child = fork(fixture, [], {
    env: {
      PATH: process.env['PATH'] ?? '',
      BOOT_TEST_ADMIN_PORT: String(adminPort),
      ...writeComponentEnv('mesh', {
        configFile,
        component: 'mesh',
        stateDir: dir,
        internalTokenKeyFile: join(dir, 'pub.pem'),
        internalTokenSigningKeyFile: join(dir, 'key.pem'),
      }),
      ...extra,
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { child, output: () => text };
}

async function reply(child: ChildProcess, message: object): Promise<unknown> {
  const answer = once(child, 'message');
  child.send(message);
  return (await answer)[0];
}

describe('bootComponent', () => {
  let dir: TempDir;
  let config: RampartConfig;
  before(async () => {
    dir = await tempDir('rampart-boot-');
    copyFileSync(shop, join(dir.path, 'rampart.yaml'));
    const loaded = await loadConfig(shop);
    assert.ok(loaded.ok);
    config = loaded.config;
  });
  after(() => dir.cleanup());

  it('serves readiness with the revision, answers reloads all or nothing, stops on SIGTERM with 0', async () => {
    const adminPort = await freePort();
    const { child, output } = start(dir.path, shop, adminPort);
    try {
      await waitFor(() => output().includes('mesh listening'));
      const readyz = async () => (await fetch(`http://127.0.0.1:${adminPort}/readyz`)).json();
      assert.deepEqual(await readyz(), { status: 'ready', revision: 0 });
      assert.deepEqual(await reply(child, { type: 'config', revision: 2, config }), {
        type: 'config.applied',
        revision: 2,
      });
      assert.deepEqual(await readyz(), { status: 'ready', revision: 2 });
      assert.deepEqual(await reply(child, { type: 'config', revision: 2, config }), {
        type: 'config.rejected',
        revision: 2,
        reason: 'revision 2 is not newer than 2',
      });
      assert.deepEqual(
        await reply(child, { type: 'config', revision: 3, config: { ...config, services: {} } }),
        {
          type: 'config.rejected',
          revision: 3,
          reason: 'no services',
        },
      );
      assert.deepEqual(await readyz(), { status: 'ready', revision: 2 });
      child.kill('SIGTERM');
      const code = await exitOf(child);
      assert.equal(code, 0);
      assert.match(output(), /"msg":"stopped"/);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('an invalid rampart.yaml: configuration invalid, exit 1', async () => {
    const bad = join(dir.path, 'bad.yaml');
    copyFileSync(join(root, 'package.json'), bad);
    const { child, output } = start(dir.path, bad, await freePort());
    const code = await exitOf(child);
    assert.equal(code, 1);
    assert.match(output(), /"msg":"configuration invalid"/);
  });

  it('a missing variable: <kind> failed to start naming it, exit 1', async () => {
    const { child, output } = start(dir.path, shop, await freePort(), {
      [componentEnv.configFile.name]: 'relative.yaml',
    });
    const code = await exitOf(child);
    assert.equal(code, 1);
    assert.match(output(), new RegExp(`mesh failed to start: .*${componentEnv.configFile.name}`));
  });

  it('a service (runService) boots the same way: the reason it cannot start, under its own name, exit 1', async () => {
    const onlyTheList = { ...widgets, routes: (widgets.routes ?? []).slice(0, 1) };
    const fixture = await createServiceFixture({
      component: 'widgets',
      config: { ...TEST_CONFIG, services: { ...TEST_CONFIG.services, widgets: onlyTheList } },
    });
    try {
      let text = '';
      const child = fork(runServiceFixture, [], {
        env: { PATH: process.env['PATH'] ?? '', ...fixture.env },
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      });
      child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
      assert.equal(await exitOf(child), 1);
      // Without the mesh variables a service cannot listen (mTLS only): the boot says so and stops.
      assert.match(text, new RegExp(`widgets failed to start: ${componentEnv.meshUrl.name} is not set`));
    } finally {
      await fixture.cleanup();
    }
  });

  it('a service whose handlers and rampart.yaml disagree does not start', async () => {
    const fixture = await createServiceFixture({ component: 'widgets', config: TEST_CONFIG });
    try {
      let text = '';
      const child = fork(runServiceFixture, [], {
        env: { PATH: process.env['PATH'] ?? '', ...fixture.env },
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      });
      child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
      assert.equal(await exitOf(child), 1);
      assert.match(
        text,
        /widgets failed to start: the handlers of service \\"widgets\\" and rampart.yaml disagree/,
      );
    } finally {
      await fixture.cleanup();
    }
  });
});

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      resolve(code);
    }),
  );
}

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
