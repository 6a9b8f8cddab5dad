import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig, parseConfig } from '@rampart/config';

const SHOP = resolve(import.meta.dirname, 'fixtures/shop.yaml');

describe('loadConfig', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rampart-config-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('accepts the shop: profiles, orders, and payments called by orders', async () => {
    const result = await loadConfig(SHOP);
    assert.deepEqual(result.problems, []);
    assert.ok(result.ok);
    assert.equal(result.file, SHOP);
    assert.deepEqual(Object.keys(result.config.services), ['profiles', 'orders', 'payments']);
    assert.deepEqual(result.config.services.payments?.callers, ['orders']);
  });

  it('returns a deep-frozen config', async () => {
    const result = await loadConfig(SHOP);
    assert.ok(result.ok);
    const route = result.config.services.orders?.routes?.[0];
    assert.ok(route !== undefined);
    assert.ok(
      Object.isFrozen(result.config) && Object.isFrozen(route) && Object.isFrozen(result.config.services),
    );
    assert.throws(() => {
      (route as { policy?: string }).policy = 'public';
    }, TypeError);
  });

  it('reports a missing file as CFG_FILE_NOT_FOUND with an absolute path', async () => {
    const result = await loadConfig(join(dir, 'nope.yaml'));
    assert.equal(result.ok, false);
    assert.equal(result.file, join(dir, 'nope.yaml'));
    assert.deepEqual(
      result.problems.map((p) => [p.code, p.line, p.column, p.message]),
      [['CFG_FILE_NOT_FOUND', 0, 0, 'no such file']],
    );
  });

  it('refuses files over 1 MiB before parsing', async () => {
    const big = join(dir, 'big.yaml');
    await writeFile(big, `# ${'x'.repeat(1024 * 1024)}\n`);
    const result = await loadConfig(big);
    assert.equal(result.ok, false);
    assert.equal(result.problems[0]?.message, 'the file is larger than 1024 KiB');
    assert.equal(parseConfig(`# ${'x'.repeat(1024 * 1024)}`, 'big.yaml').ok, false);
  });

  it('keeps warnings on a valid config', () => {
    const text = `version: 1
name: shop
policies: { p: {} }
services:
  s:
    entry: s.ts
    port: 7000
    callers: [gateway]
    sensitive: [ssn]
    routes:
      - { method: POST, path: /s, policy: p, schema: { body: { properties: { name: {} } } } }
`;
    const result = parseConfig(text, 'rampart.yaml');
    assert.ok(result.ok);
    assert.deepEqual(
      result.problems.map((p) => [p.code, p.severity]),
      [['CFG_UNKNOWN_SENSITIVE_FIELD', 'warning']],
    );
  });
});
