import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { permissionFlags } from '../src/up/permissions.ts';

describe('permissionFlags', () => {
  const flags = permissionFlags({
    libraries: ['/app/node_modules', '/app/packages'],
    entry: '/app/examples/shop/services/orders/main.ts',
    configFile: '/app/examples/shop/rampart.yaml',
    stateDir: '/app/examples/shop/.rampart/services/orders',
    privateDirs: ['/app/examples/shop/.rampart/keyring/orders'],
    readableFiles: ['/app/examples/shop/.rampart/keys/internal-token.pub.pem'],
  });

  it('turns the permission model on and writes only to its own state and keyring directories', () => {
    assert.equal(flags[0], '--permission');
    assert.deepEqual(
      flags.filter((f) => f.startsWith('--allow-fs-write')),
      [
        '--allow-fs-write=/app/examples/shop/.rampart/services/orders',
        '--allow-fs-write=/app/examples/shop/.rampart/keyring/orders',
      ],
    );
  });

  it('reads the code, the config, its own state, the public key and its own /proc entries — not .rampart as a whole', () => {
    const reads = flags
      .filter((f) => f.startsWith('--allow-fs-read='))
      .map((f) => f.slice('--allow-fs-read='.length));
    assert.deepEqual(reads, [
      '/app/node_modules',
      '/app/packages',
      '/app/examples/shop/services/orders',
      '/app/examples/shop/rampart.yaml',
      '/app/examples/shop/.rampart/services/orders',
      '/app/examples/shop/.rampart/keyring/orders',
      '/app/examples/shop/.rampart/keys/internal-token.pub.pem',
      // Its own process entries, for prom-client's memory and file-descriptor metrics.
      '/proc/self/status',
      '/proc/self/limits',
      '/proc/self/fd',
    ]);
  });

  it('grants no child processes, workers, addons or WASI', () => {
    for (const flag of ['--allow-child-process', '--allow-worker', '--allow-addons', '--allow-wasi']) {
      assert.ok(!flags.includes(flag), flag);
    }
  });

  it('grants worker threads, and nothing else, where the plan asks (the gateway, one per core)', () => {
    const gateway = permissionFlags({
      libraries: ['/app/node_modules'],
      entry: '/app/services/gateway/src/main.ts',
      configFile: '/app/rampart.yaml',
      stateDir: '/app/.rampart/gateway',
      privateDirs: [],
      readableFiles: [],
      allowWorkers: true,
    });
    assert.ok(gateway.includes('--allow-worker'));
    for (const flag of ['--allow-child-process', '--allow-addons', '--allow-wasi']) {
      assert.ok(!gateway.includes(flag), flag);
    }
  });

  it('grants a child process, and nothing else, where the plan asks (a sidecar with `run`)', () => {
    const sidecar = permissionFlags({
      libraries: ['/app/node_modules'],
      entry: '/app/services/sidecar/src/main.ts',
      configFile: '/app/rampart.yaml',
      stateDir: '/app/.rampart/services/reviews',
      privateDirs: [],
      readableFiles: ['/usr/bin/setpriv'],
      allowChildProcess: true,
    });
    assert.ok(sidecar.includes('--allow-child-process'));
    for (const flag of ['--allow-worker', '--allow-addons', '--allow-wasi']) {
      assert.ok(!sidecar.includes(flag), flag);
    }
  });
});
