import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  parseConfig,
  readComponentEnv,
  writeComponentEnv,
  writeLaunchSecretEnv,
  type RampartConfig,
} from '@rampart/config';
import { tempDir, type TempDir } from '@rampart/testing';
import { telemetrySecrets } from '../src/up/telemetry-secrets.ts';

function configWith(headers: Record<string, string> | undefined): RampartConfig {
  const lines =
    headers === undefined
      ? ''
      : `    headers:\n${Object.entries(headers)
          .map(([name, reference]) => `      ${name}: '${reference}'\n`)
          .join('')}`;
  const result = parseConfig(
    `version: 1\nname: shop\ntelemetry:\n  traces:\n    endpoint: https://collector.example/v1/traces\n${lines}services:\n  orders: { entry: orders.ts, port: 7102, callers: [gateway] }\n`,
    'rampart.yaml',
  );
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.config;
}

describe("the trace export's headers: read by rampart up, handed to each component over IPC", () => {
  let dir: TempDir;
  before(async () => {
    dir = await tempDir('rampart-telemetry-secrets-');
  });
  after(() => dir.cleanup());

  it('has none without headers', async () => {
    assert.deepEqual(await telemetrySecrets(configWith(undefined), dir.path), {});
  });

  it('reads ${env:…} and ${file:…} references, and the component reads them back from its launch secrets', async () => {
    process.env['RAMPART_TEST_OTLP_AUTH'] = 'Bearer otlp-credential';
    writeFileSync(join(dir.path, 'tenant'), 'tenant-7\n', { mode: 0o600 });
    const secrets = await telemetrySecrets(
      configWith({ authorization: '${env:RAMPART_TEST_OTLP_AUTH}', 'x-scope-orgid': '${file:tenant}' }),
      dir.path,
    );
    assert.deepEqual(secrets, {
      telemetryHeaders: { authorization: 'Bearer otlp-credential', 'x-scope-orgid': 'tenant-7' },
    });
    // The variable travels on the IPC channel only: never in a component's environment.
    const ipc = writeLaunchSecretEnv('service', secrets);
    const plain = writeComponentEnv('service', {
      configFile: '/x/rampart.yaml',
      component: 'orders',
      stateDir: '/x/state',
      internalTokenKeyFile: '/x/key',
    });
    const env = readComponentEnv('service', plain, ipc);
    assert.deepEqual(env.telemetryHeaders, secrets.telemetryHeaders);
    const fromEnvironment = readComponentEnv('service', { ...plain, ...ipc }, {});
    assert.equal(
      fromEnvironment.telemetryHeaders,
      undefined,
      'a secret set in the environment is not honoured',
    );
  });

  it('refuses a value that would add a header line, naming the header and the reference, never the value', async () => {
    process.env['RAMPART_TEST_OTLP_AUTH'] = 'Bearer x\r\nx-injected: evil-value';
    await assert.rejects(
      telemetrySecrets(configWith({ authorization: '${env:RAMPART_TEST_OTLP_AUTH}' }), dir.path),
      (error: unknown) =>
        error instanceof Error &&
        error.message.includes('telemetry.traces.headers.authorization (${env:RAMPART_TEST_OTLP_AUTH})') &&
        !error.message.includes('evil-value'),
    );
  });

  it('refuses an unset variable, naming it', async () => {
    delete process.env['RAMPART_TEST_OTLP_AUTH'];
    await assert.rejects(
      telemetrySecrets(configWith({ authorization: '${env:RAMPART_TEST_OTLP_AUTH}' }), dir.path),
      /RAMPART_TEST_OTLP_AUTH/,
    );
  });
});
