import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseConfig, type RampartConfig } from '@rampart/config';
import { tempDir, type TempDir } from '@rampart/testing';
import { auditSecrets } from '../src/up/audit-secrets.ts';

function configWith(secret: string | undefined): RampartConfig {
  const webhook =
    secret === undefined
      ? ''
      : `audit:\n  alerts:\n    webhook:\n      url: https://siem.example/hooks/rampart\n      secret: '${secret}'\n`;
  const result = parseConfig(
    `version: 1\nname: shop\n${webhook}services:\n  orders: { entry: orders.ts, port: 7102, callers: [gateway] }\n`,
    'rampart.yaml',
  );
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.config;
}

describe("the audit service's launch secrets: the webhook key, read by rampart up", () => {
  let dir: TempDir;
  before(async () => {
    dir = await tempDir('rampart-audit-secrets-');
  });
  after(() => dir.cleanup());

  it('has none without a webhook', async () => {
    assert.deepEqual(await auditSecrets(configWith(undefined), dir.path), {});
  });

  it('reads an ${env:…} and a ${file:…} reference (relative to rampart.yaml)', async () => {
    const key = 'k'.repeat(40);
    process.env['RAMPART_TEST_WEBHOOK_SECRET'] = key;
    assert.deepEqual(await auditSecrets(configWith('${env:RAMPART_TEST_WEBHOOK_SECRET}'), dir.path), {
      alertWebhookSecret: key,
    });
    writeFileSync(join(dir.path, 'webhook.key'), 'f'.repeat(64), { mode: 0o600 });
    assert.deepEqual(await auditSecrets(configWith('${file:webhook.key}'), dir.path), {
      alertWebhookSecret: 'f'.repeat(64),
    });
  });

  it('refuses a key under 32 bytes, naming the reference and never the value', async () => {
    process.env['RAMPART_TEST_WEBHOOK_SECRET'] = 'short-secret-value';
    await assert.rejects(
      auditSecrets(configWith('${env:RAMPART_TEST_WEBHOOK_SECRET}'), dir.path),
      (error: unknown) =>
        error instanceof Error &&
        /\$\{env:RAMPART_TEST_WEBHOOK_SECRET\}\) must be at least 32 bytes/.test(error.message) &&
        !error.message.includes('short-secret-value'),
    );
  });

  it('refuses a reference that does not resolve', async () => {
    delete process.env['RAMPART_TEST_WEBHOOK_MISSING'];
    await assert.rejects(auditSecrets(configWith('${env:RAMPART_TEST_WEBHOOK_MISSING}'), dir.path));
  });
});
