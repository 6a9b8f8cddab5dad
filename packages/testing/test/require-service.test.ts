import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { describe, it } from 'node:test';
import { freePort, requireService, tempDir, type BackingService } from '@rampart/testing';

describe('requireService', () => {
  for (const name of ['postgres', 'redis', 'nats'] satisfies BackingService[]) {
    it(`finds ${name} on its default port or URL (the dev machine runs all three)`, async () => {
      assert.deepEqual(await requireService(name), { skip: false });
    });
  }

  it('skips with a reason when nothing listens', async () => {
    const port = await freePort();
    const result = await requireService('redis', { env: { REDIS_URL: `redis://127.0.0.1:${port}` } });
    assert.equal(typeof result.skip, 'string');
    assert.match(String(result.skip), new RegExp(`127\\.0\\.0\\.1:${port}.*REDIS_URL`));
  });

  it('throws instead of skipping when RAMPART_REQUIRE_SERVICES=1', async () => {
    const port = await freePort();
    await assert.rejects(
      requireService('nats', {
        env: { NATS_URL: `nats://127.0.0.1:${port}`, RAMPART_REQUIRE_SERVICES: '1' },
      }),
      /RAMPART_REQUIRE_SERVICES/,
    );
  });

  it('never echoes credentials of a URL it cannot parse', async () => {
    await assert.rejects(
      requireService('postgres', { env: { DATABASE_URL: '//user:s3cret@host' } }),
      (error: Error) => error instanceof TypeError && !error.message.includes('s3cret'),
    );
  });
});

describe('tempDir and freePort', () => {
  it('tempDir is private and cleans up', async () => {
    const dir = await tempDir('rampart-testing-');
    assert.equal(statSync(dir.path).mode & 0o777, 0o700);
    await dir.cleanup();
    assert.equal(existsSync(dir.path), false);
  });

  it('freePort returns a usable port', async () => {
    const port = await freePort();
    assert.ok(Number.isInteger(port) && port > 0 && port < 65536);
  });
});
