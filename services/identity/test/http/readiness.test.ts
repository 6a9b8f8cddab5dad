import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { openEmbeddedStore, type Store } from '@rampart/sdk';
import { tempDir, type TempDir } from '@rampart/testing';
import type { SigningKeyInfo } from '../../src/keys/signing-keys.ts';
import { identityReadiness } from '../../src/http/readiness.ts';

const current: SigningKeyInfo = {
  kid: 'k1',
  alg: 'ES256',
  state: 'current',
  createdAt: 0,
  activatedAt: 0,
  retiredAt: null,
};

describe("identity's readiness (/readyz)", () => {
  let dir: TempDir;
  let store: Store;
  before(async () => {
    dir = await tempDir('rampart-identity-readiness-');
    store = openEmbeddedStore(join(dir.path, 'identity.sqlite'));
  });
  after(async () => {
    await store.close();
    await dir.cleanup();
  });

  const readiness = (
    options: {
      keys?: () => Promise<SigningKeyInfo[]>;
      redis?: Redis['status'];
      stopping?: boolean;
      on?: Store;
    } = {},
  ) =>
    identityReadiness({
      keys: { list: options.keys ?? (() => Promise.resolve([current])) },
      store: options.on ?? store,
      stopping: () => options.stopping ?? false,
      ...(options.redis === undefined ? {} : { redis: { status: options.redis } }),
    });

  it('is ready with a store that answers, a current signing key and Redis ready', async () => {
    assert.deepEqual(await readiness({ redis: 'ready' })(), []);
  });

  it('names every reason it is not', async () => {
    assert.deepEqual(await readiness({ keys: () => Promise.resolve([]) })(), ['no current signing key']);
    assert.deepEqual(await readiness({ keys: () => Promise.reject(new Error('x')) })(), [
      'signing keys unreadable',
    ]);
    assert.deepEqual(await readiness({ redis: 'reconnecting' })(), ['redis unavailable']);
    assert.deepEqual(await readiness({ stopping: true })(), ['stopping']);
    const closed = openEmbeddedStore(join(dir.path, 'closed.sqlite'));
    await closed.close();
    assert.deepEqual(await readiness({ on: closed })(), ['store unreachable']);
  });
});
